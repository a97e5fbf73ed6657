package mlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// sized is an entry of 160 bytes of data: a reused file's old records and
// the new ones line up, so that the record after the last new one is a
// whole old one (the case a seal must catch; a torn one fails anyway).
func sized(decree int64) Entry {
	e := entry(1, decree)
	e.Data = append(e.Data, bytes.Repeat([]byte{byte(decree)}, 160-len(e.Data))...)
	return e
}

func appendRange(t *testing.T, l *Log, from, to int64) {
	t.Helper()
	for d := from; d <= to; d++ {
		if err := l.Append(context.Background(), sized(d)); err != nil {
			t.Fatal(err)
		}
	}
}

// checkExactly asserts that the log holds decrees from..to of sized
// entries, once each, in order, and nothing else.
func checkExactly(t *testing.T, l *Log, from, to int64) {
	t.Helper()
	got := replayAll(t, l, 0)
	if int64(len(got)) != to-from+1 {
		t.Fatalf("replayed %d entries (decrees %d..%d), want %d..%d", len(got), got[0].Decree, got[len(got)-1].Decree, from, to)
	}
	for i, e := range got {
		want := sized(from + int64(i))
		if e.Decree != want.Decree || e.Gpid != want.Gpid || !bytes.Equal(e.Data, want.Data) {
			t.Fatalf("entry %d: decree %d, want %d", i, e.Decree, want.Decree)
		}
	}
}

// mustOpen opens the log in dir or fails the test.
func mustOpen(t *testing.T, dir string, opts Options) *Log {
	t.Helper()
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func files(t *testing.T, dir, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCollectedSegmentsAreReused: GC keeps collected files for later
// segments, and what a reused file held before never comes back — not
// while the log runs, not after a reopen, not through a cursor.
func TestCollectedSegmentsAreReused(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 4096}
	l := mustOpen(t, dir, opts)
	appendRange(t, l, 1, 300)
	if n, err := l.GC(func(base.Gpid) int64 { return 300 }); err != nil || n <= minReuseSegments {
		t.Fatalf("gc collected %d segments (%v); want more than %d", n, err, minReuseSegments)
	}
	if got := files(t, dir, "recycle.*"); len(got) != minReuseSegments {
		t.Fatalf("%d files kept for reuse, want %d", len(got), minReuseSegments)
	}
	// Few enough that the active segment is a reused file, its old records
	// right after the new ones.
	// (21 entries a segment: the rest of the active one, the spare made
	// before the GC, then reused files.)
	appendRange(t, l, 301, 360)
	st := l.Stats()
	if st.SegmentsReused < 1 || st.SegmentsReused >= minReuseSegments {
		t.Fatalf("stats %+v: want the active segment on a reused file", st)
	}
	// Everything but the active segment was collected: 301 starts a reused
	// file or the segment that was active at the GC.
	first := replayAll(t, l, 0)[0].Decree
	if first > 301 {
		t.Fatalf("first entry %d after the second run", first)
	}
	checkExactly(t, l, first, 360)
	c := l.NewCursor(testGpid, 301)
	if got := readAll(t, c, math.MaxInt64, 1000); len(got) != 60 || got[0].Decree != 301 || got[59].Decree != 360 {
		t.Fatalf("cursor read %d entries: %v", len(got), decrees(got))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = mustOpen(t, dir, opts)
	defer l.Close()
	checkExactly(t, l, first, 360)
	appendRange(t, l, 361, 370)
	checkExactly(t, l, first, 370)
}

// TestReusedFileWithoutItsHeader: a crash right after a roll onto a reused
// file, before the first sync carried the new header, leaves the old
// content under the new name. Open finds no segment there, and nothing of
// the old content is replayed.
func TestReusedFileWithoutItsHeader(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 4096}
	l := mustOpen(t, dir, opts)
	appendRange(t, l, 1, 200)
	if _, err := l.GC(func(base.Gpid) int64 { return 150 }); err != nil {
		t.Fatal(err)
	}
	first := replayAll(t, l, 0)[0].Decree
	last := l.segments[len(l.segments)-1].seq
	l.Close()
	// Open cuts the last segment at its end (a crash would have left it
	// so too); the roll that follows takes a kept file.
	l = mustOpen(t, dir, opts)
	l.Close()
	kept := files(t, dir, "recycle.*")
	if len(kept) == 0 {
		t.Fatal("gc kept no file for reuse")
	}
	if err := os.Rename(kept[0], filepath.Join(dir, segmentName(last+1))); err != nil {
		t.Fatal(err)
	}
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("open with a headerless reused file last: %v", err)
	}
	checkExactly(t, l, first, 200)
	appendRange(t, l, 201, 210)
	l.Close()
	l = mustOpen(t, dir, opts)
	defer l.Close()
	checkExactly(t, l, first, 210)
}

// TestMiddleSegmentNeedsItsEnd: a rolled segment's end record is what
// ends it; without it the stale bytes after the last record are
// corruption, not an end.
func TestMiddleSegmentNeedsItsEnd(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 4096}
	l := mustOpen(t, dir, opts)
	appendRange(t, l, 1, 80)
	mid := l.segments[1]
	l.Close()
	b, err := os.ReadFile(mid.path)
	if err != nil {
		t.Fatal(err)
	}
	end := controlRecord(mid.seq, kindEnd)
	at := bytes.Index(b, end)
	if at < 0 || int64(at+len(end)) != mid.size {
		t.Fatalf("end record at %d of a %d-byte segment", at, mid.size)
	}
	copy(b[at:], bytes.Repeat([]byte{0xa5}, len(end)))
	if err := os.WriteFile(mid.path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, opts); err == nil || !errors.Is(err, errTorn) {
		t.Fatalf("open with a middle segment lacking its end: %v", err)
	}
}

// TestVersion1SegmentsAreRead: segments written before sealed checksums
// (no header, zero-filled tail) replay as before, take no new appends, and
// are deleted rather than reused once collected.
func TestVersion1SegmentsAreRead(t *testing.T) {
	dir := t.TempDir()
	for seq, ds := range map[int64][2]int64{1: {1, 10}, 2: {11, 20}} {
		var b []byte
		for d := ds[0]; d <= ds[1]; d++ {
			b = appendRecord(b, sized(d))
		}
		b = append(b, make([]byte, 8192-len(b))...)
		if err := os.WriteFile(filepath.Join(dir, segmentName(seq)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts := Options{SegmentBytes: 8192}
	l := mustOpen(t, dir, opts)
	checkExactly(t, l, 1, 20)
	appendRange(t, l, 21, 30)
	checkExactly(t, l, 1, 30)
	if l.segments[0].v2 || l.segments[1].v2 || !l.segments[2].v2 {
		t.Fatalf("formats: %v %v %v", l.segments[0].v2, l.segments[1].v2, l.segments[2].v2)
	}
	if n, err := l.GC(func(base.Gpid) int64 { return 20 }); n != 2 || err != nil {
		t.Fatalf("gc: %d, %v", n, err)
	}
	if got := files(t, dir, "recycle.*"); len(got) != 0 {
		t.Fatalf("version 1 files kept for reuse: %v", got)
	}
	l.Close()
	l = mustOpen(t, dir, opts)
	defer l.Close()
	checkExactly(t, l, 21, 30)
}

// TestOpenDropsUnsafeReusableFiles: a kept file numbered at or above the
// next segment (segments deleted by hand) could pass for a new segment, so
// Open removes it; so does one smaller than a segment, or stretched far
// past one.
func TestOpenDropsUnsafeReusableFiles(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 4096}
	for _, name := range []string{"recycle.7", "recycle.2"} {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, 4096), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "recycle.1"), make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "recycle.3"), make([]byte, 5*4096), 0o644); err != nil {
		t.Fatal(err)
	}
	var b []byte
	b = appendRecord(b, sized(1))
	if err := os.WriteFile(filepath.Join(dir, segmentName(5)), b, 0o644); err != nil {
		t.Fatal(err)
	}
	l := mustOpen(t, dir, opts)
	defer l.Close()
	if got := files(t, dir, "recycle.*"); len(got) != 1 || filepath.Base(got[0]) != "recycle.2" {
		t.Fatalf("kept %v, want recycle.2 alone", got)
	}
	appendRange(t, l, 2, 3)
	if st := l.Stats(); st.SegmentsReused != 1 {
		t.Fatalf("stats %+v: want the one safe file reused", st)
	}
	checkExactly(t, l, 1, 3)
}

// TestControlAppIDRefused: app ids below 0 mark the log's own records.
func TestControlAppIDRefused(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{})
	defer l.Close()
	e := entryOf(base.Gpid{Appid: controlApp, PartitionIndex: kindEnd}, 1, 1)
	if err := l.Append(context.Background(), e); err == nil {
		t.Fatalf("entry %v accepted", e.Gpid)
	}
}

// TestReadersRaceReuse: Replay and cursors running while GC collects
// segments and rolls reuse their files see only whole, current entries,
// and no error but ErrCollected for what a cursor was too late for.
func TestReadersRaceReuse(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{SegmentBytes: 4096, Policy: SyncPeriodic})
	defer l.Close()
	const total = 1200
	var written atomic.Int64
	done := make(chan error, 1)
	go func() {
		defer close(done)
		for d := int64(1); d <= total; d++ {
			if err := l.Append(context.Background(), sized(d)); err != nil {
				done <- err
				return
			}
			written.Store(d)
			if d%40 == 0 {
				if _, err := l.GC(func(base.Gpid) int64 { return d - 60 }); err != nil {
					done <- err
					return
				}
			}
		}
	}()
	check := func(e Entry) error {
		if want := sized(e.Decree); e.Gpid != want.Gpid || !bytes.Equal(e.Data, want.Data) || e.Decree > written.Load()+1 {
			return fmt.Errorf("entry of decree %d is not what was written", e.Decree)
		}
		return nil
	}
	c := l.NewCursor(testGpid, 1)
	replays, reads := 0, 0
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		default:
		}
		if err := l.Replay(check); err != nil {
			t.Fatalf("replay while segments are reused: %v", err)
		}
		replays++
		n, err := c.Read(math.MaxInt64, 200, check)
		switch {
		case errors.Is(err, ErrCollected):
			c.Reset(written.Load()) // too late for those: go on from the tail
		case err != nil:
			t.Fatalf("cursor while segments are reused: %v", err)
		}
		reads += n
	}
	if st := l.Stats(); st.SegmentsReused == 0 || replays < 10 || reads == 0 {
		t.Fatalf("%d replays, %d entries read by the cursor, stats %+v: the race was not run", replays, reads, st)
	}
}

// TestReuseBudget: GC keeps collected files while the log's files stay
// within ReuseBytes, at least minReuseSegments of them, none when it is
// negative.
func TestReuseBudget(t *testing.T) {
	for _, c := range []struct {
		reuseSegments int64 // ReuseBytes in segments
		want          int
	}{{-1, 0}, {0, minReuseSegments}, {4, minReuseSegments}, {40, 14}} {
		dir := t.TempDir()
		l := mustOpen(t, dir, Options{SegmentBytes: 4096, ReuseBytes: c.reuseSegments * 4096, Policy: SyncPeriodic})
		appendRange(t, l, 1, 300) // 15 segments
		n, err := l.GC(func(base.Gpid) int64 { return 300 })
		if err != nil || n != 14 {
			t.Fatalf("gc collected %d segments (%v), want 14", n, err)
		}
		if got := files(t, dir, "recycle.*"); len(got) != c.want || l.KeptFiles() != c.want {
			t.Errorf("ReuseBytes of %d segments: %d files kept (KeptFiles %d), want %d", c.reuseSegments, len(got), l.KeptFiles(), c.want)
		}
		l.Close()
	}
}

// FuzzScanSegment: any bytes under any segment number scan without a
// panic, to a valid prefix within them; the log's own records never reach
// the caller, and a version 2 segment's entries re-encode to the bytes
// they came from.
func FuzzScanSegment(f *testing.F) {
	seg := controlRecord(7, kindStart)
	var recs []byte
	for d := int64(1); d <= 3; d++ {
		recs = appendRecord(recs, sized(d))
	}
	sealRecords(recs, 7)
	seg = append(seg, recs...)
	seg = append(seg, controlRecord(7, kindEnd)...)
	f.Add(seg, int64(7))
	f.Add(seg, int64(8))
	f.Add(append(appendRecord(nil, sized(1)), make([]byte, 64)...), int64(3))
	f.Fuzz(func(t *testing.T, b []byte, seq int64) {
		var got []Entry
		valid, v2, err := scanBytes(b, seq, func(e Entry) error {
			got = append(got, e)
			return nil
		})
		if valid < 0 || valid > int64(len(b)) {
			t.Fatalf("valid prefix %d of %d bytes", valid, len(b))
		}
		if err != nil && !errors.Is(err, errTorn) {
			t.Fatalf("scan error %v does not wrap errTorn", err)
		}
		var again []byte
		if v2 {
			again = controlRecord(seq, kindStart)
		}
		for _, e := range got {
			if e.Gpid.Appid == controlApp {
				t.Fatalf("control record %+v passed on", e.Gpid)
			}
			again = appendRecord(again, e)
		}
		if v2 {
			sealRecords(again[controlBytes:], seq)
		}
		if !bytes.HasPrefix(b, again) {
			t.Fatalf("entries re-encode to bytes that are not the segment's start")
		}
	})
}

// GC renames and removes collected files outside the log's lock: appends
// go on while it does (a rename behind a busy journal took tens of
// milliseconds), and the files it kept are reused afterwards.
func TestGCFileWorkLeavesAppendsAlone(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{SegmentBytes: 4096})
	defer l.Close()
	appendRange(t, l, 1, 300)

	entered, release := make(chan struct{}), make(chan struct{})
	gcFilesHook = func() { close(entered); <-release }
	defer func() { gcFilesHook = nil }()
	type result struct {
		n   int
		err error
	}
	gcDone := make(chan result, 1)
	go func() {
		n, err := l.GC(func(base.Gpid) int64 { return 300 })
		gcDone <- result{n, err}
	}()
	<-entered

	appended := make(chan error, 1)
	go func() { appended <- l.Append(context.Background(), sized(301)) }()
	select {
	case err := <-appended:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		close(release)
		t.Fatal("an append waited for GC's file work")
	}
	close(release)
	res := <-gcDone
	if res.err != nil || res.n <= minReuseSegments {
		t.Fatalf("gc collected %d segments (%v); want more than %d", res.n, res.err, minReuseSegments)
	}
	if got := files(t, dir, "recycle.*"); len(got) != minReuseSegments {
		t.Fatalf("%d files kept for reuse, want %d", len(got), minReuseSegments)
	}
	appendRange(t, l, 302, 360)
	if st := l.Stats(); st.SegmentsReused < 1 {
		t.Fatalf("stats %+v: no segment took a file GC kept", st)
	}
	first := replayAll(t, l, 0)[0].Decree
	checkExactly(t, l, first, 360)
}

// Replay reads the segments it listed when it began. The log may roll past
// the last of them and collect it before Replay gets there: that segment
// is skipped like any other collected one, not reported as an error (a
// race TestReadersRaceReuse hit now and then).
func TestReplaySkipsItsLastSegmentCollectedMeanwhile(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{SegmentBytes: 4096, Policy: SyncPeriodic})
	defer l.Close()
	appendRange(t, l, 1, 30)
	l.mu.Lock()
	listed, last := len(l.segments), l.segments[len(l.segments)-1].seq
	l.mu.Unlock()
	if listed < 2 {
		t.Fatalf("%d segments before Replay, want at least 2", listed)
	}
	moved := false
	err := l.Replay(func(Entry) error {
		if moved {
			return nil
		}
		moved = true
		for d := int64(31); d <= 90; d++ {
			if err := l.Append(context.Background(), sized(d)); err != nil {
				return err
			}
		}
		_, err := l.GC(func(base.Gpid) int64 { return 90 })
		return err
	})
	if err != nil {
		t.Fatalf("replay while its segments were collected: %v", err)
	}
	if !l.collected(last) {
		t.Fatalf("segment %d, the last Replay listed, was not collected: the test did not race", last)
	}
}
