package replica

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// onLoop runs f on r's event loop and waits for it.
func onLoop(t *testing.T, r *Replica, f func()) {
	t.Helper()
	done := make(chan struct{})
	if !r.post(func() { f(); close(done) }) {
		t.Fatal("replica closed")
	}
	<-done
}

// hashKeysOf returns n hash keys that map to partition idx of count, half
// of them (alternating) also to idx and half to idx+count after doubling.
func hashKeysOf(idx, count int32, n int) (parent, child []string) {
	for i := 0; len(parent) < n || len(child) < n; i++ {
		hk := fmt.Sprintf("hk%d", i)
		h := keys.PartitionHash([]byte(hk))
		switch {
		case !keys.BelongsTo(h, idx, count-1):
		case keys.BelongsTo(h, idx, 2*count-1):
			if len(parent) < n {
				parent = append(parent, hk)
			}
		default:
			if len(child) < n {
				child = append(child, hk)
			}
		}
	}
	return parent, child
}

var validateEnv = map[string]string{storage.EnvValidatePartitionHash: "true"}

// openSplitParent opens a standalone primary of partition 1 of a table
// of 4 partitions that validates partition hashes.
func openSplitParent(t *testing.T, n *testNode) (*Replica, base.Gpid) {
	t.Helper()
	gpid := base.Gpid{Appid: 2, PartitionIndex: 1}
	r, err := n.srv.OpenReplica(gpid, storage.Options{Dir: filepath.Join(n.dir, "p"), PartitionCount: 4, Envs: validateEnv}, StatusPrimary)
	if err != nil {
		t.Fatal(err)
	}
	return r, gpid
}

func mustPut(t *testing.T, n *testNode, gpid base.Gpid, hk, sk, v string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := n.put(ctx, gpid, hk, sk, v)
	if err != nil || resp.Error != 0 {
		t.Fatalf("put %s/%s: %v %v", hk, sk, resp, err)
	}
}

func remoteErrno(err error) base.Errno {
	var re *rpc.RemoteError
	if errors.As(err, &re) {
		return re.Errno
	}
	return ""
}

// waitSplitDone waits (bounded) until r's split is over.
func waitSplitDone(t *testing.T, r *Replica) {
	t.Helper()
	for i := 0; i < 200; i++ {
		var done bool
		onLoop(t, r, func() { done = r.split == nil })
		if done {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("split did not finish")
}

// The child made from a checkpoint and then fed every batch the parent
// applies holds, at the decree it froze at, exactly the parent's data;
// after registration the parent serves the doubled count: keys of the
// child's half get ERR_PARENT_PARTITION_MISUSED, and writes after the
// freeze never reach the child.
func TestSplitChildFollowsParent(t *testing.T) {
	n := newTestNode(t, Options{Address: "127.0.0.1:1"})
	r, gpid := openSplitParent(t, n)
	parentKeys, childKeys := hashKeysOf(1, 4, 20)
	all := append(append([]string{}, parentKeys...), childKeys...)
	for i, hk := range all {
		mustPut(t, n, gpid, hk, "a", fmt.Sprintf("before-%d", i))
		mustPut(t, n, gpid, hk, "b", "gone")
	}
	var startErr error
	onLoop(t, r, func() {
		if startErr = r.startSplit(8, r.sm.Ballot()); startErr == nil {
			r.split.hold = true
		}
	})
	if startErr != nil {
		t.Fatal(startErr)
	}
	// While the child follows: overwrite, remove, add.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, hk := range all {
		mustPut(t, n, gpid, hk, "a", fmt.Sprintf("after-%d", i))
		mustPut(t, n, gpid, hk, "c", "new")
		args := &rrdb.RrdbRemoveArgs{Key: base.NewBlob(keys.EncodeKey([]byte(hk), []byte("b")))}
		if err := n.conn.Call(ctx, header(gpid, hk), "RPC_RRDB_RRDB_REMOVE", args, rrdb.NewRrdbRemoveResult()); err != nil {
			t.Fatal(err)
		}
	}
	onLoop(t, r, func() { r.split.hold = false })
	waitSplitDone(t, r)
	if got := r.servingCount(); got != 8 {
		t.Fatalf("serving count after split = %d, want 8", got)
	}
	if r.LastSplitPause() <= 0 {
		t.Fatal("no registration pause recorded")
	}
	frozenAt := r.Storage().LastAppliedDecree()

	// Keys of the child's half are refused by the parent now; its own still work.
	if _, err := n.put(ctx, gpid, childKeys[0], "a", "x"); remoteErrno(err) != base.ERR_PARENT_PARTITION_MISUSED {
		t.Fatalf("put of a child key after split: %v, want ERR_PARENT_PARTITION_MISUSED", err)
	}
	if _, err := n.get(ctx, gpid, childKeys[0], "a"); remoteErrno(err) != base.ERR_PARENT_PARTITION_MISUSED {
		t.Fatalf("get of a child key after split: %v, want ERR_PARENT_PARTITION_MISUSED", err)
	}
	mustPut(t, n, gpid, parentKeys[0], "late", "parent only")

	childDir := r.childDir(base.Gpid{Appid: 2, PartitionIndex: 5})
	st, err := readState(childDir)
	if err != nil {
		t.Fatal(err)
	}
	if st.PartitionIndex != 5 || st.PartitionCount != 8 || !st.SplitPending {
		t.Fatalf("child state %+v", st)
	}
	child, err := storage.Open(storage.Options{Dir: rdbDir(childDir), AppID: 2, PartitionIndex: 5, PartitionCount: 8, Envs: validateEnv})
	if err != nil {
		t.Fatal(err)
	}
	defer child.Close()
	if got := child.LastAppliedDecree(); got != frozenAt {
		t.Fatalf("child decree %d, parent froze it at %d", got, frozenAt)
	}
	parent := r.Storage()
	for _, hk := range all {
		for _, sk := range []string{"a", "b", "c"} {
			key := keys.EncodeKey([]byte(hk), []byte(sk))
			want, got := parent.Get(ctx, key), child.Get(ctx, key)
			if want.Error != got.Error || string(want.Value.Bytes()) != string(got.Value.Bytes()) {
				t.Fatalf("%s/%s: child %d %q, parent %d %q", hk, sk, got.Error, got.Value.Bytes(), want.Error, want.Value.Bytes())
			}
		}
	}
	if got := child.Get(ctx, keys.EncodeKey([]byte(parentKeys[0]), []byte("late"))); got.Error == 0 {
		t.Fatal("a write after the freeze reached the child")
	}
}

// countRows runs a full scan of p and counts the rows it returns.
func countRows(t *testing.T, p *storage.Partition, validate bool) int {
	t.Helper()
	ctx := context.Background()
	req := &rrdb.GetScannerRequest{
		StartKey: &base.Blob{Data: []byte{0, 0}}, StartInclusive: true,
		StopKey: &base.Blob{Data: []byte{0xFF, 0xFF}}, StopInclusive: false,
		HashKeyFilterPattern: &base.Blob{}, SortKeyFilterPattern: &base.Blob{},
		BatchSize: 1000, ValidatePartitionHash: &validate,
	}
	resp := p.GetScanner(ctx, req)
	rows := 0
	for i := 0; i < 1000; i++ {
		if resp.Error != 0 {
			t.Fatalf("scan: error %d", resp.Error)
		}
		rows += len(resp.Kvs)
		if resp.ContextID < 0 {
			return rows
		}
		resp = p.Scan(ctx, &rrdb.ScanRequest{ContextID: resp.ContextID})
	}
	t.Fatal("scan did not end")
	return 0
}

// After the split the parent's and the child's full scans (which validate
// partition hashes) each return only their half, so a table count sees
// every row once; a manual compaction then drops the other half for good.
func TestSplitScansAndCompactionKeepOwnHalf(t *testing.T) {
	n := newTestNode(t, Options{Address: "127.0.0.1:1"})
	r, gpid := openSplitParent(t, n)
	parentKeys, childKeys := hashKeysOf(1, 4, 15)
	for _, hk := range append(append([]string{}, parentKeys...), childKeys...) {
		mustPut(t, n, gpid, hk, "s", "v")
	}
	onLoop(t, r, func() {
		if err := r.startSplit(8, r.sm.Ballot()); err != nil {
			t.Error(err)
		}
	})
	waitSplitDone(t, r)
	child, err := storage.Open(storage.Options{Dir: rdbDir(r.childDir(base.Gpid{Appid: 2, PartitionIndex: 5})), AppID: 2, PartitionIndex: 5, PartitionCount: 8, Envs: validateEnv})
	if err != nil {
		t.Fatal(err)
	}
	defer child.Close()
	parent := r.Storage()
	for _, c := range []struct {
		name     string
		p        *storage.Partition
		validate bool
		want     int
	}{
		{"parent, validating", parent, true, 15},
		{"child, validating", child, true, 15},
		{"parent, not validating", parent, false, 30},
		{"child, not validating", child, false, 30},
	} {
		if got := countRows(t, c.p, c.validate); got != c.want {
			t.Errorf("before compaction, %s: %d rows, want %d", c.name, got, c.want)
		}
	}
	ctx := context.Background()
	for _, p := range []*storage.Partition{parent, child} {
		if err := p.Compact(ctx); err != nil {
			t.Fatal(err)
		}
		if got := countRows(t, p, false); got != 15 {
			t.Errorf("after compaction: %d rows without validation, want 15", got)
		}
	}
	for _, hk := range parentKeys {
		if got := parent.Get(ctx, keys.EncodeKey([]byte(hk), []byte("s"))); got.Error != 0 {
			t.Fatalf("parent lost its own key %s", hk)
		}
	}
	for _, hk := range childKeys {
		if got := child.Get(ctx, keys.EncodeKey([]byte(hk), []byte("s"))); got.Error != 0 {
			t.Fatalf("child lost its own key %s", hk)
		}
	}
}

// Routing during a split: the registration step answers ERR_SPLITTING
// (reads and writes), a key of the other half ERR_PARENT_PARTITION_MISUSED
// only while the table validates partition hashes, and an oversized write
// is refused before either.
func TestSplitRoutingChecks(t *testing.T) {
	n := newTestNode(t, Options{Address: "127.0.0.1:1", MaxWriteSize: 4096})
	r, gpid := openSplitParent(t, n)
	parentKeys, _ := hashKeysOf(1, 4, 1)
	_, foreign := hashKeysOf(0, 4, 1) // maps to partition 0 or 4, not 1
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	if _, err := n.put(ctx, gpid, foreign[0], "s", "v"); remoteErrno(err) != base.ERR_PARENT_PARTITION_MISUSED {
		t.Fatalf("put of another partition's key: %v", err)
	}
	r.splitPaused.Store(true)
	if _, err := n.put(ctx, gpid, parentKeys[0], "s", "v"); remoteErrno(err) != base.ERR_SPLITTING {
		t.Fatalf("put during registration: %v", err)
	}
	if _, err := n.get(ctx, gpid, parentKeys[0], "s"); remoteErrno(err) != base.ERR_SPLITTING {
		t.Fatalf("get during registration: %v", err)
	}
	if _, err := n.put(ctx, gpid, parentKeys[0], "s", string(make([]byte, 5000))); remoteErrno(err) != base.ERR_INVALID_DATA {
		t.Fatalf("oversized put during registration: %v", err)
	}
	r.splitPaused.Store(false)
	mustPut(t, n, gpid, parentKeys[0], "s", "v")

	// Without the env the hash is not checked (protocol.md §5.3).
	r.Storage().UpdateEnvs(nil)
	mustPut(t, n, gpid, foreign[0], "s", "v")
}

// A split stopped before the child froze leaves no child directory; a
// split to anything but twice the partition count is refused.
func TestSplitAbortRemovesChild(t *testing.T) {
	n := newTestNode(t, Options{Address: "127.0.0.1:1"})
	r, _ := openSplitParent(t, n)
	var err error
	onLoop(t, r, func() { err = r.startSplit(16, r.sm.Ballot()) })
	if err == nil {
		t.Fatal("a split to 4x the partition count was accepted")
	}
	onLoop(t, r, func() {
		if err = r.startSplit(8, r.sm.Ballot()); err == nil {
			r.split.hold = true
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := r.childDir(base.Gpid{Appid: 2, PartitionIndex: 5})
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("child directory: %v", err)
	}
	paused := admin.SplitStatus_PAUSING
	onLoop(t, r, func() { r.onSplitSync(&paused, 8) })
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("child directory after pause: %v", err)
	}
	if r.servingCount() != 4 {
		t.Fatal("a paused split changed the serving count")
	}
}
