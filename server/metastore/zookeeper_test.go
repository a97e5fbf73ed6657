package metastore

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/pegasus-go/pegasus/server/metastore/zkserver/zktest"
)

// Tests of what only the ZooKeeper backend has: a session that can be lost
// and a server that can go away. Each starts its own server.

func openZooKeeper(t *testing.T, servers []string, root string, timeout time.Duration) *ZooKeeper {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := OpenZooKeeper(ctx, ZooKeeperOptions{Servers: servers, SessionTimeout: timeout, Root: root, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// waitSession waits (bounded) until the store's session satisfies ok.
func waitSession(t *testing.T, s *ZooKeeper, what string, within time.Duration, ok func(Session) bool) Session {
	t.Helper()
	deadline := time.After(within)
	for {
		cur := s.Session()
		if ok(cur) {
			return cur
		}
		select {
		case <-cur.Changed:
		case <-deadline:
			t.Fatalf("session %+v after %v, want %s", cur, within, what)
		}
	}
}

func lost(s Session) bool   { return s.State != zk.StateHasSession }
func usable(s Session) bool { return s.State == zk.StateHasSession }

// TestZooKeeperRestart: a server restarted within the session timeout
// keeps the session (ZooKeeper persists sessions), and the data.
func TestZooKeeperRestart(t *testing.T) {
	srv := zktest.Start(t, zkAddress)
	s := openZooKeeper(t, []string{srv.Addr}, "/restart", 6*time.Second)
	ctx := context.Background()
	if err := s.Commit(ctx, []Op{PutOp("/apps/1", []byte("t")), PutOp("/apps/1/0", []byte("p"))}); err != nil {
		t.Fatal(err)
	}
	before := s.Session()

	srv.Kill()
	waitSession(t, s, "lost", 10*time.Second, lost)
	// While the server is down a call fails within its deadline.
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	_, err := s.Get(cctx, "/apps/1")
	cancel()
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("get with the server down: %v after %v", err, time.Since(start))
	}

	srv.Restart()
	after := waitSession(t, s, "usable", 20*time.Second, usable)
	if after.ID != before.ID || after.Gen <= before.Gen {
		t.Errorf("session %#x (gen %d) after the restart, want the same %#x at a later gen than %d",
			after.ID, after.Gen, before.ID, before.Gen)
	}
	step{op: "getv", path: "/apps/1/0", want: "p"}.run(ctx, t, s)
	step{op: "put", path: "/apps/1/0", value: "q"}.run(ctx, t, s)
	step{op: "getv", path: "/apps/1/0", want: "q", version: 1}.run(ctx, t, s)
}

// TestZooKeeperSessionExpiry cuts one client off for longer than its
// session timeout: it sees the disconnection at once, the expiry when it
// reconnects, then works on a new session; its ephemeral node is gone.
func TestZooKeeperSessionExpiry(t *testing.T) {
	srv := zktest.Start(t, zkAddress)
	proxy := zktest.NewProxy(t, srv.Addr)
	timeout := 2 * time.Second
	s := openZooKeeper(t, []string{proxy.Addr}, "/expiry", timeout)
	observer := openZooKeeper(t, []string{srv.Addr}, "/expiry", timeout)
	ctx := context.Background()
	lock := s.ZPath("/lock")
	err := s.Call(ctx, func(c *zk.Conn) error {
		_, err := c.Create(lock, nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	old := s.Session()

	proxy.Cut()
	waitSession(t, s, "lost", 5*time.Second, lost)
	// The server expires the session and deletes its ephemeral node.
	deadline := time.Now().Add(3 * timeout)
	for {
		_, err := observer.Get(ctx, "/lock")
		if errors.Is(err, ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ephemeral node of a cut-off session still there after %v (%v)", 3*timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	proxy.Heal()
	now := waitSession(t, s, "a new session", 10*time.Second, func(s Session) bool { return usable(s) && s.ID != old.ID })
	if now.ID == 0 || now.Gen <= old.Gen {
		t.Fatalf("session after expiry %#x, old %#x", now.ID, old.ID)
	}
	step{op: "put", path: "/after", value: "ok"}.run(ctx, t, s)
	step{op: "get", path: "/after", want: "ok"}.run(ctx, t, observer)
}

// TestZooKeeperConflictWithAnotherWriter: a check against a version
// another client has moved fails the whole commit.
func TestZooKeeperConflictWithAnotherWriter(t *testing.T) {
	srv := zktest.Start(t, zkAddress)
	a := openZooKeeper(t, []string{srv.Addr}, "/conflict", 4*time.Second)
	b := openZooKeeper(t, []string{srv.Addr}, "/conflict", 4*time.Second)
	ctx := context.Background()
	step{op: "put", path: "/epoch", value: "a"}.run(ctx, t, a)
	_, v, err := a.GetWithVersion(ctx, "/epoch")
	if err != nil {
		t.Fatal(err)
	}
	step{op: "commit", ops: []Op{CheckOp("/epoch", v), PutOp("/epoch", []byte("b"))}}.run(ctx, t, b)
	step{op: "commit", ops: []Op{CheckOp("/epoch", v), PutOp("/apps/1", []byte("from a"))}, wantErr: ErrConflict}.run(ctx, t, a)
	step{op: "get", path: "/apps/1", wantErr: ErrNotFound}.run(ctx, t, b)
	// Unconditional writes race safely: the plan is redone when the tree
	// changed between reading it and the multi.
	step{op: "put", path: "/apps/2/0", value: "b"}.run(ctx, t, b)
	step{op: "delete", path: "/apps/2"}.run(ctx, t, a)
	step{op: "put", path: "/apps/2/0", value: "a"}.run(ctx, t, a)
	step{op: "get", path: "/apps/2/0", want: "a"}.run(ctx, t, b)
}

func TestZooKeeperOptions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, o := range []ZooKeeperOptions{
		{},
		{Servers: []string{zkAddress}, Root: "/"},
		{Servers: []string{zkAddress}, Root: "rel"},
	} {
		if s, err := OpenZooKeeper(ctx, o); err == nil {
			s.Close()
			t.Errorf("OpenZooKeeper(%+v) succeeded", o)
		}
	}
	// No server: Open gives up when ctx ends.
	start := time.Now()
	if _, err := OpenZooKeeper(ctx, ZooKeeperOptions{Servers: []string{"127.0.0.1:1"}, Logger: quietLog}); err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("open without a server: %v after %v", err, time.Since(start))
	}
}

// TestZooKeeperHandshakeBounded: a server that takes the connection but
// never answers the handshake is given up on and dialled again well within
// the session timeout (go-zookeeper alone would wait ten receive timeouts,
// 20 s here, on the first connection).
func TestZooKeeperHandshakeBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c // held open, never answered
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	_, err = OpenZooKeeper(ctx, ZooKeeperOptions{Servers: []string{ln.Addr().String()}, SessionTimeout: 3 * time.Second, Logger: quietLog})
	ln.Close()
	if err == nil {
		t.Fatal("a session with a server that never answers")
	}
	n := 0
	for c := range accepted {
		c.Close()
		n++
	}
	if n < 2 {
		t.Errorf("%d connection(s) in 6 s to a server that never answers the handshake, want a new one after each bounded wait", n)
	}
}
