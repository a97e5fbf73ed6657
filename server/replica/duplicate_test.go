package replica

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/server/config"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// dupGroup is a duplication group of three clusters; the test node is "a".
var dupGroup = config.Duplication{
	ClusterName: "a",
	Clusters: map[string]config.DupCluster{
		"a": {ID: 1, Metas: []string{"127.0.0.115:1"}},
		"b": {ID: 2, Metas: []string{"127.0.0.116:1"}},
		"c": {ID: 3, Metas: []string{"127.0.0.117:1"}},
	},
}

// dupEntry builds a duplicate_entry of an encoded write.
func dupEntry(t testing.TB, tsUs int64, cluster int64, rpcName string, args thrift.TStruct) *rrdb.DuplicateEntry {
	t.Helper()
	raw, err := wire.EncodeStruct(nil, args)
	if err != nil {
		t.Fatal(err)
	}
	verify := true
	return &rrdb.DuplicateEntry{Timestamp: &tsUs, TaskCode: &base.TaskCode{Code: rpcName}, RawMessage: base.NewBlob(raw), ClusterID: &cluster, VerifyTimetag: &verify}
}

func putArgs(hk, sk, v string) *rrdb.RrdbPutArgs {
	return &rrdb.RrdbPutArgs{Update: &rrdb.UpdateRequest{Key: base.NewBlob(keys.EncodeKey([]byte(hk), []byte(sk))), Value: base.NewBlob([]byte(v))}}
}

func multiPutArgs(hk string, kv ...string) *rrdb.RrdbMultiPutArgs {
	req := &rrdb.MultiPutRequest{HashKey: base.NewBlob([]byte(hk)), Kvs: []*rrdb.KeyValue{}}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Kvs = append(req.Kvs, &rrdb.KeyValue{Key: base.NewBlob([]byte(kv[i])), Value: base.NewBlob([]byte(kv[i+1]))})
	}
	return &rrdb.RrdbMultiPutArgs{Request: req}
}

func (n *testNode) duplicate(ctx context.Context, gpid base.Gpid, hk string, entries ...*rrdb.DuplicateEntry) (*rrdb.DuplicateResponse, error) {
	res := rrdb.NewRrdbDuplicateResult()
	args := &rrdb.RrdbDuplicateArgs{Request: &rrdb.DuplicateRequest{Entries: entries}}
	if err := n.conn.Call(ctx, header(gpid, hk), catalog.RPC_RRDB_RRDB_DUPLICATE, args, res); err != nil {
		return nil, err
	}
	return res.Success, nil
}

func (n *testNode) value(t *testing.T, ctx context.Context, gpid base.Gpid, hk, sk string) (string, bool) {
	t.Helper()
	g, err := n.get(ctx, gpid, hk, sk)
	if err != nil {
		t.Fatalf("get %s/%s: %v", hk, sk, err)
	}
	if g.Error == storage.StatusNotFound {
		return "", false
	}
	if g.Error != storage.StatusOk {
		t.Fatalf("get %s/%s: status %d", hk, sk, g.Error)
	}
	return string(g.Value.Bytes()), true
}

// The duplicate RPC end to end on a replica server: batches from this
// cluster or from an unconfigured one are refused whole; a multi_put from
// another cluster applies through replication; a local write after it
// wins, and an older duplicated write after that is dropped.
func TestDuplicateRPC(t *testing.T) {
	n := newTestNodeAt(t, Options{Address: "127.0.0.115:1", Duplication: dupGroup}, "127.0.0.115:0")
	gpid := base.Gpid{Appid: 5, PartitionIndex: 0}
	r := n.open(t, gpid, StatusPrimary)
	if r.Storage().ClusterID() != 1 {
		t.Fatalf("storage cluster id %d, want this cluster's 1", r.Storage().ClusterID())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	now := time.Now().UnixMicro()

	for _, tc := range []struct {
		name, hint string
		entries    []*rrdb.DuplicateEntry
	}{
		{"own cluster id", "self-duplicating", []*rrdb.DuplicateEntry{dupEntry(t, now, 1, catalog.RPC_RRDB_RRDB_PUT, putArgs("h", "s", "v"))}},
		{"unknown cluster id", "not configured", []*rrdb.DuplicateEntry{dupEntry(t, now, 9, catalog.RPC_RRDB_RRDB_PUT, putArgs("h", "s", "v"))}},
		{"one bad entry spoils the batch", "not configured", []*rrdb.DuplicateEntry{
			dupEntry(t, now, 2, catalog.RPC_RRDB_RRDB_PUT, putArgs("h", "s", "v")),
			dupEntry(t, now, 77, catalog.RPC_RRDB_RRDB_MULTI_PUT, multiPutArgs("h", "m", "v")),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := r.Storage().LastAppliedDecree()
			resp, err := n.duplicate(ctx, gpid, "h", tc.entries...)
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetError() != storage.StatusInvalidArgument || !strings.Contains(resp.GetErrorHint(), tc.hint) {
				t.Fatalf("response %d %q, want %d and a hint with %q", resp.GetError(), resp.GetErrorHint(), storage.StatusInvalidArgument, tc.hint)
			}
			for _, sk := range []string{"s", "m"} {
				if v, ok := n.value(t, ctx, gpid, "h", sk); ok {
					t.Fatalf("refused batch applied h/%s = %q", sk, v)
				}
			}
			if d := r.Storage().LastAppliedDecree(); d != before {
				t.Fatalf("refused batch consumed decrees %d..%d", before+1, d)
			}
		})
	}

	for _, tc := range []struct {
		name string
		args *rrdb.RrdbDuplicateArgs
	}{
		{"no entries", &rrdb.RrdbDuplicateArgs{Request: &rrdb.DuplicateRequest{}}},
		{"no request", &rrdb.RrdbDuplicateArgs{}},
		{"non-idempotent task code", &rrdb.RrdbDuplicateArgs{Request: &rrdb.DuplicateRequest{Entries: []*rrdb.DuplicateEntry{
			dupEntry(t, now, 2, catalog.RPC_RRDB_RRDB_INCR, &rrdb.RrdbIncrArgs{Request: &rrdb.IncrRequest{Key: base.NewBlob(keys.EncodeKey([]byte("h"), []byte("i"))), Increment: 1}}),
		}}}},
		{"raw message of another write", &rrdb.RrdbDuplicateArgs{Request: &rrdb.DuplicateRequest{Entries: []*rrdb.DuplicateEntry{
			dupEntry(t, now, 2, catalog.RPC_RRDB_RRDB_MULTI_PUT, putArgs("h", "s", "v")),
		}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := n.conn.Call(ctx, header(gpid, "h"), catalog.RPC_RRDB_RRDB_DUPLICATE, tc.args, rrdb.NewRrdbDuplicateResult())
			if remoteErrno(err) != base.ERR_INVALID_DATA {
				t.Fatalf("got %v, want ERR_INVALID_DATA", err)
			}
		})
	}

	// A multi_put and a put from cluster 2 apply.
	resp, err := n.duplicate(ctx, gpid, "h",
		dupEntry(t, now, 2, catalog.RPC_RRDB_RRDB_MULTI_PUT, multiPutArgs("h", "m1", "x1", "m2", "x2")),
		dupEntry(t, now, 2, catalog.RPC_RRDB_RRDB_PUT, putArgs("h", "s", "remote")))
	if err != nil || resp.GetError() != storage.StatusOk {
		t.Fatalf("duplicate: %v %+v", err, resp)
	}
	for sk, want := range map[string]string{"m1": "x1", "m2": "x2", "s": "remote"} {
		if v, _ := n.value(t, ctx, gpid, "h", sk); v != want {
			t.Errorf("h/%s = %q, want %q", sk, v, want)
		}
	}

	// A local write afterwards wins even over a duplicated write stamped
	// in the future, and a duplicated write older than it is dropped.
	future := now + int64(time.Hour/time.Microsecond)
	if resp, err := n.duplicate(ctx, gpid, "h", dupEntry(t, future, 3, catalog.RPC_RRDB_RRDB_PUT, putArgs("h", "f", "remote"))); err != nil || resp.GetError() != 0 {
		t.Fatalf("duplicate: %v %+v", err, resp)
	}
	for _, sk := range []string{"s", "f"} {
		if pr, err := n.put(ctx, gpid, "h", sk, "local"); err != nil || pr.Error != 0 {
			t.Fatalf("local put: %v %+v", err, pr)
		}
	}
	if resp, err := n.duplicate(ctx, gpid, "h", dupEntry(t, now+1, 3, catalog.RPC_RRDB_RRDB_PUT, putArgs("h", "s", "stale"))); err != nil || resp.GetError() != 0 {
		t.Fatalf("duplicate: %v %+v", err, resp)
	}
	for _, sk := range []string{"s", "f"} {
		if v, _ := n.value(t, ctx, gpid, "h", sk); v != "local" {
			t.Errorf("h/%s = %q, want the local write", sk, v)
		}
	}
}

// On a table that duplicates, incr, check_and_set and check_and_mutate
// are refused with ERR_OPERATION_DISABLED (the follower could not replay
// them), atomic_idempotent or not; the flags arrive with the
// table's app_info in config sync.
func TestNonIdempotentWritesOnDuplicatingTable(t *testing.T) {
	n := newTestNodeAt(t, Options{Address: "127.0.0.115:1", Duplication: dupGroup}, "127.0.0.115:0")
	gpid := base.Gpid{Appid: 6, PartitionIndex: 0}
	r := n.open(t, gpid, StatusPrimary)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	key := base.NewBlob(keys.EncodeKey([]byte("h"), []byte("i")))
	calls := map[string]func() error{
		"incr": func() error {
			return n.conn.Call(ctx, header(gpid, "h"), catalog.RPC_RRDB_RRDB_INCR,
				&rrdb.RrdbIncrArgs{Request: &rrdb.IncrRequest{Key: key, Increment: 1}}, rrdb.NewRrdbIncrResult())
		},
		"check_and_set": func() error {
			return n.conn.Call(ctx, header(gpid, "h"), catalog.RPC_RRDB_RRDB_CHECK_AND_SET,
				&rrdb.RrdbCheckAndSetArgs{Request: &rrdb.CheckAndSetRequest{HashKey: base.NewBlob([]byte("h")), CheckSortKey: base.NewBlob([]byte("c")),
					CheckOperand: base.NewBlob(nil), SetSortKey: base.NewBlob([]byte("c")), SetValue: base.NewBlob([]byte("v"))}}, rrdb.NewRrdbCheckAndSetResult())
		},
		"check_and_mutate": func() error {
			return n.conn.Call(ctx, header(gpid, "h"), catalog.RPC_RRDB_RRDB_CHECK_AND_MUTATE,
				&rrdb.RrdbCheckAndMutateArgs{Request: &rrdb.CheckAndMutateRequest{HashKey: base.NewBlob([]byte("h")), CheckSortKey: base.NewBlob([]byte("c")),
					CheckOperand: base.NewBlob(nil), MutateList: []*rrdb.Mutate{{Operation: rrdb.MutateOperation_MO_PUT, SortKey: base.NewBlob([]byte("c")), Value: base.NewBlob([]byte("v"))}}}},
				rrdb.NewRrdbCheckAndMutateResult())
		},
	}
	node := &Node{log: slog.Default()}
	info := func(duplicating, atomic bool) *layer2.AppInfo {
		return &layer2.AppInfo{AppName: "t", AppType: "pegasus", AppID: gpid.Appid, PartitionCount: 1, MaxReplicaCount: 1,
			Duplicating: &duplicating, AtomicIdempotent: &atomic}
	}
	for _, tc := range []struct {
		name                string
		duplicating, atomic bool
		want                base.Errno
	}{
		{"not duplicating", false, false, ""},
		{"duplicating", true, false, base.ERR_OPERATION_DISABLED},
		{"duplicating and atomic_idempotent", true, true, base.ERR_OPERATION_DISABLED},
		{"duplication removed", false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node.updateAppInfo(r, info(tc.duplicating, tc.atomic), false)
			for name, call := range calls {
				if got := remoteErrno(call()); got != tc.want {
					t.Errorf("%s: errno %q, want %q", name, got, tc.want)
				}
			}
			if pr, err := n.put(ctx, gpid, "h", "p", "v"); err != nil || pr.Error != 0 {
				t.Errorf("put: %v %+v", err, pr)
			}
			if ai := r.appInfo(); ai.GetDuplicating() != tc.duplicating || ai.GetAtomicIdempotent() != tc.atomic {
				t.Errorf("app info flags %v %v", ai.GetDuplicating(), ai.GetAtomicIdempotent())
			}
		})
	}
}

// A replica server's [duplication] section sets the cluster id its
// replicas stamp into timetags; without it the id stays 0.
func TestNodeClusterIDFromConfig(t *testing.T) {
	o := NodeOptions{Duplication: dupGroup}
	o.defaults()
	if o.Storage.ClusterID != 1 {
		t.Fatalf("cluster id %d, want 1", o.Storage.ClusterID)
	}
	var none NodeOptions
	none.defaults()
	if none.Storage.ClusterID != 0 {
		t.Fatalf("cluster id %d without [duplication], want 0", none.Storage.ClusterID)
	}
}
