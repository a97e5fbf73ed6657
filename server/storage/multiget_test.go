package storage

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

// seedMultiGet stores sort keys a1 a2 a3 b1 b2 c1 under "h" (value = "v" +
// sort key) plus records under neighbouring hash keys.
func seedMultiGet(f *fixture) {
	f.apply(
		multiPutW("h", 0, "a1", "va1", "a2", "va2", "a3", "va3", "b1", "vb1", "b2", "vb2", "c1", "vc1"),
		multiPutW("g", 0, "a1", "x"),
		multiPutW("i", 0, "a1", "x"),
		multiPutW("hh", 0, "a1", "x"),
	)
}

func sortKeys(ss ...string) []*base.Blob {
	out := make([]*base.Blob, len(ss))
	for i, s := range ss {
		out[i] = blob(s)
	}
	return out
}

func TestMultiGetRange(t *testing.T) {
	f := newFixture(t)
	seedMultiGet(f)
	all := []string{"a1=va1", "a2=va2", "a3=va3", "b1=vb1", "b2=vb2", "c1=vc1"}
	type tc struct {
		name string
		req  rrdb.MultiGetRequest
		want []string
		err  int32
	}
	tests := []tc{
		{"whole hash key", rrdb.MultiGetRequest{}, all, 0},
		{"start inclusive", rrdb.MultiGetRequest{StartSortkey: blob("a2"), StartInclusive: true}, all[1:], 0},
		{"start exclusive", rrdb.MultiGetRequest{StartSortkey: blob("a2")}, all[2:], 0},
		{"stop inclusive", rrdb.MultiGetRequest{StopSortkey: blob("b1"), StopInclusive: true}, all[:4], 0},
		{"stop exclusive", rrdb.MultiGetRequest{StopSortkey: blob("b1")}, all[:3], 0},
		{"start between keys", rrdb.MultiGetRequest{StartSortkey: blob("a25"), StopSortkey: blob("b15"), StopInclusive: true}, all[2:4], 0},
		{"single key both inclusive", rrdb.MultiGetRequest{StartSortkey: blob("b1"), StartInclusive: true, StopSortkey: blob("b1"), StopInclusive: true}, all[3:4], 0},
		{"equal bounds exclusive", rrdb.MultiGetRequest{StartSortkey: blob("b1"), StartInclusive: true, StopSortkey: blob("b1")}, nil, 0},
		{"inverted range", rrdb.MultiGetRequest{StartSortkey: blob("c"), StopSortkey: blob("a"), StopInclusive: true}, nil, 0},
		{"empty stop ignores stop_inclusive", rrdb.MultiGetRequest{StopInclusive: true, StartSortkey: blob("c1"), StartInclusive: true}, all[5:], 0},
		{"reverse", rrdb.MultiGetRequest{Reverse: true}, all, 0},
		{"reverse exclusive both", rrdb.MultiGetRequest{Reverse: true, StartSortkey: blob("a1"), StopSortkey: blob("c1")}, all[1:5], 0},
		{"reverse with count", rrdb.MultiGetRequest{Reverse: true, MaxKvCount: 2}, all[4:], StatusIncomplete},
		{"count limit", rrdb.MultiGetRequest{MaxKvCount: 2}, all[:2], StatusIncomplete},
		{"count limit hits last key", rrdb.MultiGetRequest{MaxKvCount: 6}, all, StatusIncomplete},
		{"count limit at inclusive stop", rrdb.MultiGetRequest{MaxKvCount: 2, StopSortkey: blob("a2"), StopInclusive: true}, all[:2], 0},
		// The byte limit is checked before each visit: the crossing record is included.
		{"size limit", rrdb.MultiGetRequest{MaxKvSize: 6}, all[:2], StatusIncomplete},
		{"size limit exact", rrdb.MultiGetRequest{MaxKvSize: 5}, all[:1], StatusIncomplete},
		{"no value", rrdb.MultiGetRequest{NoValue: true, MaxKvSize: 5}, []string{"a1=", "a2=", "a3="}, StatusIncomplete},
		{"prefix filter", rrdb.MultiGetRequest{SortKeyFilterType: rrdb.FilterType_FT_MATCH_PREFIX, SortKeyFilterPattern: blob("b")}, all[3:5], 0},
		{"prefix filter with start inside", rrdb.MultiGetRequest{SortKeyFilterType: rrdb.FilterType_FT_MATCH_PREFIX, SortKeyFilterPattern: blob("a"), StartSortkey: blob("a2")}, all[2:3], 0},
		{"prefix outside range", rrdb.MultiGetRequest{SortKeyFilterType: rrdb.FilterType_FT_MATCH_PREFIX, SortKeyFilterPattern: blob("c"), StopSortkey: blob("b")}, nil, 0},
		{"prefix reverse", rrdb.MultiGetRequest{SortKeyFilterType: rrdb.FilterType_FT_MATCH_PREFIX, SortKeyFilterPattern: blob("a"), Reverse: true}, all[:3], 0},
		{"anywhere filter", rrdb.MultiGetRequest{SortKeyFilterType: rrdb.FilterType_FT_MATCH_ANYWHERE, SortKeyFilterPattern: blob("2")}, []string{"a2=va2", "b2=vb2"}, 0},
		{"postfix filter", rrdb.MultiGetRequest{SortKeyFilterType: rrdb.FilterType_FT_MATCH_POSTFIX, SortKeyFilterPattern: blob("1")}, []string{"a1=va1", "b1=vb1", "c1=vc1"}, 0},
		{"empty pattern matches all", rrdb.MultiGetRequest{SortKeyFilterType: rrdb.FilterType_FT_MATCH_POSTFIX}, all, 0},
		{"bad filter", rrdb.MultiGetRequest{SortKeyFilterType: 4}, nil, StatusInvalidArgument},
		{"bad filter in point mode", rrdb.MultiGetRequest{SortKeyFilterType: -1, SortKeys: sortKeys("a1")}, nil, StatusInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			req.HashKey = blob("h")
			r := f.p.MultiGet(t.Context(), &req)
			if got := kvStrings(r.Kvs); r.Error != tt.err || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v error %d; want %v error %d", got, r.Error, tt.want, tt.err)
			}
			if r.AppID != 3 || r.PartitionIndex != 1 || r.Server == "" || r.Kvs == nil {
				t.Fatalf("header %+v", r)
			}
		})
	}
}

func TestMultiGetLastHashKeyComplete(t *testing.T) {
	f := newFixture(t)
	f.apply(multiPutW("zz", 0, "a", "1", "b", "2"))
	// Nothing after the range in the whole DB: a count limit that lands on the
	// last record reports completion, unlike the seeded case above.
	r := f.p.MultiGet(t.Context(), &rrdb.MultiGetRequest{HashKey: blob("zz"), MaxKvCount: 2})
	if r.Error != 0 || len(r.Kvs) != 2 {
		t.Fatalf("%+v", r)
	}
}

func TestMultiGetPoints(t *testing.T) {
	f := newFixture(t)
	seedMultiGet(f)
	now := f.nowEpoch()
	f.put("h", "exp", "gone", now+1)
	f.clock.Advance(time.Second)
	tests := []struct {
		name string
		req  rrdb.MultiGetRequest
		want []string
		err  int32
	}{
		{"list order, absent skipped", rrdb.MultiGetRequest{SortKeys: sortKeys("c1", "zz", "a1", "exp")}, []string{"c1=vc1", "a1=va1"}, 0},
		{"range fields ignored", rrdb.MultiGetRequest{SortKeys: sortKeys("a1"), StartSortkey: blob("b"), SortKeyFilterType: rrdb.FilterType_FT_MATCH_PREFIX, SortKeyFilterPattern: blob("zz")}, []string{"a1=va1"}, 0},
		{"count limit", rrdb.MultiGetRequest{SortKeys: sortKeys("a1", "zz", "a2", "a3"), MaxKvCount: 2}, []string{"a1=va1", "a2=va2"}, StatusIncomplete},
		{"count limit not hit by absent keys", rrdb.MultiGetRequest{SortKeys: sortKeys("a1", "a2", "zz"), MaxKvCount: 2}, []string{"a1=va1", "a2=va2"}, 0},
		{"size limit", rrdb.MultiGetRequest{SortKeys: sortKeys("a1", "a2", "a3"), MaxKvSize: 6}, []string{"a1=va1", "a2=va2"}, StatusIncomplete},
		{"no value", rrdb.MultiGetRequest{SortKeys: sortKeys("a1", "a2"), NoValue: true}, []string{"a1=", "a2="}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			req.HashKey = blob("h")
			r := f.p.MultiGet(t.Context(), &req)
			if got := kvStrings(r.Kvs); r.Error != tt.err || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v error %d; want %v error %d", got, r.Error, tt.want, tt.err)
			}
		})
	}
}

func TestMultiGetServerLimits(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MultiGetMaxIterationCount = 4; o.MultiGetMaxIterationSize = 10 })
	seedMultiGet(f)
	now := f.nowEpoch()
	f.put("h", "a0", "expired", now+1)
	f.clock.Advance(time.Second)
	ctx := t.Context()
	// Expired and filtered records count toward the iteration cap.
	r := f.p.MultiGet(ctx, &rrdb.MultiGetRequest{HashKey: blob("h"), MaxKvCount: 100,
		SortKeyFilterType: rrdb.FilterType_FT_MATCH_POSTFIX, SortKeyFilterPattern: blob("1")})
	if got := kvStrings(r.Kvs); r.Error != StatusIncomplete || !slices.Equal(got, []string{"a1=va1"}) {
		t.Fatalf("iteration cap: %v %d", got, r.Error)
	}
	// The server byte cap bounds even an unlimited request.
	r = f.p.MultiGet(ctx, &rrdb.MultiGetRequest{HashKey: blob("h"), StartSortkey: blob("a1"), StartInclusive: true})
	if got := kvStrings(r.Kvs); r.Error != StatusIncomplete || !slices.Equal(got, []string{"a1=va1", "a2=va2"}) {
		t.Fatalf("byte cap: %v %d", got, r.Error)
	}
	// Point mode caps the count at the server limit too.
	r = f.p.MultiGet(ctx, &rrdb.MultiGetRequest{HashKey: blob("h"), SortKeys: sortKeys("a1", "a2", "a3", "b1", "b2")})
	if r.Error != StatusIncomplete || len(r.Kvs) != 4 {
		t.Fatalf("point cap: %v %d", kvStrings(r.Kvs), r.Error)
	}
}

func TestMultiGetTimeLimit(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.IterationTimeLimit = 5 * time.Second; o.MultiGetMaxIterationCount = 200 })
	var kv []string
	for i := 0; i < 100; i++ {
		kv = append(kv, strings.Repeat("k", 1+i%7)+string(rune('a'+i%26))+string(rune('a'+i/26)), "v")
	}
	f.apply(multiPutW("h", 0, kv...))
	// The clock is read every 200/10 visits; each reading moves it 10 s.
	f.clock.SetStep(10 * time.Second)
	r := f.p.MultiGet(t.Context(), &rrdb.MultiGetRequest{HashKey: blob("h")})
	f.clock.SetStep(0)
	if r.Error != StatusIncomplete || len(r.Kvs) != 19 {
		t.Fatalf("time limit: %d kvs, error %d", len(r.Kvs), r.Error)
	}
	// A cancelled context stops the read like the time limit.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r = f.p.MultiGet(ctx, &rrdb.MultiGetRequest{HashKey: blob("h")})
	if r.Error != StatusIncomplete || len(r.Kvs) != 19 {
		t.Fatalf("cancelled: %d kvs, error %d", len(r.Kvs), r.Error)
	}
}
