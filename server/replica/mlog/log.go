package mlog

import (
	"context"
	"errors"
	"fmt"

	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// Policy says when an append is durable.
type Policy int

// Durability policies; see the package doc.
const (
	SyncEveryBatch Policy = iota
	SyncPeriodic
)

// Options configures a Log; zero values take the defaults named.
type Options struct {
	// SegmentBytes is the size at which a new segment file starts (32 MiB).
	SegmentBytes int64
	Policy       Policy
	// SyncInterval is the fsync period under SyncPeriodic (1s).
	SyncInterval time.Duration
	// SyncInPlace makes the flusher's fdatasync (SyncEveryBatch) keep its
	// thread's Go scheduler slot while the disk works instead of handing
	// it over; see datasyncInPlace. With GOMAXPROCS 1 the whole process
	// waits out each sync.
	SyncInPlace bool
	// ReuseBytes: GC keeps collected segments' files for later segments
	// (instead of zero-filling new ones) while the log's files, live and
	// kept, stay within it — and up to 8 kept in any case. Negative: keep
	// none.
	ReuseBytes int64
	// SyncObserver, when set, is told how long each data sync took
	// (batch and periodic ones), e.g. for a latency histogram. It runs on
	// the syncing goroutine and must return quickly.
	SyncObserver func(time.Duration)
}

// ErrClosed is returned by operations on a closed log.
var ErrClosed = errors.New("mlog: closed")

// segment is one log file.
type segment struct {
	seq  int64 // the n of its name
	path string
	size int64
	// v2: the segment has a header and sealed checksums (segfmt.go); its
	// file may be reused once collected.
	v2 bool
	// maxDecree is the highest decree of each partition in the segment.
	maxDecree map[base.Gpid]int64
}

func (s *segment) note(g base.Gpid, d int64) {
	if cur, ok := s.maxDecree[g]; !ok || d > cur {
		s.maxDecree[g] = d
	}
}

// Log is a replica server's mutation log. Append is safe for concurrent use.
type Log struct {
	dir  string
	opts Options
	// tail is the active segment's last partial page (pagewrite.go); only
	// the flusher, which alone writes, uses it.
	tail pageTail

	mu       sync.Mutex // guards the fields below
	segments []segment  // in order; the last is the active one
	active   *os.File
	pending  []byte     // records waiting for the flusher
	spareBuf []byte     // the last written batch's buffer, reused for pending
	batch    *batch     // the batch pending records belong to
	flushing bool       // a goroutine is writing batches
	idle     *sync.Cond // signalled (on mu) when flushing ends
	failed   error      // a write or sync failure: the log refuses further appends
	closed   bool

	stopSync chan struct{}
	syncDone chan struct{}

	stats counters

	spare     *spare         // the next segment, preallocated ahead (under mu)
	rolledAt  time.Time      // when the active segment started (under mu)
	spareWG   sync.WaitGroup // the goroutine preparing it
	recycled  []reusable     // collected segment files kept for reuse (under mu)
	recycling int            // collected files GC is renaming for reuse (under mu)
}

// batch is a group of appends that become durable together.
type batch struct {
	decrees map[base.Gpid]int64 // highest decree per partition in the batch
	done    chan struct{}
	err     error
}

func segmentName(seq int64) string { return fmt.Sprintf("log.%d", seq) }

// Open opens (or creates) the log in dir. A torn record at the end of the
// last segment — an append cut short by a crash, never acknowledged — is cut
// off; a bad record anywhere else is an error.
func Open(dir string, opts Options) (*Log, error) {
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = 32 << 20
	}
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = time.Second
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("mlog: %w", err)
	}
	l := &Log{dir: dir, opts: opts}
	l.idle = sync.NewCond(&l.mu)
	os.Remove(filepath.Join(dir, spareName)) // half-prepared before a crash
	if err := l.load(); err != nil {
		return nil, err
	}
	l.loadRecycled()
	// The first segment's file too is made ahead, so that the first write
	// after a start (a restart seals the last segment) does not wait for a
	// whole zero fill.
	l.mu.Lock()
	l.spare = l.prepareSpare(defaultFillSpread)
	l.mu.Unlock()
	if opts.Policy == SyncPeriodic {
		l.stopSync, l.syncDone = make(chan struct{}), make(chan struct{})
		go l.syncLoop()
	}
	return l, nil
}

func (l *Log) load() error {
	names, err := filepath.Glob(filepath.Join(l.dir, "log.*"))
	if err != nil {
		return fmt.Errorf("mlog: %w", err)
	}
	for _, p := range names {
		seq, err := strconv.ParseInt(strings.TrimPrefix(filepath.Base(p), "log."), 10, 64)
		if err != nil {
			continue // not ours
		}
		l.segments = append(l.segments, segment{seq: seq, path: p, maxDecree: map[base.Gpid]int64{}})
	}
	sort.Slice(l.segments, func(i, j int) bool { return l.segments[i].seq < l.segments[j].seq })
	for i := range l.segments {
		s := &l.segments[i]
		lastSeg := i == len(l.segments)-1
		valid, v2, err := scanSegment(s.path, s.seq, func(e Entry) error {
			s.note(e.Gpid, e.Decree)
			return nil
		})
		if err != nil && (!errors.Is(err, errTorn) || !lastSeg) {
			return fmt.Errorf("mlog: segment %s: %w", s.path, err)
		}
		if lastSeg {
			if err := cutAt(s.path, valid); err != nil {
				return fmt.Errorf("mlog: cut the tail of %s: %w", s.path, err)
			}
		}
		s.size, s.v2 = valid, v2
	}
	// Appends go to a new segment: the last one was cut to its valid length
	// (durably: it ends at end of file from now on, like a rolled segment at
	// its end record) and is no longer preallocated.
	return nil
}

// cutAt truncates the file at path to size, if longer, and syncs it.
func cutAt(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() <= size {
		return err
	}
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

// scanSegment reads every entry of segment seq, calling fn for each. It
// returns the length of the valid prefix (through a version 2 segment's
// end record) and whether the segment is version 2; err wraps errTorn when
// a bad record ended the scan.
func scanSegment(path string, seq int64, fn func(Entry) error) (valid int64, v2 bool, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false, err
	}
	return scanBytes(b, seq, fn)
}

// scanBytes is scanSegment over the segment's bytes b.
func scanBytes(b []byte, seq int64, fn func(Entry) error) (valid int64, v2 bool, err error) {
	mask, off, v2 := segmentFormat(b, seq)
	for off < len(b) {
		e, n, err := decodeRecord(b[off:], mask)
		if err != nil {
			if !v2 && allZero(b[off:]) {
				return int64(off), v2, nil // a version 1 segment's unused, preallocated end
			}
			return int64(off), v2, fmt.Errorf("offset %d: %w", off, err)
		}
		if v2 && e.Gpid.Appid == controlApp {
			if isControl(e, kindEnd, seq) {
				return int64(off + n), v2, nil
			}
			return int64(off), v2, fmt.Errorf("offset %d: %w: misplaced control record", off, errTorn)
		}
		if err := fn(e); err != nil {
			return int64(off), v2, err
		}
		off += n
	}
	return int64(off), v2, nil
}

// Append adds entries and returns once they are durable under the log's
// policy (or ctx ends — the entries may then still become durable).
// Concurrent appends are written and synced together.
func (l *Log) Append(ctx context.Context, entries ...Entry) error {
	if len(entries) == 0 {
		return nil
	}
	for _, e := range entries {
		if len(e.Data) > MaxEntrySize {
			return fmt.Errorf("mlog: entry of %d bytes exceeds %d", len(e.Data), MaxEntrySize)
		}
		if e.Gpid.Appid < 0 {
			return fmt.Errorf("mlog: entry of partition %d.%d: app ids below 0 are the log's own", e.Gpid.Appid, e.Gpid.PartitionIndex)
		}
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	if l.failed != nil {
		err := l.failed
		l.mu.Unlock()
		return err
	}
	if l.batch == nil {
		l.batch = &batch{decrees: map[base.Gpid]int64{}, done: make(chan struct{})}
	}
	b := l.batch
	l.stats.appends.Add(1)
	l.stats.entries.Add(int64(len(entries)))
	for _, e := range entries {
		if l.pending == nil {
			l.pending = l.spareBuf[:0]
			l.spareBuf = nil
		}
		l.pending = appendRecord(l.pending, e)
		if d, ok := b.decrees[e.Gpid]; !ok || e.Decree > d {
			b.decrees[e.Gpid] = e.Decree
		}
	}
	if !l.flushing {
		l.flushing = true
		// Let replicas that are about to append do so first: one write and
		// one sync then carry them all. With nothing else runnable this
		// returns at once.
		l.mu.Unlock()
		runtime.Gosched()
		l.mu.Lock()
		l.flush(true) // unlocks
	} else {
		l.mu.Unlock()
	}
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flush writes pending batches until none is left. Called with l.mu held;
// returns with it released. An appender calls it with handOff: it writes
// its own batch (the first pending) and leaves the rest to a new flusher,
// so no appender waits on other appenders' syncs.
func (l *Log) flush(handOff bool) {
	for {
		data, b := l.pending, l.batch
		l.pending, l.batch = nil, nil
		err := l.rollIfNeeded(int64(len(data)))
		var off, seq int64
		if err == nil {
			seg := &l.segments[len(l.segments)-1]
			off, seq = seg.size, seg.seq
			for g, d := range b.decrees {
				seg.note(g, d)
			}
		}
		l.mu.Unlock()

		if err == nil {
			sealRecords(data, seq)
			err = l.writeActive(data, off)
			l.stats.writes.Add(1)
			l.stats.bytes.Add(int64(len(data)))
		}
		if err == nil && l.opts.Policy == SyncEveryBatch {
			start := time.Now()
			if l.opts.SyncInPlace {
				err = datasyncInPlace(l.active)
			} else {
				err = datasync(l.active)
			}
			took := time.Since(start)
			l.stats.syncs.Add(1)
			l.stats.syncNanos.Add(int64(took))
			l.observeSync(took)
		}

		l.mu.Lock()
		if err != nil {
			err = fmt.Errorf("mlog: write: %w", err)
			l.failed = err
		} else {
			l.segments[len(l.segments)-1].size += int64(len(data))
		}
		if cap(data) <= 4<<20 && cap(data) > cap(l.spareBuf) {
			l.spareBuf = data[:0] // the next batch grows from here, not from nothing
		}
		b.err = err
		close(b.done)
		if l.pending == nil {
			l.flushing = false
			l.idle.Broadcast()
			l.mu.Unlock()
			return
		}
		if l.failed != nil {
			l.batch.err = l.failed
			close(l.batch.done)
			l.pending, l.batch, l.flushing = nil, nil, false
			l.idle.Broadcast()
			l.mu.Unlock()
			return
		}
		if handOff {
			// The caller's own batch is durable: it goes back to its work,
			// and a new goroutine flushes what queued meanwhile (still
			// flushing, so Close waits for it).
			l.mu.Unlock()
			go func() {
				// The appenders just released are about to append again:
				// let them, so that the next sync carries their entries.
				runtime.Gosched()
				l.mu.Lock()
				l.flush(false)
			}()
			return
		}
	}
}

// rollIfNeeded starts a new segment when there is none or n more bytes
// (and the end record) would take the active one past SegmentBytes. The
// active segment gets its end record and is synced first: from then on a
// later segment may hold acknowledged entries. Called by the flusher with
// l.mu held.
func (l *Log) rollIfNeeded(n int64) error {
	if l.active != nil {
		cur := &l.segments[len(l.segments)-1]
		if cur.size+n+controlBytes <= l.opts.SegmentBytes {
			return nil
		}
		if cur.size <= controlBytes {
			return nil // an empty segment takes whatever comes
		}
		end := controlRecord(cur.seq, kindEnd)
		if err := l.writeActive(end, cur.size); err != nil {
			return err
		}
		if err := datasync(l.active); err != nil {
			return err
		}
		cur.size += int64(len(end))
		if err := l.active.Close(); err != nil {
			return err
		}
		l.active = nil
	}
	seq := int64(1)
	if len(l.segments) > 0 {
		seq = l.segments[len(l.segments)-1].seq + 1
	}
	path := filepath.Join(l.dir, segmentName(seq))
	f, err := l.takeSpare(path, seq)
	if err != nil {
		return err
	}
	// The header reaches the disk with the first batch's sync.
	hdr := controlRecord(seq, kindStart)
	l.active = f
	l.tail.reset()
	if err := l.writeActive(hdr, 0); err != nil {
		l.active = nil
		f.Close()
		return err
	}
	l.segments = append(l.segments, segment{seq: seq, path: path, size: int64(len(hdr)), v2: true, maxDecree: map[base.Gpid]int64{}})
	return nil
}

func (l *Log) syncLoop() {
	defer close(l.syncDone)
	t := time.NewTicker(l.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stopSync:
			return
		case <-t.C:
			l.mu.Lock()
			f := l.active
			l.mu.Unlock()
			if f != nil {
				start := time.Now()
				_ = datasync(f) // a failure shows up again on the next write
				l.observeSync(time.Since(start))
			}
		}
	}
}

// Replay calls fn for every entry, in log order (a partition's decree may
// appear more than once: a later entry from a higher ballot replaces an
// earlier one). A segment GC collects while Replay runs may be skipped.
// fn's Entry.Data is only valid during the call.
func (l *Log) Replay(fn func(Entry) error) error {
	l.mu.Lock()
	segs := append([]segment(nil), l.segments...)
	l.mu.Unlock()
	for i, s := range segs {
		_, _, err := scanSegment(s.path, s.seq, fn)
		last := i == len(segs)-1
		// Collected meanwhile: gone, or its file reused. That includes
		// the last segment of the snapshot: the log may have rolled past
		// it and collected it while the segments before were read.
		if err != nil && (errors.Is(err, os.ErrNotExist) || errors.Is(err, errTorn)) && l.collected(s.seq) {
			continue
		}
		if err != nil && (!errors.Is(err, errTorn) || !last) {
			return fmt.Errorf("mlog: replay %s: %w", s.path, err)
		}
	}
	return nil
}

// gcFilesHook, when set (by tests), runs in GC between taking segments
// out of the log and touching their files.
var gcFilesHook func()

// GC removes the oldest segments while each partition's entries in them
// are at or below durable(gpid) — what that partition's storage holds
// durably (a partition no longer hosted may answer math.MaxInt64). The
// active segment is always kept. Removed files are kept for reuse by later
// segments within Options.ReuseBytes (recycle.go). It returns how many
// segments it removed.
//
// The segments leave the log under l.mu; their files are renamed or
// unlinked after it is released: with the journal busy (RocksDB's flushes
// sync files and directories) such a call took 10–34 ms on the onebox,
// and every append on the server waited that long behind the lock.
func (l *Log) GC(durable func(base.Gpid) int64) (int, error) {
	type collected struct {
		segment
		reuse bool // its file may be kept for reuse
	}
	var gone []collected
	l.mu.Lock()
	reserved := 0
scan:
	for len(l.segments) > 1 {
		s := l.segments[0]
		for g, d := range s.maxDecree {
			if d > durable(g) {
				break scan
			}
		}
		c := collected{segment: s, reuse: l.mayRecycle(s)}
		if c.reuse {
			l.recycling++
			reserved++
		}
		gone = append(gone, c)
		l.segments = l.segments[1:]
	}
	l.mu.Unlock()
	if len(gone) == 0 {
		return 0, nil
	}
	if gcFilesHook != nil {
		gcFilesHook()
	}

	var kept []reusable
	var err error
	for _, c := range gone {
		if c.reuse {
			if r, ok := l.recycleFile(c.segment); ok {
				kept = append(kept, r)
				continue
			}
		}
		if rerr := os.Remove(c.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = fmt.Errorf("mlog: gc: %w", rerr)
		}
	}
	l.mu.Lock()
	l.recycled = append(l.recycled, kept...)
	l.recycling -= reserved
	l.mu.Unlock()
	return len(gone), err
}

// Close syncs and closes the log; appends in flight finish first.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	if l.stopSync != nil {
		close(l.stopSync)
		<-l.syncDone
	}
	// Wait for the flusher to finish the batches already queued.
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.flushing {
		l.idle.Wait()
	}
	if l.spare != nil {
		l.spare.abandon()
	}
	l.spareWG.Wait()
	if l.spare != nil {
		if !l.spare.reused {
			os.Remove(l.spare.path) // a reused file stays for the next Open
		}
		l.spare = nil
	}
	if l.active == nil {
		return nil
	}
	err := datasync(l.active)
	if cerr := l.active.Close(); err == nil {
		err = cerr
	}
	l.active = nil
	if err != nil {
		return fmt.Errorf("mlog: close: %w", err)
	}
	return nil
}
