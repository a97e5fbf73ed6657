package storage

import (
	"slices"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

// A record with a TTL is visible until its expire_ts, then invisible to
// every read, and compaction removes it physically.
func TestExpiryVisibleToEveryRead(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	now := f.nowEpoch()
	f.put("h", "exp", "e", now+10)
	f.put("h", "live", "l", 0)
	f.put("h", "later", "x", now+1000)

	visible := func() []string {
		var seen []string
		if g := f.get("h", "exp"); g.Error == StatusOk {
			seen = append(seen, "get")
		}
		if r := f.p.TTL(ctx, key("h", "exp")); r.Error == StatusOk {
			seen = append(seen, "ttl")
		}
		mg := f.p.MultiGet(ctx, &rrdb.MultiGetRequest{HashKey: blob("h")})
		if slices.Contains(kvStrings(mg.Kvs), "exp=e") {
			seen = append(seen, "multi_get")
		}
		mgp := f.p.MultiGet(ctx, &rrdb.MultiGetRequest{HashKey: blob("h"), SortKeys: []*base.Blob{blob("exp")}})
		if len(mgp.Kvs) == 1 {
			seen = append(seen, "multi_get_points")
		}
		bg := f.p.BatchGet(ctx, &rrdb.BatchGetRequest{Keys: []*rrdb.FullKey{{HashKey: blob("h"), SortKey: blob("exp")}}})
		if len(bg.Data) == 1 {
			seen = append(seen, "batch_get")
		}
		if c := f.p.SortKeyCount(ctx, []byte("h")); c.Count == 3 {
			seen = append(seen, "sortkey_count")
		}
		sc := f.p.GetScanner(ctx, fullScanRequest())
		for _, kv := range sc.Kvs {
			if string(kv.Key.Bytes()) == string(key("h", "exp")) {
				seen = append(seen, "scan")
			}
		}
		return seen
	}
	all := []string{"get", "ttl", "multi_get", "multi_get_points", "batch_get", "sortkey_count", "scan"}
	if got := visible(); !slices.Equal(got, all) {
		t.Fatalf("before expiry visible to %v", got)
	}
	if r := f.p.TTL(ctx, key("h", "exp")); r.TTLSeconds != 10 {
		t.Fatalf("ttl %d", r.TTLSeconds)
	}
	f.clock.Advance(9 * time.Second)
	if r := f.p.TTL(ctx, key("h", "exp")); r.TTLSeconds != 1 {
		t.Fatalf("ttl %d", r.TTLSeconds)
	}
	f.clock.Advance(time.Second) // expire_ts == now: expired
	if got := visible(); len(got) != 0 {
		t.Fatalf("after expiry visible to %v", got)
	}
	if r := f.p.SortKeyCount(ctx, []byte("h")); r.Count != 2 {
		t.Fatalf("count %d", r.Count)
	}

	if _, found, _ := f.p.db.Get(key("h", "exp")); !found {
		t.Fatal("expired record gone before compaction")
	}
	if err := f.p.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := f.p.db.Get(key("h", "exp")); found {
		t.Fatal("compaction kept the expired record")
	}
	for _, s := range []string{"live", "later"} {
		if _, found, _ := f.p.db.Get(key("h", s)); !found {
			t.Fatalf("compaction dropped %s", s)
		}
	}
}
