package mlog

import (
	"bytes"
	"context"
	"math/rand"
	"os"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// activeState returns the active segment's path and logical size.
func activeState(l *Log) (string, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.segments[len(l.segments)-1]
	return s.path, s.size
}

// TestWritesCoverWholePages checks that a batch is written as whole pages:
// the rest of its last page becomes zeros, even where the file held other
// bytes (a reused file's stale records), while the pages after it and the
// records before it stay as they were.
func TestWritesCoverWholePages(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{SegmentBytes: 1 << 20})
	defer l.Close()
	rng := rand.New(rand.NewSource(7))
	first := Entry{Gpid: base.Gpid{Appid: 1, PartitionIndex: 0}, Ballot: 1, Decree: 1, Data: []byte("first")}
	if err := l.Append(context.Background(), first); err != nil { // the segment starts with the first append
		t.Fatal(err)
	}
	want := [][]byte{first.Data}
	for i := 1; i < 200; i++ {
		data := make([]byte, 1+rng.Intn(9000))
		rng.Read(data)
		path, before := activeState(l)
		// Stale bytes from the end on, as a reused file has.
		junk := bytes.Repeat([]byte{0xA5}, 3*pageBytes)
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt(junk, before); err != nil {
			t.Fatal(err)
		}
		f.Close()
		prefix, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		prefix = prefix[:before]

		e := Entry{Gpid: base.Gpid{Appid: 1, PartitionIndex: 0}, Ballot: 1, Decree: int64(i + 1), Data: data}
		if err := l.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		want = append(want, data)
		_, after := activeState(l)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b[:before], prefix) {
			t.Fatalf("append %d changed the bytes before the segment's end", i)
		}
		pageEnd := (after + pageBytes - 1) &^ (pageBytes - 1)
		if !allZero(b[after:pageEnd]) {
			t.Fatalf("append %d: bytes %d..%d after the end are not zero: the last page was not written whole", i, after, pageEnd)
		}
		if junkEnd := before + int64(len(junk)); pageEnd < junkEnd && !bytes.Equal(b[pageEnd:junkEnd], junk[pageEnd-before:]) {
			t.Fatalf("append %d wrote past its last page (end %d, page end %d)", i, after, pageEnd)
		}
	}
	var got [][]byte
	if err := l.Replay(func(e Entry) error {
		got = append(got, append([]byte(nil), e.Data...))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("replayed %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("entry %d replayed wrong", i)
		}
	}
}

// TestPageTailUnknownFallsBack: with the last page's content unknown the
// flusher writes only the batch, and relearns the page from the next page
// boundary the batch crosses.
func TestPageTailUnknownFallsBack(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{SegmentBytes: 1 << 20})
	defer l.Close()
	appendN := func(d int64, n int) {
		t.Helper()
		e := Entry{Gpid: base.Gpid{Appid: 1}, Ballot: 1, Decree: d, Data: bytes.Repeat([]byte{byte(d)}, n)}
		if err := l.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	appendN(1, 100)
	l.mu.Lock()
	l.tail.known = false
	l.mu.Unlock()
	appendN(2, 100) // stays within the first page: still unknown
	if l.tail.known {
		t.Fatal("a write inside an unknown page made it known")
	}
	appendN(3, 2*pageBytes) // crosses into a new page
	_, size := activeState(l)
	if !l.tail.known || l.tail.start != size&^(pageBytes-1) || int64(len(l.tail.bytes)) != size-l.tail.start {
		t.Fatalf("tail after crossing a page: known %v start %d len %d; segment end %d", l.tail.known, l.tail.start, len(l.tail.bytes), size)
	}
	appendN(4, 10)
	n := 0
	if err := l.Replay(func(e Entry) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("replayed %d entries, want 4", n)
	}
}
