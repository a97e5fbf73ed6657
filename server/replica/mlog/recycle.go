package mlog

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// minReuseSegments is how many collected files GC may always keep,
// whatever Options.ReuseBytes leaves: a log bounded near its working size
// has no room under the bound, and a roll that finds no kept file writes
// 32 MiB of zeros.
const minReuseSegments = 8

// keepLimit is how many collected files the log may keep beside its live
// segments.
func (l *Log) keepLimit() int {
	if l.opts.ReuseBytes < 0 {
		return 0
	}
	return max(minReuseSegments, int(l.opts.ReuseBytes/l.opts.SegmentBytes)-len(l.segments))
}

const recyclePrefix = "recycle."

// reusable is a collected segment's file waiting for a later segment.
type reusable struct {
	path   string
	oldSeq int64 // the segment it held last: only higher numbers reuse it
}

// reusableSize reports whether a file of size bytes makes a segment: full
// size, and not one an oversized batch stretched (kept, it would hold that
// disk for good).
func (l *Log) reusableSize(size int64) bool {
	return size >= l.opts.SegmentBytes && size <= 2*l.opts.SegmentBytes
}

// mayRecycle says whether collected segment s's file may be kept for
// reuse: a version 2 segment, with fewer than keepLimit kept or being
// kept. Called with l.mu held, while s is still in l.segments.
func (l *Log) mayRecycle(s segment) bool {
	return s.v2 && !l.closed && len(l.recycled)+l.recycling < l.keepLimit()
}

// recycleFile renames collected segment s's file for reuse if its size
// makes a segment; false means the caller removes it. Called without l.mu.
func (l *Log) recycleFile(s segment) (reusable, bool) {
	if fi, err := os.Stat(s.path); err != nil || !l.reusableSize(fi.Size()) {
		return reusable{}, false
	}
	dst := filepath.Join(l.dir, recyclePrefix+strconv.FormatInt(s.seq, 10))
	if err := os.Rename(s.path, dst); err != nil {
		return reusable{}, false
	}
	return reusable{path: dst, oldSeq: s.seq}, true
}

// loadRecycled takes the reusable files a previous run left, and removes
// those it cannot use: not of a reusable size, or once numbered at
// or above the next segment (their records could pass for a new
// segment's, which happens only if segments were deleted by hand).
func (l *Log) loadRecycled() {
	next := int64(1)
	if n := len(l.segments); n > 0 {
		next = l.segments[n-1].seq + 1
	}
	paths, _ := filepath.Glob(filepath.Join(l.dir, recyclePrefix+"*"))
	for _, p := range paths {
		seq, err := strconv.ParseInt(strings.TrimPrefix(filepath.Base(p), recyclePrefix), 10, 64)
		fi, serr := os.Stat(p)
		if err != nil || serr != nil || seq >= next || !l.reusableSize(fi.Size()) || len(l.recycled) >= l.keepLimit() {
			os.Remove(p)
			continue
		}
		l.recycled = append(l.recycled, reusable{path: p, oldSeq: seq})
	}
}

// collected reports whether segment seq is no longer part of the log.
func (l *Log) collected(seq int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.segments) == 0 || seq < l.segments[0].seq
}
