package mlog

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// startFill runs preallocate in the background, as prepareSpare does.
func startFill(path string, size int64, pace fillPace) <-chan error {
	done := make(chan error, 1)
	go func() { done <- preallocate(path, size, pace) }()
	return done
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// waitFill fails the test if the fill has not ended within a minute (it
// would be hung).
func waitFill(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("the fill did not end")
		return nil
	}
}

// A fill spread over an hour writes its first chunk and then waits; a roll
// that needs the file hurries it to the end, all zeros and full size.
func TestFillIsPacedUntilHurried(t *testing.T) {
	path := filepath.Join(t.TempDir(), spareName)
	const size = 16 * fillChunk
	hurry, cancel := make(chan struct{}), make(chan struct{})
	done := startFill(path, size, fillPace{spread: time.Hour, hurry: hurry, cancel: cancel})

	// The first chunk goes at once; the second is due after an hour/16.
	// Once the first is there, an unpaced fill would finish within
	// moments: the file must still hold one chunk a while later.
	written := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			return 0 // not created yet
		}
		return fi.Size()
	}
	for deadline := time.Now().Add(30 * time.Second); written() < fillChunk; {
		if time.Now().After(deadline) {
			t.Fatal("the fill's first chunk never came")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the window an unpaced fill would need
	select {
	case err := <-done:
		t.Fatalf("a fill spread over an hour ended at once: %v", err)
	default:
	}
	if got := fileSize(t, path); got != fillChunk {
		t.Fatalf("paced fill wrote %d bytes ahead of its schedule, want one chunk (%d)", got, fillChunk)
	}

	close(hurry)
	if err := waitFill(t, done); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != size || !allZero(data) {
		t.Fatalf("hurried fill: %d bytes, all zero %v; want %d zeros", len(data), allZero(data), size)
	}
}

// Closing the log's fill mid-way ends it with errFillCancelled.
func TestFillCancelled(t *testing.T) {
	path := filepath.Join(t.TempDir(), spareName)
	cancel := make(chan struct{})
	done := startFill(path, 16*fillChunk, fillPace{spread: time.Hour, hurry: make(chan struct{}), cancel: cancel})
	close(cancel)
	if err := waitFill(t, done); !errors.Is(err, errFillCancelled) {
		t.Fatalf("cancelled fill returned %v, want errFillCancelled", err)
	}
	if got := fileSize(t, path); got >= 16*fillChunk {
		t.Fatalf("cancelled fill still wrote the whole file (%d bytes)", got)
	}
}

// With no spread a fill goes straight through.
func TestUnpacedFill(t *testing.T) {
	path := filepath.Join(t.TempDir(), spareName)
	size := int64(5*fillChunk + 123) // a short last chunk
	if err := waitFill(t, startFill(path, size, fillPace{hurry: make(chan struct{}), cancel: make(chan struct{})})); err != nil {
		t.Fatal(err)
	}
	if got := fileSize(t, path); got != size {
		t.Fatalf("file of %d bytes, want %d", got, size)
	}
}

func TestFillSpreadFollowsTheLastSegment(t *testing.T) {
	l := &Log{}
	if got := l.fillSpread(); got != defaultFillSpread {
		t.Fatalf("first roll: spread %v, want the default %v", got, defaultFillSpread)
	}
	l.rolledAt = time.Now().Add(-4 * time.Second)
	if got := l.fillSpread(); got < 2*time.Second || got > 2*time.Second+time.Second/2 {
		t.Fatalf("segment filled in 4s: spread %v, want about 2s", got)
	}
	l.rolledAt = time.Now().Add(-time.Minute)
	if got := l.fillSpread(); got != maxFillSpread {
		t.Fatalf("segment filled in a minute: spread %v, want the cap %v", got, maxFillSpread)
	}
}

// Open starts making the first segment's file, so that the first write
// need not wait for a whole fill; Close of a log that never wrote stops
// that fill and leaves no spare behind.
func TestOpenPreparesTheFirstSegment(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{SegmentBytes: 64 * fillChunk})
	if got := l.Stats().SegmentsZeroFilled; got != 1 {
		t.Fatalf("after Open: %d zero fills started, want 1", got)
	}
	for deadline := time.Now().Add(10 * time.Second); len(files(t, dir, spareName)) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("after Open: no spare file being made")
		}
		time.Sleep(time.Millisecond)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if fs := files(t, dir, spareName); len(fs) != 0 {
		t.Fatalf("after Close: spare files %v left", fs)
	}

	// A log that writes takes the prepared file as its first segment.
	l = mustOpen(t, dir, Options{SegmentBytes: 64 * fillChunk})
	appendRange(t, l, 1, 3)
	if got := l.Stats().SegmentsZeroFilled; got != 2 {
		t.Fatalf("after the first segment: %d zero fills started, want 2 (the first segment's, the next one's)", got)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = mustOpen(t, dir, Options{SegmentBytes: 64 * fillChunk})
	defer l.Close()
	checkExactly(t, l, 1, 3)
}
