package mlog

import (
	"sync/atomic"
	"time"
)

// Stats counts what the log has done since it opened. Entries/Syncs is
// the group-commit factor; SyncTime/Syncs the mean sync latency.
type Stats struct {
	Appends  int64 // Append calls
	Entries  int64 // entries written
	Bytes    int64 // bytes written
	Writes   int64 // batches written (one write system call each)
	Syncs    int64 // data syncs (fdatasync) of batches
	SyncTime time.Duration
	// Segment files: collected ones reused, and new ones zero-filled.
	SegmentsReused, SegmentsZeroFilled int64
}

// counters are the live Stats, updated without the log's lock.
type counters struct {
	appends, entries, bytes, writes, syncs, syncNanos atomic.Int64
	reused, zeroFilled                                atomic.Int64
}

// Stats returns the counters so far.
func (l *Log) Stats() Stats {
	c := &l.stats
	return Stats{
		Appends: c.appends.Load(), Entries: c.entries.Load(), Bytes: c.bytes.Load(),
		Writes: c.writes.Load(), Syncs: c.syncs.Load(), SyncTime: time.Duration(c.syncNanos.Load()),
		SegmentsReused: c.reused.Load(), SegmentsZeroFilled: c.zeroFilled.Load(),
	}
}

func (l *Log) observeSync(took time.Duration) {
	if l.opts.SyncObserver != nil {
		l.opts.SyncObserver(took)
	}
}

// Size is what the log holds on disk: the bytes of its records (the
// unused tail of a preallocated segment is not counted) and the number of
// segment files. GC makes both shrink.
func (l *Log) Size() (bytes int64, segments int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.segments {
		bytes += s.size
	}
	return bytes, len(l.segments)
}

// KeptFiles is how many collected segment files the log keeps for reuse
// (each of about a segment's size, beside the live segments).
func (l *Log) KeptFiles() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recycled)
}

// Err is the write or sync failure that stopped the log, or nil: once it
// failed, the log refuses every append until it is opened again.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}
