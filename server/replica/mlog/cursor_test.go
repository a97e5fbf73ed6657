package mlog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// readAll reads gpid's entries from decree from up to upTo with cursor c,
// in chunks of max, until nothing is new.
func readAll(t *testing.T, c *Cursor, upTo int64, max int) []Entry {
	t.Helper()
	var out []Entry
	for i := 0; i < 10000; i++ {
		n, err := c.Read(upTo, max, func(e Entry) error {
			out = append(out, Entry{Gpid: e.Gpid, Ballot: e.Ballot, Decree: e.Decree, Data: append([]byte(nil), e.Data...)})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return out
		}
	}
	t.Fatal("cursor never ran dry")
	return nil
}

func decrees(es []Entry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.Decree
	}
	return out
}

func TestCursorReadsOnePartitionAcrossSegments(t *testing.T) {
	l, err := Open(t.TempDir(), Options{SegmentBytes: 300})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	other := base.Gpid{Appid: 9, PartitionIndex: 1}
	for d := int64(1); d <= 40; d++ {
		if err := l.Append(ctx, entry(1, d), entryOf(other, 1, d+100)); err != nil {
			t.Fatal(err)
		}
	}
	if _, n := l.Size(); n < 5 {
		t.Fatalf("%d segments; want several", n)
	}
	c := l.NewCursor(testGpid, 17)
	got := readAll(t, c, 30, 4)
	if len(got) != 14 || got[0].Decree != 17 || got[13].Decree != 30 {
		t.Fatalf("read decrees %v, want 17..30", decrees(got))
	}
	for _, e := range got {
		if e.Gpid != testGpid || !bytes.Equal(e.Data, entry(1, e.Decree).Data) {
			t.Fatalf("entry %+v is not the logged one", e)
		}
	}
	// Reading on continues after 30, including what is appended later.
	if err := l.Append(ctx, entry(1, 41), entry(1, 42)); err != nil {
		t.Fatal(err)
	}
	got = readAll(t, c, 100, 5)
	if len(got) != 12 || got[0].Decree != 31 || got[11].Decree != 42 {
		t.Fatalf("read on: decrees %v, want 31..42", decrees(got))
	}
	// Resetting back rescans from the oldest segment that may hold it.
	c.Reset(3)
	if got = readAll(t, c, 5, 100); len(got) != 3 || got[0].Decree != 3 {
		t.Fatalf("after reset: decrees %v, want 3..5", decrees(got))
	}
	// A re-prepared decree under a higher ballot comes again, in log order.
	if err := l.Append(ctx, entry(2, 42), entry(2, 43)); err != nil {
		t.Fatal(err)
	}
	c = l.NewCursor(testGpid, 41)
	got = readAll(t, c, 100, 100)
	if len(got) != 4 || got[2].Ballot != 2 || got[2].Decree != 42 || got[3].Decree != 43 {
		t.Fatalf("with a re-prepare: %+v", got)
	}
}

func TestCursorTornTail(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{SegmentBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for d := int64(1); d <= 5; d++ {
		if err := l.Append(ctx, entry(1, d)); err != nil {
			t.Fatal(err)
		}
	}
	// A record half written at the end of the active segment (as while the
	// flusher writes): the cursor stops before it, and reads it once whole.
	l.mu.Lock()
	active := l.segments[len(l.segments)-1]
	l.mu.Unlock()
	path, size := active.path, active.size
	rec := appendRecord(nil, entry(1, 6))
	sealRecords(rec, active.seq)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(rec[:len(rec)-3], size); err != nil {
		t.Fatal(err)
	}
	c := l.NewCursor(testGpid, 1)
	if got := readAll(t, c, 100, 100); len(got) != 5 {
		t.Fatalf("with a torn tail: decrees %v, want 1..5", decrees(got))
	}
	if _, err := f.WriteAt(rec, size); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, c, 100, 100); len(got) != 1 || got[0].Decree != 6 {
		t.Fatalf("once whole: decrees %v, want 6", decrees(got))
	}
	l.Close()
	if _, err := c.Read(100, 1, func(Entry) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("read on a closed log: %v", err)
	}
}

// TestCursorAcrossRetainedGC: GC with a retention below the durable decree
// keeps what a cursor still needs; without it the cursor reports the gap
// instead of skipping it.
func TestCursorAcrossRetainedGC(t *testing.T) {
	l, err := Open(t.TempDir(), Options{SegmentBytes: 200})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	for d := int64(1); d <= 30; d++ {
		if err := l.Append(ctx, entry(1, d)); err != nil {
			t.Fatal(err)
		}
	}
	const confirmed = 10
	durable := int64(28)
	if _, err := l.GC(func(base.Gpid) int64 { return min(durable, confirmed) }); err != nil {
		t.Fatal(err)
	}
	c := l.NewCursor(testGpid, confirmed+1)
	if got := readAll(t, c, 30, 100); len(got) != 20 || got[0].Decree != confirmed+1 {
		t.Fatalf("after a retained GC: decrees %v, want 11..30", decrees(got))
	}
	removed, err := l.GC(func(base.Gpid) int64 { return durable })
	if err != nil || removed == 0 {
		t.Fatalf("GC without retention removed %d (%v)", removed, err)
	}
	// Without retention the entries above the confirmed decree are gone:
	// the cursor's first entry is then past the one asked for, which is how
	// a reader that needs contiguous decrees detects the gap.
	c = l.NewCursor(testGpid, confirmed+1)
	if got := readAll(t, c, 30, 100); len(got) == 0 || got[0].Decree == confirmed+1 {
		t.Fatalf("after an unretained GC: decrees %v; want the first ones missing", decrees(got))
	}
}
