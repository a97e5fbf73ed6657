// Package zktest gives a test its own ZooKeeper server: a real one from
// Debian's zookeeper package, on a loopback address the test chooses,
// with its data under t.TempDir(), stopped when the test ends (also when
// it fails). A machine without ZooKeeper fails the test with a message
// that says how to install it; nothing is skipped.
package zktest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/metastore/zkserver"
)

// Server is a ZooKeeper server owned by one test.
type Server struct {
	t    testing.TB
	cfg  zkserver.Config
	Addr string
}

// Start starts a server on addr (host:port; give every test package a port
// of its own, since packages run in parallel).
func Start(t testing.TB, addr string) *Server {
	t.Helper()
	if err := zkserver.Installed(); err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, cfg: zkserver.Config{Dir: t.TempDir(), Address: addr}, Addr: addr}
	t.Cleanup(func() {
		if err := zkserver.Stop(s.cfg.Dir, 10*time.Second); err != nil {
			t.Errorf("stop ZooKeeper: %v", err)
		}
		if t.Failed() {
			t.Logf("--- ZooKeeper log (tail) ---\n%s", s.logTail())
		}
	})
	s.start()
	return s
}

func (s *Server) start() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := zkserver.Start(ctx, s.cfg); err != nil {
		s.t.Fatalf("start ZooKeeper on %s: %v", s.Addr, err)
	}
}

// Stop stops the server (SIGTERM); its data stays for Restart.
func (s *Server) Stop() {
	s.t.Helper()
	if err := zkserver.Stop(s.cfg.Dir, 10*time.Second); err != nil {
		s.t.Fatalf("stop ZooKeeper: %v", err)
	}
}

// Kill ends the server with SIGKILL; its data stays for Restart.
func (s *Server) Kill() {
	s.t.Helper()
	if err := zkserver.Kill(s.cfg.Dir); err != nil {
		s.t.Fatalf("kill ZooKeeper: %v", err)
	}
}

// Restart starts the stopped server again on the same address and data.
func (s *Server) Restart() { s.start() }

func (s *Server) logTail() string {
	b, err := os.ReadFile(zkserver.LogFile(s.cfg.Dir))
	if err != nil {
		return "(no log)"
	}
	if len(b) > 6000 {
		b = b[len(b)-6000:]
	}
	return string(b)
}
