package mlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/base"
)

var testGpid = base.Gpid{Appid: 2, PartitionIndex: 5}

func entry(ballot, decree int64) Entry {
	return entryOf(testGpid, ballot, decree)
}

func entryOf(g base.Gpid, ballot, decree int64) Entry {
	return Entry{Gpid: g, Ballot: ballot, Decree: decree, Data: []byte(fmt.Sprintf("m-%d.%d-%d-%d", g.Appid, g.PartitionIndex, ballot, decree))}
}

// replayAll returns the logged entries with decrees ≥ from.
func replayAll(t *testing.T, l *Log, from int64) []Entry {
	t.Helper()
	var out []Entry
	if err := l.Replay(func(e Entry) error {
		if e.Decree >= from {
			out = append(out, Entry{Gpid: e.Gpid, Ballot: e.Ballot, Decree: e.Decree, Data: append([]byte(nil), e.Data...)})
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAppendReplayReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	l, err := Open(dir, Options{SegmentBytes: 200})
	if err != nil {
		t.Fatal(err)
	}
	for d := int64(1); d <= 30; d++ {
		if err := l.Append(ctx, entry(1, d)); err != nil {
			t.Fatal(err)
		}
	}
	// Reconciliation under a new ballot rewrites decree 30.
	if err := l.Append(ctx, entry(2, 30), entry(2, 31)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "log.*"))
	if len(segs) < 3 {
		t.Fatalf("%d segments; want several with a 200-byte limit", len(segs))
	}
	l, err = Open(dir, Options{SegmentBytes: 200})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := replayAll(t, l, 1)
	if len(got) != 32 || got[29].Ballot != 1 || got[30].Ballot != 2 || got[30].Decree != 30 || got[31].Decree != 31 {
		t.Fatalf("replay: %d entries, tail %+v", len(got), got[len(got)-3:])
	}
	for i, e := range got[:30] {
		if !bytes.Equal(e.Data, entry(1, int64(i+1)).Data) {
			t.Fatalf("entry %d: %+v", i, e)
		}
	}
	if from := replayAll(t, l, 25); len(from) != 8 || from[0].Decree != 25 {
		t.Fatalf("replay from 25: %d entries starting at %d", len(from), from[0].Decree)
	}
	if err := l.Append(ctx, entry(2, 32)); err != nil {
		t.Fatal(err)
	}
	if got := replayAll(t, l, 32); len(got) != 1 {
		t.Fatalf("append after reopen: %v", got)
	}
}

func TestConcurrentAppendsAreAllDurable(t *testing.T) {
	for _, inPlace := range []bool{false, true} {
		t.Run(fmt.Sprintf("SyncInPlace=%v", inPlace), func(t *testing.T) { testConcurrentAppends(t, inPlace) })
	}
}

func testConcurrentAppends(t *testing.T, inPlace bool) {
	dir := t.TempDir()
	l, err := Open(dir, Options{SegmentBytes: 4096, SyncInPlace: inPlace})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	const writers, each = 16, 50
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := l.Append(context.Background(), entry(int64(w), int64(w*each+i+1))); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if inPlace && l.Stats().Syncs == 0 {
		t.Fatal("no sync counted")
	}
	l.Close()
	l, err = Open(dir, Options{SegmentBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	seen := map[int64]bool{}
	for _, e := range replayAll(t, l, 0) {
		if seen[e.Decree] || !bytes.Equal(e.Data, entry(e.Ballot, e.Decree).Data) {
			t.Fatalf("bad or duplicate entry %+v", e)
		}
		seen[e.Decree] = true
	}
	if len(seen) != writers*each {
		t.Fatalf("%d entries after reopen, want %d", len(seen), writers*each)
	}
}

func TestTornTailIsCutAndCorruptionElsewhereFails(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	l, _ := Open(dir, Options{SegmentBytes: 120})
	for d := int64(1); d <= 10; d++ {
		l.Append(ctx, entry(1, d))
	}
	l.Close()
	// A crash mid-append: half a record at the end of the last segment.
	f, _ := os.OpenFile(newest(t, dir), os.O_WRONLY|os.O_APPEND, 0)
	rec := appendRecord(nil, entry(1, 11))
	f.Write(rec[:len(rec)/2])
	f.Close()
	l, err := Open(dir, Options{SegmentBytes: 120})
	if err != nil {
		t.Fatalf("open with a torn tail: %v", err)
	}
	if got := replayAll(t, l, 0); len(got) != 10 || got[9].Decree != 10 {
		t.Fatalf("after cutting the torn tail: %d entries", len(got))
	}
	if err := l.Append(ctx, entry(1, 11)); err != nil {
		t.Fatal(err)
	}
	l.Close()
	// A flipped byte inside an older segment is corruption, not a tail.
	oldest := oldestSeg(t, dir)
	b, _ := os.ReadFile(oldest)
	b[recordHeader+payloadFixed] ^= 0xff
	os.WriteFile(oldest, b, 0o644)
	if _, err := Open(dir, Options{SegmentBytes: 120}); err == nil || !errors.Is(err, errTorn) {
		t.Fatalf("open with a corrupt middle segment: %v", err)
	}
}

func TestGCKeepsWhatIsNeeded(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	l, _ := Open(dir, Options{SegmentBytes: 100})
	defer l.Close()
	for d := int64(1); d <= 40; d++ {
		l.Append(ctx, entry(1, d))
	}
	before, _ := filepath.Glob(filepath.Join(dir, "log.*"))
	n, err := l.GC(func(base.Gpid) int64 { return 19 })
	if err != nil || n == 0 {
		t.Fatalf("gc removed %d segments, %v", n, err)
	}
	got := replayAll(t, l, 20)
	if len(got) == 0 || got[0].Decree != 20 || got[len(got)-1].Decree != 40 {
		t.Fatalf("after gc, replay from 20: %v", got)
	}
	all := replayAll(t, l, 0)
	if all[0].Decree > 20 {
		t.Fatalf("gc removed decree %d..19 that were asked to be kept", all[0].Decree)
	}
	after, _ := filepath.Glob(filepath.Join(dir, "log.*"))
	if len(after) != len(before)-n {
		t.Fatalf("%d segments left of %d after removing %d", len(after), len(before), n)
	}
	if n, _ := l.GC(func(base.Gpid) int64 { return 1000 }); len(l.segments) != 1 {
		t.Fatalf("gc past the end kept %d segments (removed %d); the active one must stay alone", len(l.segments), n)
	}
}

// TestSharedLogGCWaitsForEveryPartition: a segment holding entries of two
// partitions goes only once both have made them durable.
func TestSharedLogGCWaitsForEveryPartition(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	a, b := base.Gpid{Appid: 1, PartitionIndex: 0}, base.Gpid{Appid: 1, PartitionIndex: 1}
	l, _ := Open(dir, Options{SegmentBytes: 150})
	defer l.Close()
	for d := int64(1); d <= 20; d++ {
		if err := l.Append(ctx, entryOf(a, 1, d), entryOf(b, 1, d)); err != nil {
			t.Fatal(err)
		}
	}
	durable := map[base.Gpid]int64{a: 20, b: 0}
	if n, _ := l.GC(func(g base.Gpid) int64 { return durable[g] }); n != 0 {
		t.Fatalf("gc removed %d segments that partition b still needs", n)
	}
	var got [2]int
	for _, e := range replayAll(t, l, 0) {
		got[e.Gpid.PartitionIndex]++
		if !bytes.Equal(e.Data, entryOf(e.Gpid, e.Ballot, e.Decree).Data) {
			t.Fatalf("entry %+v", e)
		}
	}
	if got != [2]int{20, 20} {
		t.Fatalf("replayed %v entries per partition, want 20 each", got)
	}
	durable[b] = 10
	if n, _ := l.GC(func(g base.Gpid) int64 { return durable[g] }); n == 0 {
		t.Fatal("gc removed nothing though both partitions made their first entries durable")
	}
	for _, e := range replayAll(t, l, 0) {
		if e.Gpid == b && e.Decree == 11 {
			return
		}
	}
	t.Fatal("gc removed partition b's decree 11, which is not durable")
}

func TestPeriodicPolicyAndClosedLog(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{Policy: SyncPeriodic})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(context.Background(), entry(1, 1)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(context.Background(), entry(1, 2)); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	l, _ = Open(dir, Options{})
	defer l.Close()
	if got := replayAll(t, l, 0); len(got) != 1 {
		t.Fatalf("periodic policy lost the entry: %v", got)
	}
	if err := l.Append(context.Background(), Entry{Decree: 2, Data: make([]byte, MaxEntrySize+1)}); err == nil {
		t.Fatal("oversized entry accepted")
	}
}

func newest(t *testing.T, dir string) string {
	t.Helper()
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := l.segments[len(l.segments)-1].path
	l.Close()
	return p
}

func oldestSeg(t *testing.T, dir string) string {
	t.Helper()
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := l.segments[0].path
	l.Close()
	return p
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(appendRecord(nil, entry(3, 7)))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, n, err := decodeRecord(b, 0)
		if err != nil {
			return
		}
		again := appendRecord(nil, e)
		if !bytes.Equal(again, b[:n]) {
			t.Fatalf("re-encoding differs")
		}
	})
}

// TestDatasyncInPlaceReportsErrors: the in-place sync returns fdatasync's
// errno with the file's name.
func TestDatasyncInPlaceReportsErrors(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := datasyncInPlace(f); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	var pe *os.PathError
	if err := datasyncInPlace(r); !errors.As(err, &pe) || !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("in-place sync of a pipe: %v, want a PathError with EINVAL", err)
	}
}
