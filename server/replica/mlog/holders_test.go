package mlog

import (
	"context"
	"maps"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// A partition that logged once and then went quiet holds the oldest
// segment, and only it is named; once it is durable GC can go on.
func TestOldestHoldersNamesWhatBlocksGC(t *testing.T) {
	ctx := context.Background()
	busy, quiet := base.Gpid{Appid: 1, PartitionIndex: 0}, base.Gpid{Appid: 2, PartitionIndex: 3}
	l, err := Open(t.TempDir(), Options{SegmentBytes: 150})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := l.OldestHolders(func(base.Gpid) int64 { return 0 }); len(got) != 0 {
		t.Fatalf("holders of an empty log: %v", got)
	}
	if err := l.Append(ctx, entryOf(quiet, 1, 7)); err != nil {
		t.Fatal(err)
	}
	for d := int64(1); d <= 20; d++ {
		if err := l.Append(ctx, entryOf(busy, 1, d)); err != nil {
			t.Fatal(err)
		}
	}
	durable := map[base.Gpid]int64{busy: 20, quiet: 0}
	at := func(g base.Gpid) int64 { return durable[g] }
	if n, _ := l.GC(at); n != 0 {
		t.Fatalf("gc removed %d segments the quiet partition still needs", n)
	}
	if got, want := l.OldestHolders(at), map[base.Gpid]int64{quiet: 7}; !maps.Equal(got, want) {
		t.Fatalf("holders %v, want %v", got, want)
	}
	durable[busy] = 0
	if got := l.OldestHolders(at); len(got) != 2 || got[quiet] != 7 || got[busy] < 1 {
		t.Fatalf("holders with nothing durable %v, want both partitions", got)
	}
	durable[busy], durable[quiet] = 20, 7
	_, before := l.Size()
	if n, _ := l.GC(at); n != before-1 {
		t.Fatalf("gc removed %d of %d segments once everything was durable; want all but the active one", n, before)
	}
	if got := l.OldestHolders(at); len(got) != 0 {
		t.Fatalf("holders with only the active segment left: %v", got)
	}
}
