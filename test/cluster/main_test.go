// Package cluster holds the cluster tests: real pegasus-server processes
// (one meta, three replica servers) on loopback addresses 127.0.0.x, driven
// through the Go client and the admin package, with restarts and kills.
package cluster

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

// serverBinary is built once for the whole package.
var serverBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pegasus-cluster-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBinary = filepath.Join(dir, "pegasus-server")
	build := exec.Command("go", "build", "-o", serverBinary, "github.com/pegasus-go/pegasus/cmd/pegasus-server")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build pegasus-server:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startBox starts a onebox on 127.0.0.<host>, stopped when the test ends
// (also when it fails); its logs are printed on failure.
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
				if len(log) > 8000 {
					log = log[len(log)-8000:]
				}
				t.Logf("--- %s log (tail) ---\n%s", name, log)
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatalf("start onebox: %v", err)
	}
	return b
}
