package storage

import (
	"math"
	"strconv"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

func TestIncr(t *testing.T) {
	tests := []struct {
		name      string
		old       *string // nil: absent
		inc       int64
		wantErr   int32
		wantValue int64
		wantStore string // stored afterwards; "" with wantErr != 0 means unchanged
	}{
		{"absent", nil, 5, 0, 5, "5"},
		{"empty value", ptr(""), 3, 0, 3, "3"},
		{"decimal", ptr("12"), 1, 0, 13, "13"},
		{"leading space", ptr(" 12"), 1, 0, 13, "13"},
		{"hex", ptr("0x1f"), 1, 0, 32, "32"},
		{"octal", ptr("010"), 0, 0, 8, "8"},
		{"negative result", ptr("3"), -5, 0, -2, "-2"},
		{"zero increment rewrites", ptr("+7"), 0, 0, 7, "7"},
		{"bare minus", ptr("-"), 1, StatusInvalidArgument, 0, ""},
		{"trailing garbage", ptr("12a"), 1, StatusInvalidArgument, 0, ""},
		{"trailing space", ptr("12 "), 1, StatusInvalidArgument, 0, ""},
		{"not a number", ptr("abc"), 1, StatusInvalidArgument, 0, ""},
		{"too big to parse", ptr("9223372036854775808"), 1, StatusInvalidArgument, 0, ""},
		{"overflow up", ptr(strconv.FormatInt(math.MaxInt64, 10)), 1, StatusInvalidArgument, math.MaxInt64, ""},
		{"overflow down", ptr(strconv.FormatInt(math.MinInt64, 10)), -1, StatusInvalidArgument, math.MinInt64, ""},
		{"max exactly", ptr(strconv.FormatInt(math.MaxInt64-1, 10)), 1, 0, math.MaxInt64, strconv.FormatInt(math.MaxInt64, 10)},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.name
			if tt.old != nil {
				f.put("h", s, *tt.old, 0)
			}
			r := f.apply(incrW("h", s, tt.inc, 0))[0].(*rrdb.IncrResponse)
			if r.Error != tt.wantErr || r.NewValue_ != tt.wantValue {
				t.Fatalf("incr = error %d value %d; want %d, %d", r.Error, r.NewValue_, tt.wantErr, tt.wantValue)
			}
			if r.Decree != f.decree || r.AppID != 3 || r.PartitionIndex != 1 || r.Server == "" {
				t.Fatalf("header %+v", r)
			}
			want := tt.wantStore
			if tt.wantErr != 0 && tt.old != nil {
				want = *tt.old
			}
			g := f.get("h", s)
			if tt.wantErr != 0 && tt.old == nil {
				if g.Error != StatusNotFound {
					t.Fatalf("failed incr created a record")
				}
				return
			}
			if string(g.Value.Bytes()) != want {
				t.Fatalf("stored %q, want %q", g.Value.Bytes(), want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestIncrTTL(t *testing.T) {
	f := newFixture(t)
	now := f.nowEpoch()
	ctx := t.Context()
	ttl := func() int32 { return f.p.TTL(ctx, key("h", "s")).TTLSeconds }

	f.apply(incrW("h", "s", 1, now+100)) // absent: request TTL applies
	if got := ttl(); got != 100 {
		t.Fatalf("ttl %d", got)
	}
	f.apply(incrW("h", "s", 1, 0)) // 0 keeps
	if got := ttl(); got != 100 {
		t.Fatalf("keep: ttl %d", got)
	}
	f.apply(incrW("h", "s", 1, now+50)) // > 0 sets
	if got := ttl(); got != 50 {
		t.Fatalf("set: ttl %d", got)
	}
	f.apply(incrW("h", "s", 1, -1)) // < 0 clears
	if got := ttl(); got != -1 {
		t.Fatalf("clear: ttl %d", got)
	}
	if g := f.get("h", "s"); string(g.Value.Bytes()) != "4" {
		t.Fatalf("value %q", g.Value.Bytes())
	}
	f.apply(incrW("h", "t", 1, -1)) // absent with negative: no TTL
	if got := f.p.TTL(ctx, key("h", "t")).TTLSeconds; got != -1 {
		t.Fatalf("absent, negative: ttl %d", got)
	}

	// An expired record counts as absent: base 0, and its TTL is not kept.
	f.put("h", "e", "100", now+10)
	f.clock.Advance(10e9)
	r := f.apply(incrW("h", "e", 2, 0))[0].(*rrdb.IncrResponse)
	if r.Error != 0 || r.NewValue_ != 2 {
		t.Fatalf("incr on expired %+v", r)
	}
	if got := f.p.TTL(ctx, key("h", "e")).TTLSeconds; got != -1 {
		t.Fatalf("expired record's TTL kept: %d", got)
	}
}
