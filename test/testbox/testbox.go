// Package testbox is what the process-level test suites under test/ share:
// building the binaries once per test package, and starting a onebox that
// is stopped when the test ends — also when it fails, when the servers'
// log tails are printed.
package testbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/client"
)

const module = "github.com/pegasus-go/pegasus/cmd/"

// Main is a TestMain: it builds the named commands (e.g. "pegasus-server")
// into a temporary directory, stores each binary's path in *paths[i], runs
// the tests and exits with their status.
func Main(m *testing.M, cmds []string, paths []*string) {
	dir, err := os.MkdirTemp("", "pegasus-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for i, c := range cmds {
		bin := filepath.Join(dir, c)
		build := exec.Command("go", "build", "-o", bin, module+c)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build", c, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
		*paths[i] = bin
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Loopback returns a onebox (not started) whose servers listen on ip with
// the usual ports, so that suites on different 127.0.0.x addresses never
// meet each other or a user's onebox.
func Loopback(t *testing.T, binary, ip string) *onebox.Box {
	t.Helper()
	return &onebox.Box{
		Dir:      filepath.Join(t.TempDir(), "onebox"),
		Binary:   binary,
		Meta:     ip + ":34601",
		Replicas: []string{ip + ":34801", ip + ":34802", ip + ":34803"},
	}
}

// Start starts b within timeout and arranges for it to be stopped when the
// test ends; on failure the tails of the servers' logs (and of extraLogs,
// name → path) are logged.
func Start(t *testing.T, b *onebox.Box, timeout time.Duration, extraLogs map[string]string) {
	t.Helper()
	t.Cleanup(func() {
		if err := b.Stop(10 * time.Second); err != nil {
			t.Errorf("stop onebox: %v", err)
		}
		if t.Failed() {
			for _, name := range b.Processes() {
				LogTail(t, name, filepath.Join(b.Dir, name, "server.log"))
			}
			for name, path := range extraLogs {
				LogTail(t, name, path)
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatalf("start onebox: %v", err)
	}
}

// LogTail logs the last few KB of a log file.
func LogTail(t *testing.T, name, path string) {
	t.Helper()
	log, _ := os.ReadFile(path)
	if len(log) > 6000 {
		log = log[len(log)-6000:]
	}
	t.Logf("--- %s log (tail) ---\n%s", name, log)
}

// OpenTable opens table on b with a client that is closed when the test
// ends.
func OpenTable(t testing.TB, b *onebox.Box, table string) *client.Table {
	t.Helper()
	c := client.New(client.Config{MetaServers: b.MetaServers()})
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tb, err := c.OpenTable(ctx, table)
	if err != nil {
		t.Fatalf("open table %s: %v", table, err)
	}
	return tb
}

// WaitFor polls cond every period until it holds, and fails the test if
// limit (a bound on the wait, not a speed requirement) passes first or the
// test ends; cond's second result describes the state last seen, for the
// failure message.
func WaitFor(t testing.TB, limit, period time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	var last string
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		select {
		case <-t.Context().Done():
			t.Fatalf("%s: %v", what, t.Context().Err())
		case <-time.After(period):
		}
	}
	t.Fatalf("%s: not within %v; last state: %s", what, limit, last)
}

// AdminClient is an admin client of b, closed when the test ends.
func AdminClient(t testing.TB, b *onebox.Box) *admin.Client {
	t.Helper()
	c := admin.New(b.MetaServers())
	t.Cleanup(c.Close)
	return c
}

// DupPair returns the standard duplication pair on ip, not started: A is
// cluster "onebox" (duplication id 1) on ports 34601/34801.., B is
// "onebox2" (id 2) on 35601/35801.., and each server's configuration names
// both clusters. Replica servers report duplication progress every
// second, so that tests watch progress move without long waits.
func DupPair(t *testing.T, binary, ip string) (a, b *onebox.Box) {
	t.Helper()
	boxes := make([]*onebox.Box, 2)
	for i, name := range []string{onebox.DefaultName, onebox.SecondName} {
		box, err := onebox.Named(name, ip, 0, filepath.Join(t.TempDir(), name))
		if err != nil {
			t.Fatalf("onebox %s: %v", name, err)
		}
		box.Binary = binary
		box.Dup = onebox.StandardGroup(ip, ip)
		box.Dup.SyncInterval = time.Second
		boxes[i] = box
	}
	return boxes[0], boxes[1]
}
