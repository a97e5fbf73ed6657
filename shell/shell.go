// Package shell is pegasus-shell: the DBA's command interpreter. One
// Session runs commands typed interactively, piped on standard input, or
// given on the command line, against one cluster; each command is a thin
// wrapper that parses its arguments and calls package admin or client.
package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/client"
)

// Version is printed by `version` and the banner.
var Version = "0.1.0"

// Session is one shell's state: the cluster, the current table, and where
// output goes.
type Session struct {
	Metas   []string
	Out     io.Writer
	Err     io.Writer
	Timeout time.Duration

	admin  *admin.Client
	client *client.Client
	table  string
	tables map[string]*client.Table
	quit   bool
}

// NewSession connects lazily to the meta servers metas.
func NewSession(metas []string, out, errOut io.Writer) *Session {
	return &Session{
		Metas: metas, Out: out, Err: errOut, Timeout: 5 * time.Second,
		admin:  admin.New(metas),
		client: client.New(client.Config{MetaServers: metas}),
		tables: make(map[string]*client.Table),
	}
}

// Close releases the session's connections.
func (s *Session) Close() {
	s.admin.Close()
	s.client.Close()
}

// errUsage makes Exec print the command's usage line.
var errUsage = errors.New("usage")

// Exec runs one command line and reports whether it succeeded.
func (s *Session) Exec(ctx context.Context, line string) bool {
	args, err := splitArgs(line)
	if err != nil {
		fmt.Fprintln(s.Err, err)
		return false
	}
	if len(args) == 0 {
		return true
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(s.Err, "ERROR: invalid subcommand '%s'\n", args[0])
		return false
	}
	if err := cmd.run(ctx, s, args[1:]); err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprintf(s.Err, "USAGE: %s %s\n", cmd.name, cmd.usage)
		} else {
			fmt.Fprintf(s.Err, "ERROR: %v\n", err)
		}
		return false
	}
	return true
}

// Run reads commands from r until EOF or `exit`, printing prompt before
// each when prompt is not empty. It returns the number of failed commands.
func (s *Session) Run(ctx context.Context, r io.Reader, prompt string) int {
	failed := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for !s.quit {
		if prompt != "" {
			fmt.Fprint(s.Out, prompt)
		}
		if !sc.Scan() {
			if prompt != "" {
				fmt.Fprintln(s.Out)
			}
			break
		}
		if !s.Exec(ctx, sc.Text()) {
			failed++
		}
	}
	return failed
}

// command is one shell command.
type command struct {
	name  string
	usage string
	help  string
	run   func(ctx context.Context, s *Session, args []string) error
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

func init() {
	register(&command{name: "help", usage: "", help: "list commands",
		run: func(_ context.Context, s *Session, _ []string) error {
			names := make([]string, 0, len(commands))
			width := 0
			for n := range commands {
				names = append(names, n)
				if len(n) > width {
					width = len(n)
				}
			}
			sort.Strings(names)
			fmt.Fprintln(s.Out, "Usage:")
			for _, n := range names {
				fmt.Fprintf(s.Out, "\t%-*s %s\n", width+2, n, commands[n].usage)
			}
			return nil
		}})
	register(&command{name: "version", help: "print the shell's version",
		run: func(_ context.Context, s *Session, _ []string) error {
			fmt.Fprintf(s.Out, "Pegasus Shell %s (pegasus-go)\n", Version)
			return nil
		}})
	register(&command{name: "exit", help: "leave the shell",
		run: func(_ context.Context, s *Session, _ []string) error { s.quit = true; return nil }})
	register(&command{name: "use", usage: "[table]", help: "set the current table",
		run: func(_ context.Context, s *Session, args []string) error {
			switch len(args) {
			case 0:
				if s.table == "" {
					fmt.Fprintln(s.Out, "Current app not specified.")
					return errUsage
				}
				fmt.Fprintf(s.Out, "Current app: %s\n", s.table)
			case 1:
				s.table = args[0]
				fmt.Fprintln(s.Out, "OK")
			default:
				return errUsage
			}
			return nil
		}})
	register(&command{name: "timeout", usage: "[time_in_ms]", help: "show or set the data operation timeout",
		run: func(_ context.Context, s *Session, args []string) error {
			if len(args) == 0 {
				fmt.Fprintf(s.Out, "Current timeout: %d ms.\n", s.Timeout.Milliseconds())
				return nil
			}
			ms, err := parseInt(args[0])
			if err != nil || ms <= 0 || len(args) > 1 {
				return errUsage
			}
			s.Timeout = time.Duration(ms) * time.Millisecond
			fmt.Fprintln(s.Out, "OK")
			return nil
		}})
}

// withTimeout bounds one command by the session timeout.
func (s *Session) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.Timeout)
}

func joinAddrs(a []string) string { return strings.Join(a, ",") }
