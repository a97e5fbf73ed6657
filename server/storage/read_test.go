package storage

import (
	"slices"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

func TestBatchGet(t *testing.T) {
	f := newFixture(t)
	now := f.nowEpoch()
	f.put("h1", "a", "1", 0)
	f.put("h2", "b", "", 0)
	f.put("h3", "c", "3", now+1)
	f.clock.Advance(time.Second)
	ctx := t.Context()
	r := f.p.BatchGet(ctx, &rrdb.BatchGetRequest{Keys: []*rrdb.FullKey{
		{HashKey: blob("h2"), SortKey: blob("b")},
		{HashKey: blob("h3"), SortKey: blob("c")}, // expired
		{HashKey: blob("zz"), SortKey: blob("a")}, // absent
		{HashKey: blob("h1"), SortKey: blob("a")},
	}})
	var got []string
	for _, d := range r.Data {
		got = append(got, string(d.HashKey.Bytes())+"/"+string(d.SortKey.Bytes())+"="+string(d.Value.Bytes()))
	}
	if r.Error != 0 || !slices.Equal(got, []string{"h2/b=", "h1/a=1"}) || r.AppID != 3 {
		t.Fatalf("%v %+v", got, r)
	}
	if r := f.p.BatchGet(ctx, &rrdb.BatchGetRequest{}); r.Error != StatusInvalidArgument || r.Data == nil {
		t.Fatalf("empty: %+v", r)
	}
}

func TestSortKeyCount(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.IterationTimeLimit = 5 * time.Second; o.MaxIterationCount = 10 })
	now := f.nowEpoch()
	f.apply(multiPutW("h", 0, "a", "1", "b", "2", "c", "3"), multiPutW("hh", 0, "a", "1"), multiPutW("g", 0, "a", "1"))
	f.put("h", "d", "4", now+1)
	f.put("", "x", "1", 0)
	ctx := t.Context()
	tests := []struct {
		hash string
		want int64
	}{{"h", 4}, {"hh", 1}, {"", 1}, {"absent", 0}}
	for _, tt := range tests {
		if r := f.p.SortKeyCount(ctx, []byte(tt.hash)); r.Error != 0 || r.Count != tt.want || r.AppID != 3 {
			t.Errorf("count(%q) = %+v, want %d", tt.hash, r, tt.want)
		}
	}
	f.clock.Advance(time.Second)
	if r := f.p.SortKeyCount(ctx, []byte("h")); r.Count != 3 {
		t.Fatalf("after expiry %+v", r)
	}
	// Time limit: count −1 with error 0. The clock is read every visit
	// (limit 10 → every 1) and each reading moves it 10 s.
	f.clock.SetStep(10 * time.Second)
	r := f.p.SortKeyCount(ctx, []byte("h"))
	f.clock.SetStep(0)
	if r.Error != 0 || r.Count != -1 {
		t.Fatalf("time limit %+v", r)
	}
}

func TestTTLAndGetEdges(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.put("h", "s", "v", 0)
	if r := f.p.TTL(ctx, key("h", "s")); r.Error != 0 || r.TTLSeconds != -1 || r.AppID != 3 {
		t.Fatalf("no ttl: %+v", r)
	}
	if r := f.p.TTL(ctx, key("h", "absent")); r.Error != StatusNotFound || r.TTLSeconds != 0 {
		t.Fatalf("absent: %+v", r)
	}
	for _, k := range [][]byte{nil, {0}, {0, 9, 'a'}} {
		if r := f.p.Get(ctx, k); r.Error != StatusNotFound {
			t.Errorf("Get(%x) = %+v", k, r)
		}
	}
}

// A partition created with the legacy v0 layout keeps reading and writing
// v0 values after a reopen.
func TestDataVersion0(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.newDataVersion, o.newDataVersionSet = DataVersion0, true })
	now := f.nowEpoch()
	f.put("h", "s", "value", now+100)
	raw, _, _ := f.p.db.Get(key("h", "s"))
	if len(raw) != 4+5 {
		t.Fatalf("v0 value is %d bytes", len(raw))
	}
	f.opts.newDataVersionSet = false
	f.reopen()
	if f.p.DataVersion() != DataVersion0 {
		t.Fatalf("data version %d", f.p.DataVersion())
	}
	if g := f.get("h", "s"); string(g.Value.Bytes()) != "value" {
		t.Fatalf("get %+v", g)
	}
	if r := f.p.TTL(t.Context(), key("h", "s")); r.TTLSeconds != 100 {
		t.Fatalf("ttl %+v", r)
	}
	sc := f.p.GetScanner(t.Context(), fullScanRequest())
	if got := kvStrings(sc.Kvs); len(got) != 1 || got[0] != string(key("h", "s"))+"=value" {
		t.Fatalf("scan %q", got)
	}
}

func TestCorruptValue(t *testing.T) {
	f := newFixture(t)
	// A value shorter than the v1 header, written behind the schema's back.
	b := f.p.db.NewBatch()
	defer b.Destroy()
	b.Put(key("h", "bad"), []byte{1, 2})
	f.decree++
	if err := f.p.db.Write(b, f.decree); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if r := f.get("h", "bad"); r.Error != StatusCorruption {
		t.Fatalf("get %+v", r)
	}
	if r := f.p.MultiGet(ctx, &rrdb.MultiGetRequest{HashKey: blob("h")}); r.Error != StatusCorruption {
		t.Fatalf("multi_get %+v", r)
	}
	if r := f.p.SortKeyCount(ctx, []byte("h")); r.Error != StatusCorruption {
		t.Fatalf("sortkey_count %+v", r)
	}
	if r := f.p.GetScanner(ctx, fullScanRequest()); r.Error != StatusCorruption || len(r.Kvs) != 0 {
		t.Fatalf("scan %+v", r)
	}
	// A write that has to read it fails the mutation rather than guessing.
	f.decree++
	if _, err := f.p.Apply(&Mutation{Decree: f.decree, Writes: []Write{incrW("h", "bad", 1, 0)}}); err == nil {
		t.Fatal("incr over a corrupt value succeeded")
	}
}
