package shell

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Exec runs one command line and returns its exit status (exit.go).
func (s *Session) Exec(ctx context.Context, line string) int {
	words, err := splitArgs(line)
	if err != nil {
		fmt.Fprintln(s.stderr, "ERROR: Invalid argument(s): unbalanced quotes")
		return ExitUsage
	}
	if len(words) == 0 {
		return ExitOK
	}
	cmd, rest := lookupWords(words)
	if cmd == nil {
		msg := fmt.Sprintf("ERROR: invalid subcommand '%s'", words[0])
		if subs := subcommands(words[0]); len(subs) > 0 {
			names := make([]string, len(subs))
			for i, sc := range subs {
				names[i] = sc[0]
			}
			fmt.Fprintf(s.stderr, "ERROR: %s needs one of: %s\n", words[0], strings.Join(names, ", "))
			return ExitUsage
		}
		if m := closest(words[0]); m != "" {
			msg += fmt.Sprintf(", did you mean '%s'?", m)
		}
		fmt.Fprintln(s.stderr, msg)
		fmt.Fprintln(s.stderr, "Type 'help' for the list of commands.")
		return ExitUsage
	}
	p, err := parseArgs(cmd, rest)
	if err != nil {
		return s.report(cmd, err)
	}
	if p.help {
		cmd.writeHelp(s.stdout)
		return ExitOK
	}
	if cmd.NeedsTable && s.table == "" {
		fmt.Fprintln(s.stderr, "No app is using now")
		fmt.Fprintln(s.stderr, "USAGE: use [app_name]")
		return ExitUsage
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	s.running = cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = nil
		s.mu.Unlock()
	}()
	c := &Call{ctx: ctx, s: s, cmd: cmd, args: p.args, vals: p.values, out: s.stdout}
	if path, ok := p.values["output"]; ok && cmd.Output {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(s.stderr, "ERROR: open output file %s failed: %v\n", path, err)
			return ExitFailed
		}
		defer f.Close()
		c.out = f
	}
	err = cmd.Run(c)
	if err != nil && ctx.Err() != nil && (errors.Is(err, context.Canceled) || !unreachable(err)) {
		fmt.Fprintln(s.stderr, "ERROR: cancelled")
		return ExitInterrupted
	}
	return s.report(cmd, err)
}

// report prints a command's error, one line (plus the usage line for
// usage errors), and returns the exit status.
func (s *Session) report(cmd *Command, err error) int {
	if err == nil {
		return ExitOK
	}
	var ue *usageError
	var f *failure
	switch {
	case errors.As(err, &ue):
		if ue.msg != "" {
			fmt.Fprintf(s.stderr, "ERROR: %s\n", ue.msg)
		}
		fmt.Fprintf(s.stderr, "USAGE: %s\n", strings.TrimSpace(cmd.Name+" "+cmd.Usage()))
		return ExitUsage
	case unreachable(err):
		fmt.Fprintf(s.stderr, "ERROR: cluster unreachable: no meta server of %s answered (%s)\n", strings.Join(s.metas, ","), s.cluster)
		return ExitUnreachable
	case errors.As(err, &f):
		fmt.Fprintln(s.stderr, f.msg)
		return f.code
	}
	fmt.Fprintf(s.stderr, "ERROR: %s\n", describe(err))
	return ExitFailed
}
