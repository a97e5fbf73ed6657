package shell

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pegasus-go/pegasus/admin"
)

func init() {
	register(
		&Command{Name: "help", Group: "session", Summary: "list the commands, or show one command's help",
			Help: "Without an argument, lists every command with a one-line summary, by group.\n" +
				"With a command name, prints its usage, flags and description (as `<cmd> --help` does).",
			Args: []Arg{{Name: "command", Optional: true, Repeated: true, Kind: KindCommand}},
			Run:  runHelp},
		&Command{Name: "version", Group: "session", Summary: "print the shell's version", JSON: true,
			Run: func(c *Call) error {
				return c.Emit(map[string]string{"version": Version}, func(w io.Writer) {
					fmt.Fprintf(w, "Pegasus Shell %s (pegasus-go)\n", Version)
				})
			}},
		&Command{Name: "exit", Aliases: []string{"quit"}, Group: "session", Summary: "leave the shell",
			Help: "Ends the session (Ctrl-D does the same at the prompt). In scripts, the remaining commands are not run.",
			Run:  func(c *Call) error { c.s.quit = true; return nil }},
		&Command{Name: "use", Group: "session", Summary: "set or show the current table",
			Help: "With a table name, checks that the table exists and makes it the current table: data\n" +
				"commands and env commands run on it, and the prompt shows it. Without one, prints the\n" +
				"current table.",
			Args: []Arg{{Name: "app_name", Optional: true, Kind: KindTable}},
			Run:  runUse},
		&Command{Name: "cc", Group: "session", Summary: "change to another cluster",
			Help: "Connects to a cluster named in the config file's [clusters], or to a comma-separated\n" +
				"list of meta servers (host:port). The current table is kept.",
			Args: []Arg{{Name: "cluster_name", Kind: KindCluster}},
			Run:  runCC},
		&Command{Name: "escape_all", Group: "session", Summary: "show or set how keys and values are printed",
			Help: "false (the default): printable ASCII as is, C escapes and \\xHH for other bytes.\n" +
				"true: every byte as \\xHH.",
			Args: []Arg{{Name: "true|false", Optional: true, Kind: KindBool}},
			Run:  runEscapeAll},
		&Command{Name: "timeout", Group: "session", Summary: "show or set the data operation timeout",
			Help: "The timeout, in milliseconds, of each data operation (default 5000). Scans take their\n" +
				"own -t|--timeout_ms for each round trip.",
			Args: []Arg{{Name: "time_in_ms", Optional: true}},
			Run:  runTimeout},
	)
}

func runHelp(c *Call) error {
	if len(c.args) > 0 {
		cmd, rest := lookupWords(c.args)
		if cmd == nil || len(rest) > 0 {
			msg := fmt.Sprintf("ERROR: invalid subcommand '%s'", c.args[0])
			if m := closest(c.args[0]); m != "" {
				msg += fmt.Sprintf(", did you mean '%s'?", m)
			}
			return &failure{msg: msg, code: ExitUsage}
		}
		cmd.writeHelp(c.out)
		return nil
	}
	w := c.out
	width := 0
	for _, cmd := range commands {
		width = max(width, len(cmd.Name))
	}
	fmt.Fprintln(w, "Usage: <command> [arguments] — `help <command>` or `<command> --help` for details.")
	sorted := append([]*Command(nil), commands...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s:\n", g)
		for _, cmd := range sorted {
			if cmd.Group == g {
				fmt.Fprintf(w, "  %-*s  %s\n", width, cmd.Name, cmd.Summary)
			}
		}
	}
	return nil
}

func runUse(c *Call) error {
	if len(c.args) == 0 {
		if c.s.table == "" {
			c.Printf("Current app not specified.")
			return nil
		}
		c.Printf("Current app: %s", c.s.table)
		return nil
	}
	name := c.args[0]
	ctx, cancel := c.adminCtx()
	defer cancel()
	if _, err := c.s.route(ctx, name, true); err != nil {
		if admin.IsNotFound(err) {
			return failf(err, "ERROR: table '%s' does not exist (ERR_OBJECT_NOT_FOUND)", name)
		}
		return failf(err, "ERROR: use %s failed, error=%s", name, describe(err))
	}
	c.s.table = name
	c.Errf("OK")
	return nil
}

func runCC(c *Call) error {
	name, metas, err := c.s.cfg.Resolve(c.args[0])
	if err != nil {
		return failf(err, "ERROR: %v", err)
	}
	c.s.connect(name, metas)
	c.s.live.reset()
	c.Errf("The cluster name is: %s", name)
	c.Errf("The cluster meta list is: %s", strings.Join(metas, ","))
	return nil
}

func runEscapeAll(c *Call) error {
	if len(c.args) == 0 {
		c.Printf("Current escape_all: %v.", c.s.escapeAll)
		return nil
	}
	switch strings.ToLower(c.args[0]) {
	case "true":
		c.s.escapeAll = true
	case "false":
		c.s.escapeAll = false
	default:
		return usagef("invalid parameter.")
	}
	c.Errf("OK")
	return nil
}

func runTimeout(c *Call) error {
	if len(c.args) == 0 {
		c.Printf("Current timeout: %d ms.", c.s.timeout.Milliseconds())
		return nil
	}
	ms, err := strconv.ParseInt(c.args[0], 10, 64)
	if err != nil || ms <= 0 {
		return usagef("invalid timeout '%s', should be a positive number of milliseconds", c.args[0])
	}
	c.s.timeout = time.Duration(ms) * time.Millisecond
	c.Errf("OK")
	return nil
}
