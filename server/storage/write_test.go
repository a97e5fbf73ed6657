package storage

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pegasus-go/pegasus/rocksdb"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

func TestPutGetRemove(t *testing.T) {
	f := newFixture(t)
	resp := f.put("h", "s", "v1", 0)
	want := rrdb.UpdateResponse{Error: 0, AppID: 3, PartitionIndex: 1, Decree: 1, Server: "127.0.0.1:34801"}
	if *resp != want {
		t.Fatalf("put response %+v, want %+v", *resp, want)
	}
	g := f.get("h", "s")
	if g.Error != StatusOk || string(g.Value.Bytes()) != "v1" || g.AppID != 3 || g.PartitionIndex != 1 || g.Server != "127.0.0.1:34801" {
		t.Fatalf("get %+v", g)
	}
	f.put("h", "s", "", 0)
	if g := f.get("h", "s"); g.Error != StatusOk || len(g.Value.Bytes()) != 0 {
		t.Fatalf("empty value is a value: %+v", g)
	}
	r := f.apply(removeW("h", "s"))[0].(*rrdb.UpdateResponse)
	if r.Error != 0 || r.Decree != 3 {
		t.Fatalf("remove %+v", r)
	}
	if g := f.get("h", "s"); g.Error != StatusNotFound || g.Value == nil || len(g.Value.Data) != 0 {
		t.Fatalf("get after remove %+v", g)
	}
	if r := f.apply(removeW("absent", "x"))[0].(*rrdb.UpdateResponse); r.Error != 0 {
		t.Fatalf("remove absent %+v", r)
	}
}

func TestMultiPutMultiRemove(t *testing.T) {
	f := newFixture(t)
	r := f.apply(multiPutW("h", 0, "a", "1", "b", "2", "c", "3"))[0].(*rrdb.UpdateResponse)
	if r.Error != 0 || r.Decree != 1 {
		t.Fatalf("multi_put %+v", r)
	}
	for _, s := range []string{"a", "b", "c"} {
		if g := f.get("h", s); g.Error != 0 {
			t.Fatalf("get %s: %+v", s, g)
		}
	}
	if r := f.apply(multiPutW("h", 0))[0].(*rrdb.UpdateResponse); r.Error != StatusInvalidArgument || r.Decree != 2 {
		t.Fatalf("empty multi_put %+v", r)
	}
	mr := f.apply(multiRemoveW("h", "a", "b", "zz"))[0].(*rrdb.MultiRemoveResponse)
	if mr.Error != 0 || mr.Count != 3 || mr.Decree != 3 || mr.AppID != 3 {
		t.Fatalf("multi_remove %+v", mr)
	}
	if g := f.get("h", "a"); g.Error != StatusNotFound {
		t.Fatal("a still there")
	}
	if g := f.get("h", "c"); g.Error != StatusOk {
		t.Fatal("c gone")
	}
	mr = f.apply(multiRemoveW("h"))[0].(*rrdb.MultiRemoveResponse)
	if mr.Error != StatusInvalidArgument || mr.Count != 0 {
		t.Fatalf("empty multi_remove %+v", mr)
	}
	if f.p.LastAppliedDecree() != 4 {
		t.Fatalf("invalid requests must consume decrees: last %d", f.p.LastAppliedDecree())
	}
}

func TestLongHashKeyRejected(t *testing.T) {
	f := newFixture(t)
	long := strings.Repeat("k", 65535)
	ok := strings.Repeat("k", 65534)
	if r := f.apply(multiPutW(long, 0, "s", "v"))[0].(*rrdb.UpdateResponse); r.Error != StatusInvalidArgument {
		t.Fatalf("multi_put: %+v", r)
	}
	if r := f.apply(multiPutW(ok, 0, "s", "v"))[0].(*rrdb.UpdateResponse); r.Error != StatusOk {
		t.Fatalf("multi_put 65534: %+v", r)
	}
	if r := f.apply(multiRemoveW(long, "s"))[0].(*rrdb.MultiRemoveResponse); r.Error != StatusInvalidArgument {
		t.Fatalf("multi_remove: %+v", r)
	}
	cas := &rrdb.CheckAndSetRequest{HashKey: blob(long), CheckSortKey: blob("s"), SetValue: blob("v")}
	if r := f.apply(Write{Op: OpCheckAndSet, Request: cas})[0].(*rrdb.CheckAndSetResponse); r.Error != StatusInvalidArgument {
		t.Fatalf("check_and_set: %+v", r)
	}
	cam := &rrdb.CheckAndMutateRequest{HashKey: blob(long), MutateList: []*rrdb.Mutate{{SortKey: blob("s")}}}
	if r := f.apply(Write{Op: OpCheckAndMutate, Request: cam})[0].(*rrdb.CheckAndMutateResponse); r.Error != StatusInvalidArgument {
		t.Fatalf("check_and_mutate: %+v", r)
	}
	ctx := t.Context()
	if r := f.p.MultiGet(ctx, &rrdb.MultiGetRequest{HashKey: blob(long)}); r.Error != StatusInvalidArgument {
		t.Fatalf("multi_get: %+v", r)
	}
	if r := f.p.SortKeyCount(ctx, []byte(long)); r.Error != StatusInvalidArgument {
		t.Fatalf("sortkey_count: %+v", r)
	}
	bg := &rrdb.BatchGetRequest{Keys: []*rrdb.FullKey{{HashKey: blob(long), SortKey: blob("s")}}}
	if r := f.p.BatchGet(ctx, bg); r.Error != StatusInvalidArgument {
		t.Fatalf("batch_get: %+v", r)
	}
}

func TestDefaultTTL(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Envs = map[string]string{EnvDefaultTTL: "100"} })
	now := f.nowEpoch()
	f.put("h", "default", "v", 0)
	f.put("h", "explicit", "v", now+500)
	f.apply(incrW("h", "counter", 1, 0))
	if r := f.p.TTL(t.Context(), key("h", "default")); r.Error != 0 || r.TTLSeconds != 100 {
		t.Fatalf("default ttl: %+v", r)
	}
	if r := f.p.TTL(t.Context(), key("h", "explicit")); r.TTLSeconds != 500 {
		t.Fatalf("explicit ttl: %+v", r)
	}
	if r := f.p.TTL(t.Context(), key("h", "counter")); r.TTLSeconds != 100 {
		t.Fatalf("incr ttl: %+v", r)
	}
	f.p.UpdateEnvs(map[string]string{EnvDefaultTTL: "bogus"})
	f.put("h", "kept", "v", 0)
	if r := f.p.TTL(t.Context(), key("h", "kept")); r.TTLSeconds != 100 {
		t.Fatalf("invalid env must keep the setting: %+v", r)
	}
	f.p.UpdateEnvs(map[string]string{})
	f.put("h", "none", "v", 0)
	if r := f.p.TTL(t.Context(), key("h", "none")); r.TTLSeconds != -1 {
		t.Fatalf("after removing the env: %+v", r)
	}
}

// Writes take their time from the mutation, never from the local clock.
func TestWritesUseMutationTime(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Envs = map[string]string{EnvDefaultTTL: "100"} })
	now := f.nowEpoch()
	f.put("h", "exp", "5", now+10)
	// The mutation is stamped 20 s later than the local clock: the record is
	// already expired for it, so incr starts from 0.
	f.decree++
	ts := f.clock.Now().Add(20e9).UnixMicro()
	resps, err := f.p.Apply(&Mutation{Decree: f.decree, TimestampUs: ts, Writes: []Write{incrW("h", "exp", 1, 0), putW("h", "d", "v", 0)}})
	if err != nil {
		t.Fatal(err)
	}
	if r := resps[0].(*rrdb.IncrResponse); r.Error != 0 || r.NewValue_ != 1 {
		t.Fatalf("incr %+v", r)
	}
	if r := f.p.TTL(t.Context(), key("h", "d")); r.TTLSeconds != 120 {
		t.Fatalf("default ttl counts from the mutation time: %+v", r)
	}
	raw, _, _ := f.p.db.Get(key("h", "d"))
	sv, _ := decodeValue(DataVersion1, raw)
	if sv.timetag != Timetag(ts, 0, false) {
		t.Fatalf("timetag %#x, want %#x", sv.timetag, Timetag(ts, 0, false))
	}
}

// Later writes of one mutation see earlier ones, and the whole mutation is
// one decree.
func TestMutationReadsItsOwnWrites(t *testing.T) {
	f := newFixture(t)
	resps := f.apply(
		putW("h", "n", "10", 0),
		incrW("h", "n", 5, 0),
		removeW("h", "gone"),
		Write{Op: OpCheckAndSet, Request: &rrdb.CheckAndSetRequest{
			HashKey: blob("h"), CheckSortKey: blob("n"), CheckType: rrdb.CasCheckType_CT_VALUE_INT_EQUAL,
			CheckOperand: blob("15"), SetValue: blob("ok"), SetDiffSortKey: true, SetSortKey: blob("flag"),
			ReturnCheckValue: true,
		}},
		incrW("h", "flag", 1, 0),
	)
	if r := resps[1].(*rrdb.IncrResponse); r.NewValue_ != 15 || r.Decree != 1 {
		t.Fatalf("incr after put %+v", r)
	}
	cas := resps[3].(*rrdb.CheckAndSetResponse)
	if cas.Error != 0 || !cas.CheckValueReturned || !cas.CheckValueExist || string(cas.CheckValue.Bytes()) != "15" {
		t.Fatalf("cas %+v", cas)
	}
	if r := resps[4].(*rrdb.IncrResponse); r.Error != StatusInvalidArgument {
		t.Fatalf("incr of \"ok\" %+v", r)
	}
	if g := f.get("h", "n"); string(g.Value.Bytes()) != "15" {
		t.Fatalf("n = %q", g.Value.Bytes())
	}
	if f.p.LastAppliedDecree() != 1 {
		t.Fatalf("decree %d", f.p.LastAppliedDecree())
	}
}

func TestDecreeMonotonicAndReopen(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 5; i++ {
		f.put("h", string(rune('a'+i)), "v", 0)
	}
	f.apply() // empty write
	if got := f.p.LastAppliedDecree(); got != 6 {
		t.Fatalf("decree %d", got)
	}
	_, err := f.p.Apply(&Mutation{Decree: 6, TimestampUs: 1, Writes: []Write{putW("h", "z", "v", 0)}})
	if !errors.Is(err, rocksdb.ErrStaleDecree) {
		t.Fatalf("stale decree error %v", err)
	}
	if g := f.get("h", "z"); g.Error != StatusNotFound {
		t.Fatal("stale mutation applied")
	}
	f.reopen()
	if got := f.p.LastAppliedDecree(); got != 6 {
		t.Fatalf("decree after reopen %d", got)
	}
	if g := f.get("h", "c"); g.Error != 0 {
		t.Fatalf("data after reopen %+v", g)
	}
	if f.p.DataVersion() != DataVersion1 {
		t.Fatalf("data version %d", f.p.DataVersion())
	}
}

func TestBadWrite(t *testing.T) {
	f := newFixture(t)
	for _, w := range []Write{{Op: OpPut, Request: "x"}, {Op: Op(99)}, {Op: OpIncr, Request: &rrdb.UpdateRequest{}}} {
		_, err := f.p.Apply(&Mutation{Decree: 1, Writes: []Write{w}})
		if !errors.Is(err, ErrBadWrite) {
			t.Errorf("%v: error %v", w.Op, err)
		}
	}
	// Nil requests of the right type are tolerated.
	resps := f.apply(
		Write{Op: OpPut, Request: (*rrdb.UpdateRequest)(nil)},
		Write{Op: OpRemove, Request: (*base.Blob)(nil)},
		Write{Op: OpMultiPut, Request: (*rrdb.MultiPutRequest)(nil)},
		Write{Op: OpMultiRemove, Request: (*rrdb.MultiRemoveRequest)(nil)},
		Write{Op: OpIncr, Request: (*rrdb.IncrRequest)(nil)},
		Write{Op: OpCheckAndSet, Request: (*rrdb.CheckAndSetRequest)(nil)},
		Write{Op: OpCheckAndMutate, Request: (*rrdb.CheckAndMutateRequest)(nil)},
	)
	var codes []int32
	for _, r := range resps {
		switch r := r.(type) {
		case *rrdb.UpdateResponse:
			codes = append(codes, r.Error)
		case *rrdb.MultiRemoveResponse:
			codes = append(codes, r.Error)
		case *rrdb.IncrResponse:
			codes = append(codes, r.Error)
		case *rrdb.CheckAndSetResponse:
			codes = append(codes, r.Error)
		case *rrdb.CheckAndMutateResponse:
			codes = append(codes, r.Error)
		}
	}
	if want := []int32{0, 0, 4, 4, 4, 4, 4}; !slices.Equal(codes, want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
}
