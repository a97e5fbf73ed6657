package mlog

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// ErrCollected reports that entries a cursor needs were garbage-collected:
// a segment holding decrees at or above the cursor's position is gone.
// Retention (the durable function given to GC) must prevent it.
var ErrCollected = errors.New("mlog: entries needed were collected")

// errEnough ends a cursor's scan once its limit is reached.
var errEnough = errors.New("enough")

// Cursor reads one partition's entries from the log, from a decree on, in
// log order, across segments, while appends and GC go on. It remembers
// where the last read stopped so that reading on costs no rescan. A torn or
// half-written record at the end of the newest segment ends a read quietly
// (it is being written, or was cut by a crash); one anywhere else is an
// error. A Cursor is not safe for concurrent use.
type Cursor struct {
	l    *Log
	gpid base.Gpid
	next int64 // the first decree not yet returned
	seq  int64 // segment and offset to resume at; seq 0: from the start
	off  int64
}

// NewCursor returns a cursor over gpid's entries with decrees >= from.
func (l *Log) NewCursor(gpid base.Gpid, from int64) *Cursor {
	return &Cursor{l: l, gpid: gpid, next: from}
}

// Reset moves the cursor to decree from; reading then starts over at the
// oldest segment that may hold it.
func (c *Cursor) Reset(from int64) { c.next, c.seq, c.off = from, 0, 0 }

// ours reports whether a record's leading i32 app id · i32 partition
// index name the cursor's partition.
func (c *Cursor) ours(id []byte) bool {
	return int32(binary.BigEndian.Uint32(id)) == c.gpid.Appid && int32(binary.BigEndian.Uint32(id[4:])) == c.gpid.PartitionIndex
}

// Next is the first decree the next Read may return.
func (c *Cursor) Next() int64 { return c.next }

// Read calls fn for up to max of the partition's entries with decrees from
// Next() to upTo, in log order (a decree may come more than once: a later
// entry from a higher ballot replaces an earlier one), then moves Next
// past the highest decree given. It stops at the first entry above upTo,
// which a later Read with a higher upTo returns. fn's Entry.Data is only
// valid during the call. It returns how many entries it gave; 0 when
// there is nothing new.
func (c *Cursor) Read(upTo int64, max int, fn func(Entry) error) (int, error) {
	if max <= 0 {
		return 0, nil
	}
	c.l.mu.Lock()
	if c.l.closed {
		c.l.mu.Unlock()
		return 0, ErrClosed
	}
	segs := make([]segment, len(c.l.segments))
	for i, s := range c.l.segments {
		segs[i] = segment{seq: s.seq, path: s.path, size: s.size, v2: s.v2, maxDecree: map[base.Gpid]int64{}}
		if d, ok := s.maxDecree[c.gpid]; ok {
			segs[i].maxDecree[c.gpid] = d
		}
	}
	c.l.mu.Unlock()

	given := 0
	highest := c.next - 1
	for i, s := range segs {
		if s.seq < c.seq {
			continue
		}
		last := i == len(segs)-1
		d, has := s.maxDecree[c.gpid]
		if !last && (!has || d < c.next) {
			continue // nothing of ours from c.next on
		}
		start := int64(0)
		if s.seq == c.seq {
			start = c.off
		}
		givenBefore := given
		end, err := scanFrom(s, start, c.ours, func(e Entry, off int64) error {
			if e.Gpid != c.gpid || e.Decree < c.next {
				return nil
			}
			if given == max || e.Decree > upTo {
				return errEnough
			}
			if err := fn(e); err != nil {
				return err
			}
			given++
			highest = max64(highest, e.Decree)
			c.seq, c.off = s.seq, off
			return nil
		})
		switch {
		case errors.Is(err, errEnough):
			if given == givenBefore {
				// Stopped at its first entry of ours: resume before it.
				c.seq, c.off = s.seq, start
			}
			c.next = highest + 1
			return given, nil
		case errors.Is(err, os.ErrNotExist) || (errors.Is(err, errTorn) && !last && c.l.collected(s.seq)):
			// Collected since the read began: gone, or its file reused.
			if has && d >= c.next {
				return given, fmt.Errorf("%w: partition %d.%d from decree %d (segment %s)",
					ErrCollected, c.gpid.Appid, c.gpid.PartitionIndex, c.next, s.path)
			}
			continue
		case errors.Is(err, errTorn) && last:
			// Being written, or cut by a crash: the rest comes later.
		case err != nil:
			return given, fmt.Errorf("mlog: read %s: %w", s.path, err)
		}
		c.seq, c.off = s.seq, end
	}
	c.next = highest + 1
	return given, nil
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// scanFrom reads segment s's records from offset start, calling fn with
// each entry and the offset just past it. It returns the offset past the
// last whole record (a version 2 segment's end record is not passed: a
// later read from there ends at it again); err wraps errTorn when a bad
// record ended the scan (a version 1 segment's zero tail ends it cleanly).
// Records that end at or below s.size (what the log had written whole when
// the read began) and whose gpid ours rejects are skipped without a
// checksum.
func scanFrom(s segment, start int64, ours func(gpid []byte) bool, fn func(Entry, int64) error) (int64, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return start, err
	}
	defer f.Close()
	var mask uint32
	if s.v2 {
		mask = segmentMask(s.seq)
		if start < controlBytes {
			head := make([]byte, controlBytes)
			if _, err := io.ReadFull(f, head); err != nil {
				return start, fmt.Errorf("header: %w", errTorn)
			}
			if _, _, ok := segmentFormat(head, s.seq); !ok {
				return start, fmt.Errorf("header: %w", errTorn) // the file was reused
			}
			start = controlBytes
		}
	}
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return start, err
	}
	br := bufio.NewReaderSize(f, 256<<10)
	off := start
	var buf []byte
	for {
		hdr, err := br.Peek(recordHeader)
		if len(hdr) == 0 && errors.Is(err, io.EOF) {
			return off, nil
		}
		if len(hdr) < recordHeader {
			return off, fmt.Errorf("offset %d: %w", off, errTorn)
		}
		n := int(uint32(hdr[0])<<24 | uint32(hdr[1])<<16 | uint32(hdr[2])<<8 | uint32(hdr[3]))
		if n == 0 && allZero(hdr) && !s.v2 {
			return off, nil // a version 1 segment's unused, preallocated end
		}
		if n < payloadFixed || n > payloadFixed+MaxEntrySize {
			return off, fmt.Errorf("offset %d: %w", off, errTorn)
		}
		total := recordHeader + n
		if off+int64(total) <= s.size {
			// Written and synced whole before this read began: another
			// partition's record is skipped unread (not the log's own).
			if id, err := br.Peek(recordHeader + 8); err == nil && !ours(id[recordHeader:]) && int32(binary.BigEndian.Uint32(id[recordHeader:])) != controlApp {
				if _, err := br.Discard(total); err != nil {
					return off, fmt.Errorf("offset %d: %w", off, errTorn)
				}
				off += int64(total)
				continue
			}
		}
		if cap(buf) < total {
			buf = make([]byte, total)
		}
		buf = buf[:total]
		if _, err := io.ReadFull(br, buf); err != nil {
			return off, fmt.Errorf("offset %d: %w", off, errTorn)
		}
		e, used, err := decodeRecord(buf, mask)
		if err != nil {
			return off, fmt.Errorf("offset %d: %w", off, err)
		}
		if s.v2 && e.Gpid.Appid == controlApp {
			if isControl(e, kindEnd, s.seq) {
				return off, nil
			}
			return off, fmt.Errorf("offset %d: %w: misplaced control record", off, errTorn)
		}
		off += int64(used)
		if err := fn(e, off); err != nil {
			return off, err
		}
	}
}
