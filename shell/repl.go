package shell

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	prompt "github.com/c-bata/go-prompt"
	"golang.org/x/term"
)

// RunREPL runs the interactive shell on the terminal until Ctrl-D or
// `exit`, keeping history in historyPath ("" for none). Ctrl-C clears the
// line being typed, or cancels the running command; the terminal's
// settings are restored however the shell ends.
func RunREPL(s *Session, historyPath string) int {
	fd := int(os.Stdin.Fd())
	saved, err := term.GetState(fd)
	if err == nil {
		defer term.Restore(fd, saved)
	}
	// Signals: SIGINT cancels the running command (while a line is being
	// typed the terminal is in raw mode and Ctrl-C arrives as a key);
	// SIGTERM and SIGHUP end the shell with the terminal restored.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		for sig := range sigs {
			if sig == os.Interrupt {
				s.Cancel()
				continue
			}
			if saved != nil {
				term.Restore(fd, saved)
			}
			os.Exit(128 + int(sig.(syscall.Signal)))
		}
	}()

	hist := loadHistory(historyPath, s.cfg.HistorySize)
	s.banner()
	// Prefetch the tables so that the first completion has them.
	go s.live.values(KindTable)

	entered := false
	markEnter := func(*prompt.Buffer) { entered = true }
	p := prompt.New(func(string) {}, s.completer,
		prompt.OptionLivePrefix(func() (string, bool) { return s.Prompt(), true }),
		prompt.OptionTitle("pegasus-shell"),
		prompt.OptionParser(newKeyParser()),
		prompt.OptionHistory(hist),
		prompt.OptionMaxSuggestion(12),
		prompt.OptionAddKeyBind(
			prompt.KeyBind{Key: prompt.Enter, Fn: markEnter},
			prompt.KeyBind{Key: prompt.ControlM, Fn: markEnter},
			prompt.KeyBind{Key: prompt.ControlJ, Fn: markEnter},
		),
	)
	for !s.quit {
		entered = false
		line := p.Input()
		// go-prompt 0.2.6 "restores" the raw settings it saved over the
		// original ones; put the terminal back in its normal mode so that
		// Ctrl-C raises SIGINT while the command runs.
		if saved != nil {
			term.Restore(fd, saved)
		}
		if !entered && line == "" {
			// Ctrl-D on an empty line.
			fmt.Fprintln(s.stdout)
			break
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		appendHistory(historyPath, line)
		s.Exec(context.Background(), line)
	}
	return ExitOK
}

// banner greets an interactive session and checks in with the cluster.
func (s *Session) banner() {
	w := s.stdout
	fmt.Fprintf(w, "Pegasus Shell %s\n", Version)
	fmt.Fprintln(w, "Type \"help\" for the commands, \"help <command>\" for one; Tab completes.")
	fmt.Fprintln(w, "Ctrl-C cancels a running command; Ctrl-D or \"exit\" leaves.")
	fmt.Fprintln(w)
	if p := s.cfg.Path(); p != "" {
		fmt.Fprintf(w, "The config file is: %s\n", p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if info, err := s.admin.ClusterInfo(ctx); err == nil {
		for _, kv := range info {
			if kv[0] == "cluster_name" && kv[1] != "" && s.cluster == "unknown" {
				s.cluster = kv[1]
			}
		}
	} else {
		fmt.Fprintf(s.stderr, "WARNING: no meta server of %s answered yet\n", strings.Join(s.metas, ","))
	}
	fmt.Fprintf(w, "The cluster name is: %s\n", s.cluster)
	fmt.Fprintf(w, "The cluster meta list is: %s\n", strings.Join(s.metas, ","))
}

// defaultHistoryPath is ~/.pegasus_shell_history, or "" without a home.
func defaultHistoryPath() string {
	home := os.Getenv("HOME")
	if home == "" {
		return ""
	}
	return filepath.Join(home, ".pegasus_shell_history")
}

// loadHistory reads the last size lines of the history file.
func loadHistory(path string, size int) []string {
	if path == "" {
		return nil
	}
	if size <= 0 {
		size = 1000
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > size {
		lines = lines[len(lines)-size:]
	}
	return lines
}

// appendHistory adds a line to the history file (best effort: a shell
// without a writable home still works).
func appendHistory(path, line string) {
	if path == "" || strings.ContainsAny(line, "\n\r") {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}
