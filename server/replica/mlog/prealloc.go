package mlog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Segments are preallocated: a new segment's file is fully written before
// it takes appends, so that an append changes neither the file's size nor
// its block map and fdatasync has only data to flush — no journal commit,
// which on a shared filesystem would serialise every replica server's log
// syncs. The file is a collected segment's, reused (recycle.go), or when
// none is at hand a new one written full of zeros and synced. The next
// segment is prepared in the background while the active one fills.

const spareName = "spare.tmp"

var zeros = make([]byte, fillChunk)

// spare is a preallocated file being prepared, or ready, for the next roll.
type spare struct {
	path string
	done chan struct{}
	err  error
	// reused: path is a collected segment's file, once segment oldSeq.
	reused bool
	oldSeq int64
	// hurry, closed when a roll waits for the file, ends the fill's pauses;
	// cancel, closed when the log closes, ends the fill.
	hurry, cancel chan struct{}
}

// prepareSpare readies the next segment's file: a collected one if the
// log kept any, else a new one zero-filled in the background over about
// spread (see fillPace). Called with l.mu held.
func (l *Log) prepareSpare(spread time.Duration) *spare {
	if n := len(l.recycled); n > 0 {
		r := l.recycled[n-1]
		l.recycled = l.recycled[:n-1]
		done := make(chan struct{})
		close(done)
		return &spare{path: r.path, done: done, reused: true, oldSeq: r.oldSeq}
	}
	l.stats.zeroFilled.Add(1)
	sp := &spare{path: filepath.Join(l.dir, spareName), done: make(chan struct{}), hurry: make(chan struct{}), cancel: make(chan struct{})}
	l.spareWG.Add(1)
	go func() {
		defer l.spareWG.Done()
		defer close(sp.done)
		sp.err = preallocate(sp.path, l.opts.SegmentBytes, fillPace{spread: spread, hurry: sp.hurry, cancel: sp.cancel})
	}()
	return sp
}

// need says a roll is waiting for the file: the fill goes at full speed.
func (sp *spare) need() {
	if sp.hurry != nil {
		select {
		case <-sp.hurry:
		default:
			close(sp.hurry)
		}
	}
}

// abandon stops a fill in progress (the log is closing).
func (sp *spare) abandon() {
	if sp.cancel != nil {
		close(sp.cancel)
	}
}

// takeSpare installs the prepared file as segment seq at path and starts
// preparing the next one. Called by the flusher with l.mu held.
func (l *Log) takeSpare(path string, seq int64) (*os.File, error) {
	if l.spare == nil {
		l.spare = l.prepareSpare(0)
	}
	sp := l.spare
	sp.need()
	<-sp.done
	l.spare = nil
	for sp.reused && sp.oldSeq >= seq {
		// Its records could pass for the new segment's (never happens:
		// numbers only grow, and Open drops files from higher ones).
		os.Remove(sp.path)
		sp = l.prepareSpare(0)
		<-sp.done
	}
	if sp.err != nil {
		return nil, fmt.Errorf("preallocate segment: %w", sp.err)
	}
	if sp.reused {
		l.stats.reused.Add(1)
	}
	if err := os.Rename(sp.path, path); err != nil {
		return nil, err
	}
	syncDir(l.dir)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	if !l.closed {
		l.spare = l.prepareSpare(l.fillSpread())
	}
	return f, nil
}

// Zero-filling a segment file goes to the disk fillChunk at a time, each
// chunk written back before the next is written: written whole and synced
// at the end, a 32 MiB file reached the disk in one burst that every log
// sync on the disk waited behind (one writer syncing 10 KiB appends beside
// a fill: worst sync 68–71 ms whole, 24–27 ms by 256 KiB chunks).
//
// Back to back, the chunks still kept the disk busy for the whole fill,
// 250–400 ms under load, and every log sync queued behind a chunk: on the
// onebox, 3 replicas unthrottled, each roll stalled its server's writes
// for that long (ops of 100–250 ms, every 5–6 s, in step with the rolls).
// So the fill is paced: spread over about half the time the last segment
// took to fill (fillSpread), it leaves the disk mostly to the log syncs,
// and still ends well before the next roll. A roll that finds the fill
// unfinished hurries it: no more pauses. Measured on fresh oneboxes, three
// interleaved runs of each build, 64 workers: 3 replicas at 5,000 sets/s,
// p999 172–235 → 31–41 ms and worst 265–283 → 41–62 ms; 3 replicas
// unthrottled, p999 252–306 → 36–95 ms; 1 replica at 10,000/s, p999 30–34
// → 15–17 ms; p99 and throughput the same within the noise.
const fillChunk = 64 << 10

// Bounds of a fill's spread: with no roll seen yet the log's rate is
// unknown; and however slowly the log fills, a spare that took minutes
// would be a file half-written for minutes.
const (
	defaultFillSpread = time.Second
	maxFillSpread     = 5 * time.Second
)

// fillSpread is how long the next fill may take: half the time the
// segment just finished took to fill, within the bounds above. Called at a
// roll, with l.mu held.
func (l *Log) fillSpread() time.Duration {
	now := time.Now()
	last := l.rolledAt
	l.rolledAt = now
	if last.IsZero() {
		return defaultFillSpread
	}
	return min(now.Sub(last)/2, maxFillSpread)
}

// fillPace paces preallocate: chunk i starts no earlier than spread·i/n
// after the first (n chunks in all) until hurry closes; cancel ends it.
type fillPace struct {
	spread        time.Duration
	hurry, cancel <-chan struct{}
}

var errFillCancelled = errors.New("mlog: segment preallocation cancelled")

// preallocate writes a file of size zero bytes, paced, and syncs it.
func preallocate(path string, size int64, pace fillPace) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	err = fillZeros(f, size, pace)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// fillZeros writes size zero bytes to f, each chunk written back before
// the next one and no earlier than pace allows, then syncs f.
func fillZeros(f *os.File, size int64, pace fillPace) error {
	chunks := (size + fillChunk - 1) / fillChunk
	start := time.Now()
	var timer *time.Timer
	hurry := pace.hurry
	for i, off := int64(0), int64(0); off < size; i, off = i+1, off+fillChunk {
		if wait := time.Until(start.Add(time.Duration(int64(pace.spread) * i / chunks))); hurry != nil && wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
				defer timer.Stop()
			} else {
				timer.Reset(wait)
			}
			select {
			case <-timer.C:
			case <-hurry:
				hurry = nil
			case <-pace.cancel:
				return errFillCancelled
			}
		}
		select {
		case <-pace.cancel:
			return errFillCancelled
		default:
		}
		n := min(size-off, fillChunk)
		if _, err := f.Write(zeros[:n]); err != nil {
			return err
		}
		const flags = unix.SYNC_FILE_RANGE_WAIT_BEFORE | unix.SYNC_FILE_RANGE_WRITE | unix.SYNC_FILE_RANGE_WAIT_AFTER
		if err := unix.SyncFileRange(int(f.Fd()), off, n, flags); err != nil {
			return err
		}
	}
	return f.Sync()
}

// datasync flushes a file's data (and only the metadata needed to read it
// back).
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}

// datasyncInPlace is datasync without telling the Go scheduler that the
// thread is in a system call: the goroutine keeps its P while the disk
// works.
//
// Why: a replica server runs with few Ps (the onebox gives each server
// one). For a blocking fdatasync the runtime's monitor takes the P back
// after 20 µs and wakes a thread to run it; when the sync returns, the
// syncing thread finds its P gone and parks; and the monitor keeps polling
// every 20 µs while it keeps finding such calls. On the 2-vCPU benchmark
// machine that churn cost more CPU than the syncs: in one A/B run on a
// fresh onebox, single-replica sets went from 7,194 to 13,737/s (CPU per
// write 163 → 63 µs, context switches per write 2.5 → 0.6) and mixed
// get/set on three replicas from 4,244 to 7,679 ops/s. The price: the
// process does nothing else while a sync lasts, about a millisecond — with
// one P, reads wait for it too (their p99 still fell, 19.7 → 11.3 ms, as
// the CPU went further) — and a disk that hangs stops the process
// (beacons too, so the meta server moves its primaries away; reads are
// fenced by the lease deadline, not by a loop that may not have run).
func datasyncInPlace(f *os.File) error {
	fd := f.Fd()
	for {
		_, _, errno := syscall.RawSyscall(syscall.SYS_FDATASYNC, fd, 0, 0)
		switch errno {
		case 0:
			return nil
		case syscall.EINTR:
			continue
		default:
			return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: errno}
		}
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
