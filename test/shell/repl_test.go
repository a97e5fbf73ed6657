package shelltest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/client"
)

// pane is a tmux session on a server of its own, killed when the test ends.
type pane struct {
	t      *testing.T
	socket string
}

func tmux(t *testing.T, socket string, args ...string) string {
	t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", socket}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux %q: %v: %s", args, err, out)
	}
	return string(out)
}

// newPane runs command in a fresh 200x50 tmux session.
func newPane(t *testing.T, name, command string) *pane {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: `make deps` installs it")
	}
	socket := fmt.Sprintf("pegasus-shell-test-%d-%s", os.Getpid(), name)
	t.Cleanup(func() { exec.Command("tmux", "-L", socket, "kill-server").Run() })
	tmux(t, socket, "new-session", "-d", "-s", "main", "-x", "200", "-y", "50", command)
	return &pane{t: t, socket: socket}
}

func (p *pane) keys(keys ...string) {
	p.t.Helper()
	tmux(p.t, p.socket, append([]string{"send-keys", "-t", "main"}, keys...)...)
}

func (p *pane) screen() string {
	out, err := exec.Command("tmux", "-L", p.socket, "capture-pane", "-p", "-t", "main").CombinedOutput()
	if err != nil {
		return "" // the session ended
	}
	return string(out)
}

// waitFor polls the screen until ok holds, failing after timeout.
func (p *pane) waitFor(what string, timeout time.Duration, ok func(screen string) bool) string {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := p.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("waiting for %s; screen:\n%s", what, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *pane) waitText(text string, timeout time.Duration) string {
	p.t.Helper()
	return p.waitFor(fmt.Sprintf("%q", text), timeout, func(s string) bool { return strings.Contains(s, text) })
}

func waitFile(t *testing.T, path string, timeout time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return b
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s was not written", path)
	return nil
}

func TestREPL(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: `make deps` installs it")
	}
	b := startBox(t, 24)
	meta := b.MetaServers()[0]
	if r := runShell(t, nil, "", "-m", meta, "-e", "create repl_table_one -p 2 -r 1; create repl_big -p 4 -r 1; create repl_drop -p 1 -r 1"); r.code != 0 {
		t.Fatalf("create: %v", r)
	}
	fill(t, meta, "repl_big", 200, 500)
	home := t.TempDir()
	shellCmd := fmt.Sprintf("env HOME=%s TERM=xterm %s -m %s", home, shellBinary, meta)

	t.Run("completion, use and the prompt", func(t *testing.T) {
		p := newPane(t, "use", shellCmd)
		p.waitText(">>>", 20*time.Second)
		p.keys("use repl_t")
		// The suggestion list under the prompt offers the live table name.
		p.waitFor("table name suggestion", 10*time.Second, func(s string) bool {
			for _, line := range strings.Split(s, "\n") {
				if strings.Contains(line, "repl_table_one") && !strings.Contains(line, ">>>") {
					return true
				}
			}
			return false
		})
		p.keys("able_one", "Enter")
		p.waitText("onebox/repl_table_one >>>", 10*time.Second)
		p.keys("ls --deta")
		p.waitText("--detailed", 10*time.Second)
		p.keys("C-u")
		p.keys("use no_such_table", "Enter")
		s := p.waitText("does not exist", 10*time.Second)
		if !strings.Contains(s, "onebox/repl_table_one >>>") {
			t.Errorf("a failed use must keep the current table:\n%s", s)
		}
		p.keys("exit", "Enter")
	})

	t.Run("dangerous commands ask on a terminal", func(t *testing.T) {
		p := newPane(t, "confirm", shellCmd)
		p.waitText(">>>", 20*time.Second)
		p.keys("drop repl_drop", "Enter")
		p.waitText("[y/n]:", 10*time.Second)
		p.keys("n", "Enter")
		p.waitText("drop app repl_drop cancelled", 10*time.Second)
		p.keys("drop repl_drop", "Enter")
		p.waitFor("a second question", 10*time.Second, func(s string) bool { return strings.Count(s, "[y/n]:") == 2 })
		p.keys("y", "Enter")
		p.waitText("drop app repl_drop succeed", 10*time.Second)
	})

	t.Run("history survives a restart", func(t *testing.T) {
		p := newPane(t, "hist1", shellCmd)
		p.waitText(">>>", 20*time.Second)
		p.keys("timeout 4321", "Enter")
		p.waitText("OK", 10*time.Second)
		p.keys("C-d")
		waitFile(t, filepath.Join(home, ".pegasus_shell_history"), 10*time.Second)
		q := newPane(t, "hist2", shellCmd)
		q.waitText(">>>", 20*time.Second)
		q.keys("Up")
		q.waitText(">>> timeout 4321", 10*time.Second)
	})

	t.Run("Ctrl-C cancels a long scan, not the shell", func(t *testing.T) {
		p := newPane(t, "cancel", shellCmd)
		p.waitText(">>>", 20*time.Second)
		p.keys("use repl_big", "Enter")
		p.waitText("onebox/repl_big >>>", 10*time.Second)
		// One row per round trip: the scan of 100000 rows takes seconds
		// (its progress bar is on the terminal meanwhile).
		out := filepath.Join(t.TempDir(), "rows.txt")
		p.keys("full_scan --batch_size 1 -o "+out, "Enter")
		p.waitText("no_value: false", 20*time.Second)
		time.Sleep(300 * time.Millisecond)
		p.keys("C-c")
		s := p.waitText("ERROR: cancelled", 20*time.Second)
		if strings.Contains(s, "100000 key-value pairs got") {
			t.Errorf("the scan finished instead of being cancelled:\n%s", s)
		}
		p.keys("version", "Enter")
		p.waitText("(pegasus-go)", 10*time.Second)
	})

	t.Run("Ctrl-D exits and restores the terminal", func(t *testing.T) {
		dir := t.TempDir()
		script := fmt.Sprintf("stty -g > %[1]s/before; %[2]s; echo $? > %[1]s/code; stty -g > %[1]s/after; sleep 60",
			dir, shellCmd)
		p := newPane(t, "eof", "sh -c '"+script+"'")
		p.waitText(">>>", 20*time.Second)
		p.keys("ls -d")
		p.waitText("--detailed", 10*time.Second) // the suggestion list is up
		p.keys("C-u", "C-d")
		code := waitFile(t, filepath.Join(dir, "code"), 10*time.Second)
		if strings.TrimSpace(string(code)) != "0" {
			t.Errorf("exit status %s", code)
		}
		before, _ := os.ReadFile(filepath.Join(dir, "before"))
		after := waitFile(t, filepath.Join(dir, "after"), 10*time.Second)
		if string(before) != string(after) {
			t.Errorf("terminal settings changed:\nbefore %safter  %s", before, after)
		}
	})
}

// fill writes hashKeys × sortKeys rows into table.
func fill(t *testing.T, meta, table string, hashKeys, sortKeys int) {
	t.Helper()
	c := client.New(client.Config{MetaServers: []string{meta}})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tb, err := c.OpenTable(ctx, table)
	if err != nil {
		t.Fatal(err)
	}
	for h := range hashKeys {
		var sks, vs [][]byte
		for s := range sortKeys {
			sks = append(sks, fmt.Appendf(nil, "sk%05d", s))
			vs = append(vs, fmt.Appendf(nil, "value-%d-%d", h, s))
		}
		if err := tb.MultiSet(ctx, fmt.Appendf(nil, "hk%04d", h), sks, vs); err != nil {
			t.Fatal(err)
		}
	}
}
