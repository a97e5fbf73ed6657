package mlog

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

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
}

// prepareSpare readies the next segment's file: a collected one if the
// log kept any, else a new one zero-filled in the background. Called with
// l.mu held.
func (l *Log) prepareSpare() *spare {
	if n := len(l.recycled); n > 0 {
		r := l.recycled[n-1]
		l.recycled = l.recycled[:n-1]
		done := make(chan struct{})
		close(done)
		return &spare{path: r.path, done: done, reused: true, oldSeq: r.oldSeq}
	}
	l.stats.zeroFilled.Add(1)
	sp := &spare{path: filepath.Join(l.dir, spareName), done: make(chan struct{})}
	l.spareWG.Add(1)
	go func() {
		defer l.spareWG.Done()
		defer close(sp.done)
		sp.err = preallocate(sp.path, l.opts.SegmentBytes)
	}()
	return sp
}

// takeSpare installs the prepared file as segment seq at path and starts
// preparing the next one. Called by the flusher with l.mu held.
func (l *Log) takeSpare(path string, seq int64) (*os.File, error) {
	if l.spare == nil {
		l.spare = l.prepareSpare()
	}
	sp := l.spare
	<-sp.done
	l.spare = nil
	for sp.reused && sp.oldSeq >= seq {
		// Its records could pass for the new segment's (never happens:
		// numbers only grow, and Open drops files from higher ones).
		os.Remove(sp.path)
		sp = l.prepareSpare()
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
		l.spare = l.prepareSpare()
	}
	return f, nil
}

// Zero-filling a segment file goes to the disk fillChunk at a time, each
// chunk written back before the next is written: written whole and synced
// at the end, a 32 MiB file reached the disk in one burst that every log
// sync on the disk waited behind. Measured here with one writer syncing
// 10 KiB appends beside a fill: whole, worst sync 68–71 ms and p999 19–20
// ms; by chunk, 24–27 ms and 1.5–3.3 ms, the fill taking about as long
// (120–150 ms against 90–120). On the onebox, 1 replica at 10,000
// sets/s while the logs grow (10 runs of each, fresh oneboxes): p999
// 69–83 ms → 22–48 ms, worst 79–165 ms → 36–98 ms, p99 the same within
// the noise (means 11.7 and 12.6 ms).
const fillChunk = 256 << 10

// preallocate writes a file of size zero bytes and syncs it.
func preallocate(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	for off := int64(0); off < size; {
		n := min(size-off, int64(len(zeros)))
		if _, err := f.Write(zeros[:n]); err != nil {
			f.Close()
			return err
		}
		const flags = unix.SYNC_FILE_RANGE_WAIT_BEFORE | unix.SYNC_FILE_RANGE_WRITE | unix.SYNC_FILE_RANGE_WAIT_AFTER
		if err := unix.SyncFileRange(int(f.Fd()), off, n, flags); err != nil {
			f.Close()
			return err
		}
		off += n
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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
