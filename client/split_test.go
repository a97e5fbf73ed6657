package client_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// Partition split as the client sees it (docs/split.md): the meta fixture
// doubles the table with unregistered children (ballot -1, no primary),
// and a child "registers" by being opened from a checkpoint of its parent
// on the parent's node while the parent starts filtering by the new count
// — the state split-replica's servers reach after registration.

// startSplit doubles the table in the meta fixture: child i+n of every
// parent i has ballot -1 and no primary.
func (c *cluster) startSplit(t *testing.T) {
	t.Helper()
	n := len(c.dirs)
	root := t.TempDir()
	c.meta.mu.Lock()
	defer c.meta.mu.Unlock()
	tc := c.meta.tables[c.table]
	for i := range n {
		c.dirs = append(c.dirs, filepath.Join(root, fmt.Sprint(n+i)))
		c.owner = append(c.owner, -1)
		tc.primaries = append(tc.primaries, "")
		tc.ballots = append(tc.ballots, -1)
	}
}

// registerChild opens child's data (a checkpoint of its parent) on the
// parent's node, makes the parent filter by the doubled count, and lists
// the child in the meta fixture.
func (c *cluster) registerChild(t *testing.T, child int) {
	t.Helper()
	count := len(c.dirs)
	parent := child - count/2
	node := c.owner[parent]
	pr := c.nodes[node].srv.Replica(c.gpid(parent))
	if _, err := pr.Storage().Checkpoint(c.dirs[child]); err != nil {
		t.Fatal(err)
	}
	c.open(t, child, node)
	c.owner[child] = node
	pr.Storage().SetPartitionCount(int32(count))
	c.meta.mu.Lock()
	defer c.meta.mu.Unlock()
	tc := c.meta.tables[c.table]
	tc.primaries[child], tc.ballots[child] = c.nodes[node].addr, 1
	tc.ballots[parent]++
}

// A full scan started before a split returns every record exactly once
// whether a parent's child registers before its share is read, while it is
// read, or not at all.
func TestFullScanAcrossSplit(t *testing.T) {
	for _, scanners := range []int{1, 3} {
		t.Run(fmt.Sprint(scanners, " scanners"), func(t *testing.T) {
			c := newCluster(t, 2, 4, storage.Options{MaxIterationCount: 3})
			tb := c.openTable(t)
			ctx := testCtx(t)
			want := fill(t, tb, 300)

			ss, err := tb.GetUnorderedScanners(ctx, scanners, nil)
			if err != nil {
				t.Fatal(err)
			}
			c.startSplit(t)
			c.registerChild(t, 5) // parent 1: before its share is read
			c.registerChild(t, 6) // parent 2: likewise
			var got []string
			for i, s := range ss {
				for n := 0; ; n++ {
					if i == 0 && n == 10 {
						c.registerChild(t, 4) // parent 0: while its share is read
					}
					done, hk, sk, v, err := s.Next(ctx)
					if err != nil {
						t.Fatalf("Next: %v", err)
					}
					if done {
						break
					}
					got = append(got, fmt.Sprintf("%s/%s=%s", hk, sk, v))
				}
			}
			// Parent 3's child never registered: it served its half throughout.
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("scan across a split returned %d records (%d distinct), want %d, every one once",
					len(got), len(slices.Compact(slices.Clone(got))), len(want))
			}
		})
	}
}

// A full scan started while children are unregistered gives them empty
// scanners (they have no primary): their parents serve their records.
func TestFullScanDuringSplit(t *testing.T) {
	c := newCluster(t, 2, 4, storage.Options{MaxIterationCount: 5})
	tb := c.openTable(t)
	ctx := testCtx(t)
	want := fill(t, tb, 200)
	c.startSplit(t)
	c.registerChild(t, 7)
	tb = c.openTable(t) // a fresh client sees 8 partitions, 3 of them unregistered
	if tb.PartitionCount() != 8 {
		t.Fatalf("partition count %d", tb.PartitionCount())
	}
	ss, err := tb.GetUnorderedScanners(ctx, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 8 {
		t.Fatalf("%d scanners for 8 partitions", len(ss))
	}
	var got []string
	for i, s := range ss {
		if i == 1 {
			c.registerChild(t, 4)
			c.registerChild(t, 6)
		}
		got = append(got, drain(t, s)...)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("scan during a split returned %d records, want %d, every one once", len(got), len(want))
	}
	// Fewer scanners than partitions share the serving partitions.
	ss, err = c.openTable(t).GetUnorderedScanners(ctx, 3, nil)
	if err != nil || len(ss) != 3 {
		t.Fatalf("3 scanners: %d, %v", len(ss), err)
	}
	got = got[:0]
	for _, s := range ss {
		got = append(got, drain(t, s)...)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("3 scanners after the split returned %d records, want %d", len(got), len(want))
	}
	// Point reads of every record reach the right partition: registered
	// children directly, the others through their parent.
	for _, r := range want[:40] {
		var hk, sk string
		fmt.Sscanf(r, "%4s/%6s", &hk, &sk)
		if _, err := tb.Get(ctx, bs(hk), bs(sk)); err != nil {
			t.Fatalf("Get %s/%s: %v", hk, sk, err)
		}
	}
}

// fakeParent answers GET and INCR for a parent partition: ERR_SPLITTING
// for the first splitting requests, then ERR_PARENT_PARTITION_MISUSED when
// misused, else a fixed answer.
type fakeParent struct {
	splitting atomic.Int64
	misused   atomic.Bool
	calls     atomic.Int64
}

func (f *fakeParent) serve(t *testing.T) string {
	rs := rpc.NewServer(rpc.ServerOptions{})
	reply := func(ok func() rpc.Reply) rpc.Handler {
		return func(ctx context.Context, req *rpc.Request) rpc.Reply {
			f.calls.Add(1)
			if f.splitting.Add(-1) >= 0 {
				return rpc.Fail(base.ERR_SPLITTING)
			}
			if f.misused.Load() {
				return rpc.Fail(base.ERR_PARENT_PARTITION_MISUSED)
			}
			return ok()
		}
	}
	rs.Handle(catalog.RPC_RRDB_RRDB_GET, reply(func() rpc.Reply {
		return rpc.OK(&rrdb.RrdbGetResult{Success: &rrdb.ReadResponse{Value: base.NewBlob([]byte("from parent"))}})
	}))
	rs.Handle(catalog.RPC_RRDB_RRDB_INCR, reply(func() rpc.Reply {
		return rpc.OK(&rrdb.RrdbIncrResult{Success: &rrdb.IncrResponse{NewValue_: 7}})
	}))
	addr, _ := serve(t, rs)
	return addr
}

// ERR_SPLITTING (a parent registering its child) is retried without a
// configuration refresh, for non-idempotent operations too: the parent
// refused the request before executing it.
func TestSplittingIsRetriedWithoutRefresh(t *testing.T) {
	c := newCluster(t, 1, 1, storage.Options{})
	f := &fakeParent{}
	c.meta.setPrimary(c.table, 0, f.serve(t))
	tb := c.openTable(t)
	ctx := testCtx(t)
	before := c.meta.queries.Load()
	f.splitting.Store(3)
	if v, err := tb.Get(ctx, bs("h"), bs("s")); err != nil || string(v) != "from parent" {
		t.Fatalf("Get through ERR_SPLITTING: %q, %v", v, err)
	}
	f.splitting.Store(2)
	if n, err := tb.Incr(ctx, bs("h"), bs("s"), 1); err != nil || n != 7 {
		t.Fatalf("Incr through ERR_SPLITTING: %d, %v", n, err)
	}
	if got := f.calls.Load(); got != 7 {
		t.Errorf("%d calls to the parent, want 7 (5 refused, 2 served)", got)
	}
	if n := c.meta.queries.Load() - before; n != 0 {
		t.Errorf("%d configuration queries for ERR_SPLITTING, want 0", n)
	}
	// A parent that keeps registering past the deadline fails the call
	// with the deadline, naming the last error.
	f.splitting.Store(1 << 40)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := tb.Get(short, bs("h"), bs("s")); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "ERR_SPLITTING") {
		t.Fatalf("Get while always splitting: %v", err)
	}
}

// A request for a child's key that reaches the parent after the child
// registered gets ERR_PARENT_PARTITION_MISUSED: the client refreshes and
// sends it to the child.
func TestParentPartitionMisusedRefreshes(t *testing.T) {
	c := newCluster(t, 1, 2, storage.Options{})
	ctx := testCtx(t)
	hk := keysOfPartition(3, 4, 1)[0] // a key of child 3 (parent 1)
	tb0 := c.openTable(t)
	if err := tb0.Set(ctx, hk, bs("s"), bs("v")); err != nil {
		t.Fatal(err)
	}
	c.startSplit(t)
	f := &fakeParent{}
	parentAddr := c.nodes[0].addr
	c.meta.setPrimary(c.table, 1, f.serve(t)) // the client will cache the fake as parent 1
	tb := c.openTable(t)
	c.meta.setPrimary(c.table, 1, parentAddr)
	c.registerChild(t, 3)
	f.misused.Store(true)
	before := c.meta.queries.Load()
	if v, err := tb.Get(ctx, hk, bs("s")); err != nil || string(v) != "v" {
		t.Fatalf("Get of a child's key after registration: %q, %v", v, err)
	}
	if f.calls.Load() != 1 {
		t.Errorf("%d calls to the stale parent, want 1", f.calls.Load())
	}
	if n := c.meta.queries.Load() - before; n != 1 {
		t.Errorf("%d configuration queries, want 1", n)
	}
	if tb.PartitionCount() != 4 {
		t.Errorf("partition count %d after the refresh", tb.PartitionCount())
	}
	if p := keys.PartitionIndex(keys.PartitionHash(hk), 4); p != 3 {
		t.Fatalf("key maps to %d", p)
	}
}

// A BatchGet on a configuration fetched before a split never reads a
// child's key from its parent (which still holds an old copy until
// compaction): keys are grouped finely enough that a group reaching the
// parent holds only the parent's keys, and a group refused with
// ERR_PARENT_PARTITION_MISUSED is grouped again under the new
// configuration.
func TestBatchGetAcrossSplit(t *testing.T) {
	c := newCluster(t, 2, 2, storage.Options{})
	stale := c.openTable(t)
	ctx := testCtx(t)
	var ks []client.CompositeKey
	for p := range 4 {
		for _, hk := range keysOfPartition(p, 4, 10) {
			ks = append(ks, client.CompositeKey{HashKey: hk, SortKey: bs("s")})
		}
	}
	// Parents' keys first: grouped by partition under the stale count, each
	// group would start with a key its parent still owns.
	for _, k := range ks {
		if err := stale.Set(ctx, k.HashKey, k.SortKey, bs("old")); err != nil {
			t.Fatal(err)
		}
	}
	c.startSplit(t)
	c.registerChild(t, 2)
	c.registerChild(t, 3)
	fresh := c.openTable(t)
	want := map[string]string{}
	for _, k := range ks {
		v := "old"
		if p := keys.PartitionIndex(keys.PartitionHash(k.HashKey), 4); p >= 2 {
			v = "new"
			if err := fresh.Set(ctx, k.HashKey, k.SortKey, bs(v)); err != nil {
				t.Fatal(err)
			}
		}
		want[string(k.HashKey)] = v
	}
	vals, err := stale.BatchGet(ctx, ks)
	if err != nil {
		t.Fatalf("BatchGet on a stale configuration: %v", err)
	}
	for i, k := range ks {
		if string(vals[i]) != want[string(k.HashKey)] {
			t.Fatalf("%s (partition %d of 4): %q, want %q", k.HashKey, keys.PartitionIndex(keys.PartitionHash(k.HashKey), 4), vals[i], want[string(k.HashKey)])
		}
	}
	if stale.PartitionCount() != 4 {
		t.Fatalf("the stale client did not refresh: %d partitions", stale.PartitionCount())
	}
}
