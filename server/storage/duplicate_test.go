package storage

import (
	"errors"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

// dupW wraps writes as one duplicated batch from cluster id at tsUs.
func dupW(tsUs int64, id uint8, verify bool, writes ...Write) Write {
	d := &Duplicate{}
	for _, w := range writes {
		d.Entries = append(d.Entries, DuplicatedWrite{TimestampUs: tsUs, ClusterID: id, VerifyTimetag: verify, Write: w})
	}
	return Write{Op: OpDuplicate, Request: d}
}

// applyAt applies writes as one mutation stamped tsUs.
func (f *fixture) applyAt(tsUs int64, writes ...Write) []any {
	f.t.Helper()
	f.decree++
	resps, err := f.p.Apply(&Mutation{Decree: f.decree, TimestampUs: tsUs, Writes: writes})
	if err != nil {
		f.t.Fatalf("Apply decree %d: %v", f.decree, err)
	}
	return resps
}

// stored returns key's user data and timetag as RocksDB holds them.
func (f *fixture) stored(hash, sort string) (data string, timetag uint64, found bool) {
	f.t.Helper()
	raw, found, err := f.p.db.Get(key(hash, sort))
	if err != nil {
		f.t.Fatal(err)
	}
	if !found {
		return "", 0, false
	}
	sv, err := decodeValue(DataVersion1, raw)
	if err != nil {
		f.t.Fatal(err)
	}
	return string(sv.data), sv.timetag, true
}

// Last write wins on the timetag: a duplicated write older than the stored
// value is dropped, a newer one applies; on equal timestamps the higher
// cluster id wins (and the same cluster id does not rewrite).
func TestDuplicateLastWriteWins(t *testing.T) {
	now := testEpoch.UnixMicro()
	for _, tc := range []struct {
		name    string
		dupTs   int64
		dupID   uint8
		applies bool
	}{
		{"older, higher id", now - 1, 9, false},
		{"older, lower id", now - 1, 1, false},
		{"newer, lower id", now + 1, 1, true},
		{"newer, higher id", now + 1, 9, true},
		{"equal, lower id", now, 1, false},
		{"equal, same id", now, 5, false},
		{"equal, higher id", now, 9, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.ClusterID = 5 })
			f.applyAt(now, putW("h", "s", "local", 0))
			r := f.applyAt(now+1000, dupW(tc.dupTs, tc.dupID, true, putW("h", "s", "remote", 0)))[0].(*rrdb.DuplicateResponse)
			if r.GetError() != StatusOk {
				t.Fatalf("response %+v", r)
			}
			data, tag, _ := f.stored("h", "s")
			want, wantTag := "local", Timetag(now, 5, false)
			if tc.applies {
				want, wantTag = "remote", Timetag(tc.dupTs, tc.dupID, false)
			}
			if data != want || tag != wantTag {
				t.Fatalf("stored %q timetag %#x, want %q %#x", data, tag, want, wantTag)
			}
		})
	}
}

// Without verify_timetag a duplicated write applies whatever is stored,
// with its own timetag.
func TestDuplicateWithoutVerify(t *testing.T) {
	now := testEpoch.UnixMicro()
	f := newFixture(t, func(o *Options) { o.ClusterID = 5 })
	f.applyAt(now, putW("h", "s", "local", 0))
	f.applyAt(now+1000, dupW(now-50, 2, false, putW("h", "s", "remote", 0)))
	if data, tag, _ := f.stored("h", "s"); data != "remote" || tag != Timetag(now-50, 2, false) {
		t.Fatalf("stored %q %#x", data, tag)
	}
}

// Duplicated removes and multi_removes with verify_timetag compare against
// the stored timetag too: an older remove leaves a newer value alone.
func TestDuplicateRemoves(t *testing.T) {
	now := testEpoch.UnixMicro()
	f := newFixture(t, func(o *Options) { o.ClusterID = 5 })
	f.applyAt(now, multiPutW("h", 0, "a", "1", "b", "2", "c", "3", "d", "4"))
	f.applyAt(now+10, dupW(now-1, 9, true, removeW("h", "a"), multiRemoveW("h", "b")))
	f.applyAt(now+20, dupW(now+1, 1, true, removeW("h", "c"), multiRemoveW("h", "d", "absent")))
	for sort, want := range map[string]bool{"a": true, "b": true, "c": false, "d": false} {
		if _, _, found := f.stored("h", sort); found != want {
			t.Errorf("%s: stored %v, want %v", sort, found, want)
		}
	}
	// A remove of a missing key is fine, and a later duplicated put of it
	// applies.
	f.applyAt(now+30, dupW(now+2, 1, true, putW("h", "c", "again", 0)))
	if data, _, _ := f.stored("h", "c"); data != "again" {
		t.Fatalf("c = %q", data)
	}
}

// An expired stored value loses to any duplicated write, whatever its
// timetag: expiry is decided with the mutation's time, not by whether
// compaction has run, so every replica decides alike.
func TestDuplicateOverExpiredValue(t *testing.T) {
	now := testEpoch.UnixMicro()
	f := newFixture(t, func(o *Options) { o.ClusterID = 5 })
	f.applyAt(now, putW("h", "s", "local", f.nowEpoch()+5))
	f.applyAt(now+10_000_000, dupW(now-1, 1, true, putW("h", "s", "remote", 0)))
	if data, _, _ := f.stored("h", "s"); data != "remote" {
		t.Fatalf("stored %q, want remote", data)
	}
}

// A duplicated put keeps the expire_ts it was shipped with, and one without
// expire_ts takes the table's default TTL counted from the write's own time.
func TestDuplicatePreservesTTL(t *testing.T) {
	base := testEpoch.UnixMicro()
	f := newFixture(t, func(o *Options) { o.Envs = map[string]string{"default_ttl": "100"} })
	expire := f.nowEpoch() + 500
	f.applyAt(base+30_000_000, dupW(base, 1, true,
		putW("h", "ttl", "v", expire),
		multiPutW("h", expire, "m1", "x"),
		putW("h", "default", "v", 0)))
	for _, sort := range []string{"ttl", "m1"} {
		if r := f.p.TTL(t.Context(), key("h", sort)); r.Error != StatusOk || r.TTLSeconds != 500 {
			t.Errorf("%s: ttl %+v, want 500 s", sort, r)
		}
	}
	if r := f.p.TTL(t.Context(), key("h", "default")); r.Error != StatusOk || r.TTLSeconds != 100 {
		t.Errorf("default ttl %+v, want 100 s from the write's time", r)
	}
}

// Entries of one batch see each other: a later entry for the same key
// compares against the earlier one's timetag, and a local write after the
// duplicated one overwrites it with the local timetag.
func TestDuplicateBatchOrderAndLocalWrite(t *testing.T) {
	now := testEpoch.UnixMicro()
	f := newFixture(t, func(o *Options) { o.ClusterID = 5 })
	d := &Duplicate{Entries: []DuplicatedWrite{
		{TimestampUs: now + 5, ClusterID: 1, VerifyTimetag: true, Write: putW("h", "s", "newer", 0)},
		{TimestampUs: now + 3, ClusterID: 1, VerifyTimetag: true, Write: putW("h", "s", "older", 0)},
	}}
	f.applyAt(now+10, Write{Op: OpDuplicate, Request: d})
	if data, tag, _ := f.stored("h", "s"); data != "newer" || tag != Timetag(now+5, 1, false) {
		t.Fatalf("stored %q %#x", data, tag)
	}
	f.applyAt(now+20, putW("h", "s", "local", 0))
	if data, tag, _ := f.stored("h", "s"); data != "local" || tag != Timetag(now+20, 5, false) {
		t.Fatalf("after the local write: %q %#x", data, tag)
	}
}

// Local writes carry the configured cluster id in their timetag.
func TestLocalWriteTimetagHasClusterID(t *testing.T) {
	now := testEpoch.UnixMicro()
	f := newFixture(t, func(o *Options) { o.ClusterID = 7 })
	f.applyAt(now, putW("h", "p", "v", 0), multiPutW("h", 0, "m", "v"), incrW("h", "i", 1, 0))
	for _, sort := range []string{"p", "m", "i"} {
		if _, tag, _ := f.stored("h", sort); tag != Timetag(now, 7, false) {
			t.Errorf("%s: timetag %#x, want %#x", sort, tag, Timetag(now, 7, false))
		}
	}
}

// A write's own failure (an empty multi_put, refused on its own cluster
// too) does not fail the batch, which the sender would retry forever: the
// response is OK with a hint, and the rest applies. An op that cannot be
// duplicated is a caller bug and applies nothing.
func TestDuplicateStatusAndBadOp(t *testing.T) {
	now := testEpoch.UnixMicro()
	f := newFixture(t)
	r := f.applyAt(now, dupW(now, 1, true, multiPutW("h", 0), putW("h", "s", "v", 0)))[0].(*rrdb.DuplicateResponse)
	if r.Error == nil || r.GetError() != StatusOk || r.GetErrorHint() == "" {
		t.Fatalf("response %+v", r)
	}
	if data, _, _ := f.stored("h", "s"); data != "v" {
		t.Fatalf("stored %q", data)
	}
	f.decree++
	_, err := f.p.Apply(&Mutation{Decree: f.decree, TimestampUs: now, Writes: []Write{dupW(now, 1, true, putW("h", "t", "v", 0), incrW("h", "i", 1, 0))}})
	if !errors.Is(err, ErrBadWrite) {
		t.Fatalf("incr in a duplicated batch: %v", err)
	}
	if _, _, found := f.stored("h", "t"); found {
		t.Fatal("a refused batch applied a write")
	}
}

// Two replicas apply the same mutations, but only one has compacted away
// a record that expired meanwhile: a duplicated write older than that
// record must end the same on both (it applies on both), or the replicas
// would diverge.
func TestDuplicateDecisionIgnoresCompaction(t *testing.T) {
	now := testEpoch.UnixMicro()
	a := newFixture(t, func(o *Options) { o.ClusterID = 5 })
	b := newFixture(t, func(o *Options) { o.ClusterID = 5 })
	for _, f := range []*fixture{a, b} {
		f.applyAt(now, putW("h", "exp", "local", f.nowEpoch()+5), putW("h", "live", "local", 0))
	}
	a.clock.Advance(10 * time.Second)
	if err := a.p.Compact(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, _, found := a.stored("h", "exp"); found {
		t.Fatal("compaction kept the expired record")
	}
	for _, f := range []*fixture{a, b} {
		f.applyAt(now+20_000_000, dupW(now-1, 1, true, putW("h", "exp", "remote", 0), putW("h", "live", "remote", 0)))
	}
	for _, sort := range []string{"exp", "live"} {
		ad, at, _ := a.stored("h", sort)
		bd, bt, _ := b.stored("h", sort)
		if ad != bd || at != bt {
			t.Errorf("%s: replicas diverge: %q %#x vs %q %#x", sort, ad, at, bd, bt)
		}
	}
	if d, _, _ := b.stored("h", "exp"); d != "remote" {
		t.Errorf("exp = %q, want the duplicated write over the expired one", d)
	}
	if d, _, _ := b.stored("h", "live"); d != "local" {
		t.Errorf("live = %q, want the newer local value", d)
	}
}
