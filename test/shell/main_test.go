// Package shelltest tests pegasus-shell against real clusters: golden
// files of commands and their output (testdata/*.txt, rewritten with
// -rewrite), the binary in its scripted modes (exit codes, JSON, standard
// input, no terminal and no HOME), and the REPL driven through tmux.
package shelltest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin/onebox"
)

// Binaries built once for the package.
var serverBinary, shellBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pegasus-shell-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBinary = filepath.Join(dir, "pegasus-server")
	shellBinary = filepath.Join(dir, "pegasus-shell")
	for bin, pkg := range map[string]string{serverBinary: "./cmd/pegasus-server", shellBinary: "./cmd/pegasus-shell"} {
		build := exec.Command("go", "build", "-o", bin, "github.com/pegasus-go/pegasus/"+pkg[2:])
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build", pkg, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startBox starts a onebox on 127.0.0.<host> (one of 22..29, one per
// test, so that tests never meet a user's onebox or each other), stopped
// when the test ends, also when it fails; logs are printed on failure.
func startBox(t *testing.T, host int) *onebox.Box {
	t.Helper()
	ip := fmt.Sprintf("127.0.0.%d", host)
	b := &onebox.Box{
		Dir:      filepath.Join(t.TempDir(), "onebox"),
		Binary:   serverBinary,
		Meta:     ip + ":34601",
		Replicas: []string{ip + ":34801", ip + ":34802", ip + ":34803"},
	}
	t.Cleanup(func() {
		if err := b.Stop(10 * time.Second); err != nil {
			t.Errorf("stop onebox: %v", err)
		}
		if t.Failed() {
			for _, name := range b.Processes() {
				log, _ := os.ReadFile(filepath.Join(b.Dir, name, "server.log"))
				if len(log) > 4000 {
					log = log[len(log)-4000:]
				}
				t.Logf("--- %s log (tail) ---\n%s", name, log)
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatalf("start onebox: %v", err)
	}
	return b
}
