package mlog

import (
	"context"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// TestSizeAndSyncObserver: Size counts the bytes written and the segments
// until GC drops them; the observer sees every batch sync.
func TestSizeAndSyncObserver(t *testing.T) {
	var observed atomic.Int64
	l, err := Open(t.TempDir(), Options{SegmentBytes: 200, SyncObserver: func(d time.Duration) {
		if d >= 0 {
			observed.Add(1)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if b, n := l.Size(); b != 0 || n != 0 {
		t.Fatalf("new log: %d bytes in %d segments", b, n)
	}
	for d := int64(1); d <= 30; d++ {
		if err := l.Append(context.Background(), entry(1, d)); err != nil {
			t.Fatal(err)
		}
	}
	st := l.Stats()
	bytes, segments := l.Size()
	// Beside the batches: each segment's header, and the end record of all
	// but the active one.
	if bytes != st.Bytes+int64(2*segments-1)*controlBytes || segments < 2 {
		t.Fatalf("after 30 appends: %d bytes in %d segments, stats %+v", bytes, segments, st)
	}
	if observed.Load() != st.Syncs || st.Syncs == 0 {
		t.Fatalf("observer saw %d syncs, stats %d", observed.Load(), st.Syncs)
	}
	if _, err := l.GC(func(base.Gpid) int64 { return math.MaxInt64 }); err != nil {
		t.Fatal(err)
	}
	if b, n := l.Size(); n != 1 || b >= bytes {
		t.Fatalf("after GC: %d bytes in %d segments (before %d in %d)", b, n, bytes, segments)
	}
}
