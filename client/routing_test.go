package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/keys"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// keysOfPartition returns n hash keys that map to partition p of count.
func keysOfPartition(p, count, n int) [][]byte {
	var out [][]byte
	for i := 0; len(out) < n; i++ {
		hk := []byte(fmt.Sprintf("k%d", i))
		if int(keys.PartitionIndex(keys.PartitionHash(hk), int32(count))) == p {
			out = append(out, hk)
		}
	}
	return out
}

func TestStaleRouteRecovers(t *testing.T) {
	c := newCluster(t, 2, 4, storage.Options{})
	tb := c.openTable(t)
	ctx := testCtx(t)
	for i := range 40 {
		if err := tb.Set(ctx, key(i), bs("s"), bs(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	counter := keysOfPartition(0, 4, 1)[0]
	if _, err := tb.Incr(ctx, counter, bs("n"), 1); err != nil {
		t.Fatal(err)
	}
	before := c.meta.queries.Load()

	// Every partition of node 0 moves to node 1: the client's cached
	// routes for them now name a server that answers ERR_OBJECT_NOT_FOUND.
	for p := range 4 {
		if c.owner[p] == 0 {
			c.move(t, p, 1)
		}
	}
	// Incr is not idempotent, but a routing error reply proves it did not
	// run, so it is retried on the new server — exactly once.
	if n, err := tb.Incr(ctx, counter, bs("n"), 1); err != nil || n != 2 {
		t.Fatalf("Incr after the move = %d, %v; want 2", n, err)
	}
	for i := range 40 {
		if v, err := tb.Get(ctx, key(i), bs("s")); err != nil || string(v) != fmt.Sprint(i) {
			t.Fatalf("Get %d after the move = %q, %v", i, v, err)
		}
	}
	if n := c.meta.queries.Load() - before; n != 1 {
		t.Fatalf("%d configuration queries after the move, want 1", n)
	}
}

// Many operations failing on the same stale route share one refresh.
func TestRefreshIsCoalesced(t *testing.T) {
	c := newCluster(t, 2, 2, storage.Options{})
	tb := c.openTable(t)
	ctx := testCtx(t)
	hks := keysOfPartition(0, 2, 32)
	for _, hk := range hks {
		if err := tb.Set(ctx, hk, bs("s"), hk); err != nil {
			t.Fatal(err)
		}
	}
	before := c.meta.queries.Load()
	c.move(t, 0, 1-c.owner[0])

	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, len(hks))
	for _, hk := range hks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			v, err := tb.Get(ctx, hk, bs("s"))
			if err == nil && string(v) != string(hk) {
				err = fmt.Errorf("Get %s = %q", hk, v)
			}
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := c.meta.queries.Load() - before; n != 1 {
		t.Fatalf("%d configuration queries for %d concurrent stale operations, want 1", n, len(hks))
	}
}

func TestMetaLeaderDiscovery(t *testing.T) {
	c := newCluster(t, 2, 2, storage.Options{})
	ctx := testCtx(t)

	// A follower that names the leader.
	follower := startMeta(t)
	follower.setFollower(c.meta.addr)
	cl := c.client(t, client.Config{MetaServers: []string{follower.addr}})
	tb, err := cl.OpenTable(ctx, c.table)
	if err != nil {
		t.Fatalf("OpenTable through a follower: %v", err)
	}
	if follower.queries.Load() != 1 || c.meta.queries.Load() != 1 {
		t.Fatalf("queries: follower %d, leader %d; want 1 and 1", follower.queries.Load(), c.meta.queries.Load())
	}
	// The leader is remembered: the refresh after a move goes straight to it.
	c.move(t, 0, 1-c.owner[0])
	if err := tb.Set(ctx, keysOfPartition(0, 2, 1)[0], bs("s"), bs("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.OpenTable(ctx, "other"); !errors.Is(err, client.ErrTableNotFound) {
		t.Fatalf("OpenTable of an unknown table: %v", err)
	}
	if n := c.meta.queries.Load(); n != 3 {
		t.Fatalf("leader asked %d times, want 3", n)
	}
	if n := follower.queries.Load(); n != 1 {
		t.Fatalf("follower asked %d times after the leader was known", n)
	}

	// A dead meta and a follower that does not know the leader come first;
	// the client falls back to the other configured metas.
	lost := startMeta(t)
	lost.setFollower("")
	cl2 := c.client(t, client.Config{MetaServers: []string{deadAddr(t), lost.addr, c.meta.addr}})
	if _, err := cl2.OpenTable(ctx, c.table); err != nil {
		t.Fatalf("OpenTable past a dead meta and a follower without a leader: %v", err)
	}
	if lost.queries.Load() != 1 {
		t.Fatalf("leaderless follower asked %d times", lost.queries.Load())
	}
}

func TestMetaHungIsSkipped(t *testing.T) {
	c := newCluster(t, 1, 2, storage.Options{})
	rs := rpc.NewServer(rpc.ServerOptions{})
	rs.Handle(catalog.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX, func(ctx context.Context, req *rpc.Request) rpc.Reply {
		<-ctx.Done() // never answers
		return rpc.Reply{Silent: true}
	})
	hung, _ := serve(t, rs)
	cl := c.client(t, client.Config{MetaServers: []string{hung, c.meta.addr}, MetaCallTimeout: 200 * time.Millisecond})
	start := time.Now()
	if _, err := cl.OpenTable(testCtx(t), c.table); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 3*time.Second {
		t.Fatalf("OpenTable took %v; want about the 200ms meta call timeout", d)
	}
}

func TestAllMetasDown(t *testing.T) {
	cl := client.New(client.Config{MetaServers: []string{deadAddr(t), deadAddr(t)}})
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := cl.OpenTable(ctx, "temp")
	d := time.Since(start)
	if !errors.Is(err, client.ErrMetaUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("OpenTable with every meta down: %v; want ErrMetaUnavailable and DeadlineExceeded", err)
	}
	if d < 350*time.Millisecond || d > 3*time.Second {
		t.Fatalf("OpenTable gave up after %v; want about the 400ms deadline", d)
	}
	t.Logf("error: %v", err)

	if _, err := client.New(client.Config{}).OpenTable(ctx, "temp"); !errors.Is(err, client.ErrMetaUnavailable) {
		t.Fatalf("OpenTable without metas: %v", err)
	}
}

func TestUnknownTable(t *testing.T) {
	c := newCluster(t, 1, 1, storage.Options{})
	cl := c.client(t, client.Config{})
	start := time.Now()
	_, err := cl.OpenTable(testCtx(t), "nonexistent")
	if !errors.Is(err, client.ErrTableNotFound) {
		t.Fatalf("OpenTable of an unknown table: %v, want ErrTableNotFound", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("an unknown table took %v to report", d)
	}
	// A table with a single partition works.
	tb, err := cl.OpenTable(testCtx(t), c.table)
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Set(testCtx(t), bs("h"), bs("s"), bs("v")); err != nil {
		t.Fatal(err)
	}
}

func TestDeadReplicaServer(t *testing.T) {
	c := newCluster(t, 2, 2, storage.Options{})
	tb := c.openTable(t)
	ctx := testCtx(t)
	onDead, onLive := keysOfPartition(1, 2, 1)[0], keysOfPartition(0, 2, 1)[0]
	if c.owner[1] != 1 || c.owner[0] != 0 {
		t.Fatal("unexpected placement")
	}
	for _, hk := range [][]byte{onDead, onLive} {
		if err := tb.Set(ctx, hk, bs("s"), bs("v")); err != nil {
			t.Fatal(err)
		}
	}
	c.nodes[1].stop()

	short, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := tb.Get(short, onDead, bs("s"))
	d := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get from a dead server: %v, want DeadlineExceeded", err)
	}
	if d > 3*time.Second {
		t.Fatalf("Get from a dead server returned after %v, deadline 300ms", d)
	}
	t.Logf("error: %v", err)
	if v, err := tb.Get(ctx, onLive, bs("s")); err != nil || string(v) != "v" {
		t.Fatalf("Get from the live server = %q, %v", v, err)
	}

	// The partition comes back elsewhere while an operation is retrying.
	done := make(chan error, 1)
	queried := c.meta.queries.Load()
	go func() {
		v, err := tb.Get(ctx, onDead, bs("s"))
		if err == nil && string(v) != "v" {
			err = fmt.Errorf("got %q", v)
		}
		done <- err
	}()
	// Move only once the operation has failed and asked the meta again.
	waitFor(t, "the Get to refresh its route", func() bool { return c.meta.queries.Load() > queried })
	c.move(t, 1, 0)
	if err := <-done; err != nil {
		t.Fatalf("Get while the partition moved off a dead server: %v", err)
	}
}

func TestPartitionWithoutPrimary(t *testing.T) {
	c := newCluster(t, 1, 2, storage.Options{})
	tb := c.openTable(t)
	hk := keysOfPartition(1, 2, 1)[0]
	c.closePartition(t, 1)

	short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := tb.Set(short, hk, bs("s"), bs("v"))
	if !errors.Is(err, client.ErrPartitionUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Set to a partition without primary: %v", err)
	}
	// The other partition is unaffected.
	ctx := testCtx(t)
	if err := tb.Set(ctx, keysOfPartition(0, 2, 1)[0], bs("s"), bs("v")); err != nil {
		t.Fatal(err)
	}
	// The partition gets a primary again while a write waits.
	done := make(chan error, 1)
	queried := c.meta.queries.Load()
	go func() { done <- tb.Set(ctx, hk, bs("s"), bs("v")) }()
	waitFor(t, "the Set to refresh its route", func() bool { return c.meta.queries.Load() > queried })
	c.move(t, 1, 0)
	if err := <-done; err != nil {
		t.Fatalf("Set once the primary is back: %v", err)
	}
}

// fakeReplica accepts connections, reads a request and drops the
// connection without answering.
type fakeReplica struct {
	addr     string
	requests atomic.Int64
}

func startDroppingReplica(t *testing.T) *fakeReplica {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeReplica{addr: l.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				var hdr [48]byte
				if _, err := io.ReadFull(nc, hdr[:]); err == nil {
					f.requests.Add(1)
				}
			}()
		}
	}()
	return f
}

// A connection lost after the request went out: a read is retried, a
// non-idempotent write is not (it may have executed).
func TestConnectionLossRetryPolicy(t *testing.T) {
	c := newCluster(t, 1, 1, storage.Options{})
	fake := startDroppingReplica(t)
	c.meta.setPrimary(c.table, 0, fake.addr)
	tb := c.openTable(t)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := tb.Incr(ctx, bs("h"), bs("n"), 1)
	if !errors.Is(err, rpc.ErrConnClosed) {
		t.Fatalf("Incr over a dropped connection: %v, want ErrConnClosed", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Incr was retried for %v", d)
	}
	if n := fake.requests.Load(); n != 1 {
		t.Fatalf("Incr sent %d times, want 1", n)
	}
	for _, f := range []func(context.Context) error{
		func(ctx context.Context) error {
			_, err := tb.CheckAndSet(ctx, bs("h"), nil, client.CheckTypeNoCheck, nil, nil, nil, nil)
			return err
		},
		func(ctx context.Context) error {
			_, err := tb.CheckAndMutate(ctx, bs("h"), nil, client.CheckTypeNoCheck, nil, (&client.Mutations{}).Del(nil), nil)
			return err
		},
	} {
		before := fake.requests.Load()
		if err := f(ctx); !errors.Is(err, rpc.ErrConnClosed) {
			t.Fatalf("check-and-write over a dropped connection: %v", err)
		}
		if n := fake.requests.Load() - before; n != 1 {
			t.Fatalf("check-and-write sent %d times, want 1", n)
		}
	}

	short, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	before := fake.requests.Load()
	if _, err := tb.Get(short, bs("h"), bs("n")); !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, rpc.ErrConnClosed) {
		t.Fatalf("Get over dropped connections: %v", err)
	}
	if n := fake.requests.Load() - before; n < 2 {
		t.Fatalf("Get sent %d times, want retries", n)
	}
}

func TestClose(t *testing.T) {
	c := newCluster(t, 1, 1, storage.Options{})
	cl := c.client(t, client.Config{})
	tb, err := cl.OpenTable(testCtx(t), c.table)
	if err != nil {
		t.Fatal(err)
	}
	// An operation waiting for a refresh that cannot finish (the meta and
	// the replica are gone) ends when the client closes.
	c.meta.stop()
	c.nodes[0].stop()
	done := make(chan error, 1)
	go func() {
		_, err := tb.Get(context.Background(), bs("h"), bs("s"))
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := cl.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Close took %v", d)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Get succeeded without a server")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("an operation outlived Close")
	}
	if _, err := tb.Get(testCtx(t), bs("h"), bs("s")); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	if _, err := cl.OpenTable(testCtx(t), c.table); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("OpenTable after Close: %v", err)
	}
	if err := cl.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// A replica server that accepts requests but never answers (a stopped
// process) reveals nothing; an operation timing out on it makes the table
// refresh in the background, so later operations find the new primary.
func TestHungReplicaTriggersRefresh(t *testing.T) {
	c := newCluster(t, 1, 1, storage.Options{})
	rs := rpc.NewServer(rpc.ServerOptions{})
	rs.Handle(catalog.RPC_RRDB_RRDB_GET, func(ctx context.Context, req *rpc.Request) rpc.Reply {
		<-ctx.Done()
		return rpc.Reply{Silent: true}
	})
	hung, _ := serve(t, rs)
	live := c.nodes[0].addr
	c.meta.setPrimary(c.table, 0, hung)
	tb := c.openTable(t)
	c.meta.setPrimary(c.table, 0, live)
	before := c.meta.queries.Load()

	short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := tb.Get(short, bs("h"), bs("s")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get from a hung server: %v", err)
	}
	waitFor(t, "a background refresh", func() bool { return c.meta.queries.Load() > before })
	waitFor(t, "the new route", func() bool {
		_, err := tb.Get(testCtx(t), bs("h"), bs("s"))
		return err == nil
	})
}

func TestTableDropped(t *testing.T) {
	c := newCluster(t, 1, 1, storage.Options{})
	tb := c.openTable(t)
	ctx := testCtx(t)
	if err := tb.Set(ctx, bs("h"), bs("s"), bs("v")); err != nil {
		t.Fatal(err)
	}
	c.closePartition(t, 0)
	c.meta.mu.Lock()
	delete(c.meta.tables, c.table)
	c.meta.mu.Unlock()
	start := time.Now()
	if _, err := tb.Get(ctx, bs("h"), bs("s")); !errors.Is(err, client.ErrTableNotFound) {
		t.Fatalf("Get from a dropped table: %v, want ErrTableNotFound", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("a dropped table took %v to report", d)
	}
}
