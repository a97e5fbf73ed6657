// Package remotecmd serves RPC_CLI_CLI_CALL, the remote command RPC every
// Pegasus server process answers: a command name and arguments in, a text
// answer out. Each server role registers the commands it supports.
package remotecmd

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/cmd"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// Version is the server version reported by server-info.
var Version = "pegasus-go 0.1.0"

// Command is one remote command.
type Command struct {
	Name  string
	Usage string // e.g. "replica.kill_partition <app_id> <partition_index>"
	Help  string
	Run   func(ctx context.Context, args []string) (string, error)
}

// Registry holds the commands of one server process.
type Registry struct {
	role    string
	started time.Time

	mu   sync.RWMutex // guards cmds
	cmds map[string]Command
}

// NewRegistry returns a registry with the built-in commands help and
// server-info; role names the process kind ("meta", "replica").
func NewRegistry(role string) *Registry {
	r := &Registry{role: role, started: time.Now(), cmds: make(map[string]Command)}
	r.Add(Command{Name: "help", Usage: "help [command]", Help: "list commands, or show one command's usage",
		Run: func(_ context.Context, args []string) (string, error) { return r.help(args), nil }})
	r.Add(Command{Name: "server-info", Usage: "server-info", Help: "show version, role and start time",
		Run: func(context.Context, []string) (string, error) {
			return fmt.Sprintf("%s, role %s, started at %s", Version, r.role, r.started.Format("2006-01-02 15:04:05")), nil
		}})
	return r
}

// AddLogLevel registers set-log-level, which changes level at run time.
func (r *Registry) AddLogLevel(level *slog.LevelVar, parse func(string) (slog.Level, error)) {
	r.Add(Command{Name: "set-log-level", Usage: "set-log-level <debug|info|warn|error>",
		Help: "change the server's log level until restart",
		Run: func(_ context.Context, args []string) (string, error) {
			if len(args) != 1 {
				return "", fmt.Errorf("want one level")
			}
			lv, err := parse(args[0])
			if err != nil {
				return "", err
			}
			old := level.Level()
			level.Set(lv)
			return fmt.Sprintf("log level changed from %s to %s", old, lv), nil
		}})
	r.Add(Command{Name: "get-log-level", Usage: "get-log-level", Help: "show the server's log level",
		Run: func(context.Context, []string) (string, error) { return level.Level().String(), nil }})
}

// Add registers c, replacing a command of the same name.
func (r *Registry) Add(c Command) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cmds[c.Name] = c
}

// Call runs a command and returns its text answer, which is also what an
// unknown command or a failed one answers.
func (r *Registry) Call(ctx context.Context, name string, args []string) string {
	r.mu.RLock()
	c, ok := r.cmds[name]
	r.mu.RUnlock()
	if !ok {
		return fmt.Sprintf("unknown command '%s'", name)
	}
	out, err := c.Run(ctx, args)
	if err != nil {
		return fmt.Sprintf("ERROR: %v\nusage: %s", err, c.Usage)
	}
	return out
}

func (r *Registry) help(args []string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(args) > 0 {
		if c, ok := r.cmds[args[0]]; ok {
			return fmt.Sprintf("%s\n  %s", c.Usage, c.Help)
		}
		return fmt.Sprintf("unknown command '%s'", args[0])
	}
	names := make([]string, 0, len(r.cmds))
	for n := range r.cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%-32s %s\n", r.cmds[n].Usage, r.cmds[n].Help)
	}
	return b.String()
}

// Register installs the RPC_CLI_CLI_CALL handler on rs.
func (r *Registry) Register(rs *rpc.Server) {
	rs.Handle(catalog.RPC_CLI_CLI_CALL, func(ctx context.Context, req *rpc.Request) rpc.Reply {
		args := cmd.NewRemoteCmdCallArgs()
		if err := req.DecodeArgs(args); err != nil || args.Cmd == nil {
			return rpc.Fail(base.ERR_INVALID_DATA)
		}
		out := r.Call(ctx, args.Cmd.Cmd, args.Cmd.Arguments)
		return rpc.OK(&cmd.RemoteCmdCallResult{Success: &out})
	})
}
