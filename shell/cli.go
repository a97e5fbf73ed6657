package shell

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"
)

// cliCommand describes pegasus-shell's own flags, parsed like a command's.
var cliCommand = &Command{
	Name: "pegasus-shell",
	Args: []Arg{{Name: "config_file", Optional: true}, {Name: "cluster_name", Optional: true}},
	Flags: []Flag{
		{Short: "m", Long: "cluster", Value: "name|h:p,h:p", Help: "a cluster name from the config, or meta servers (default: the config's default_cluster, else 127.0.0.1:34601)"},
		{Short: "n", Long: "cluster_name", Value: "name", Help: "a cluster name from the config"},
		{Short: "c", Long: "config", Value: "file", Help: "the config file (default: $PEGASUS_SHELL_CONFIG, ~/.pegasus-shell.toml, conf/shell.toml beside bin/)"},
		{Short: "e", Long: "execute", Value: "\"cmd; cmd\"", Help: "run these commands and exit (repeatable)"},
		{Short: "f", Long: "file", Value: "script", Help: "run the commands of a script file and exit"},
		{Short: "k", Long: "keep-going", Help: "with -e and -f, run every command even after one failed"},
		{Short: "j", Long: "json", Help: "print JSON for every command that prints data"},
		{Short: "y", Long: "yes", Help: "answer yes to every confirmation"},
		{Short: "t", Long: "timeout_ms", Value: "ms", Help: "data operation timeout (default 5000)"},
		{Long: "history", Value: "file", Help: "history file of the REPL (default ~/.pegasus_shell_history; \"\" for none)"},
		{Short: "v", Long: "version", Help: "print the version and exit"},
	},
}

const cliUsage = `pegasus-shell — the Pegasus admin shell

  pegasus-shell [flags]                      interactive on a terminal; commands from stdin otherwise
  pegasus-shell [flags] -e "use t; get a b"  run commands and exit
  pegasus-shell [flags] -f script.txt        run a script and exit
  pegasus-shell <config_file> <cluster_name> upstream's binary form

Exit status: 0 ok, 1 a command failed, 2 usage (unknown command, bad flags, no
table selected), 3 cluster unreachable, 130 interrupted. -e and -f stop at the
first failure (unless --keep-going); standard input runs every line and exits
with the status of the first failure. doctor grades the cluster instead: 0
healthy, 1 warnings, 2 critical (pegasus-shell -e doctor for cron/monitoring).

Flags:
`

// Main runs pegasus-shell with command-line arguments args and returns the
// process exit status.
func Main(args []string) int {
	stdout, stderr := io.Writer(os.Stdout), io.Writer(os.Stderr)
	p, err := parseArgs(cliCommand, args)
	if err != nil || p.help {
		w := stdout
		if err != nil {
			w = stderr
			fmt.Fprintf(stderr, "pegasus-shell: %v\n", err)
		}
		fmt.Fprint(w, cliUsage)
		for _, f := range cliCommand.Flags {
			fmt.Fprintf(w, "  %-32s %s\n", flagCol(f), f.Help)
		}
		if err != nil {
			return ExitUsage
		}
		return ExitOK
	}
	if p.values["version"] == "true" {
		fmt.Fprintf(stdout, "Pegasus Shell %s (pegasus-go)\n", Version)
		return ExitOK
	}
	cfgPath := p.values["config"]
	cluster := p.values["cluster"]
	if len(p.args) > 0 {
		cfgPath = p.args[0]
	}
	if len(p.args) > 1 {
		cluster = p.args[1]
	}
	if n := p.values["cluster_name"]; n != "" {
		if cluster != "" {
			fmt.Fprintln(stderr, "pegasus-shell: --cluster and --cluster_name are mutually exclusive")
			return ExitUsage
		}
		cluster = n
	}
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: init pegasus failed: %v\n", err)
		return ExitUsage
	}
	var timeout time.Duration
	if v, ok := p.values["timeout_ms"]; ok {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms <= 0 {
			fmt.Fprintf(stderr, "pegasus-shell: invalid --timeout_ms %s\n", v)
			return ExitUsage
		}
		timeout = time.Duration(ms) * time.Millisecond
	}
	stdinTTY := term.IsTerminal(int(os.Stdin.Fd()))
	stdoutTTY := term.IsTerminal(int(os.Stdout.Fd()))
	opts := Options{
		Config: cfg, Cluster: cluster, Stdout: stdout, Stderr: stderr,
		ProgressBars: term.IsTerminal(int(os.Stderr.Fd())),
		JSON:         p.values["json"] == "true", Yes: p.values["yes"] == "true", Timeout: timeout,
	}
	keepGoing := p.values["keep-going"] == "true"
	var cmds []string
	for _, e := range p.all["execute"] {
		cmds = append(cmds, splitCommands(e)...)
	}
	script := p.values["file"]
	mode := "repl"
	switch {
	case len(p.all["execute"]) > 0:
		mode = "execute"
		if stdinTTY && stdoutTTY {
			opts.Terminal, opts.Input = true, ttyReader{out: stderr}
		}
	case script != "":
		mode = "file"
	case !stdinTTY:
		mode = "stdin"
	}
	var in *ScriptReader
	switch mode {
	case "file":
		f, err := os.Open(script)
		if err != nil {
			fmt.Fprintf(stderr, "pegasus-shell: %v\n", err)
			return ExitUsage
		}
		defer f.Close()
		in = NewScriptReader(f)
		opts.Input = in
	case "stdin":
		in = NewScriptReader(os.Stdin)
		opts.Input = in
	case "repl":
		opts.Terminal, opts.Input = true, ttyReader{out: stdout}
	}
	s, err := NewSession(opts)
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: init pegasus failed: %v\n", err)
		return ExitUsage
	}
	defer s.Close()
	if mode == "repl" {
		history, ok := p.values["history"]
		if !ok {
			history = defaultHistoryPath()
		}
		return RunREPL(s, history)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch mode {
	case "execute":
		return s.RunCommands(ctx, cmds, keepGoing)
	case "file":
		return s.RunScript(ctx, in, !keepGoing)
	default:
		return s.RunScript(ctx, in, false)
	}
}

// ttyReader reads an answer from the terminal in its normal (cooked)
// mode: the REPL's line editor is not active while a command runs.
type ttyReader struct{ out io.Writer }

func (t ttyReader) ReadLine(prompt string) (string, error) {
	fmt.Fprint(t.out, prompt)
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := os.Stdin.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				return strings.TrimRight(b.String(), "\r"), nil
			}
			b.WriteByte(buf[0])
		}
		if err != nil {
			if b.Len() > 0 {
				return b.String(), nil
			}
			return "", io.EOF
		}
	}
}
