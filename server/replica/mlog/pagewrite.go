package mlog

// Writes to the active segment cover whole pages.
//
// A batch rarely ends on a page boundary, so a plain write leaves its last
// page partly written. When that page is not in the page cache — the
// segment's file was zero-filled or last used long ago, and the kernel
// reclaimed its cold pages — the kernel first reads the page from disk to
// merge the write into it: a synchronous read on the write path, before the
// sync. On the onebox at 10,000 single-replica sets/s that was 1,000–1,500
// reads a second of 4 KiB.
//
// So the flusher keeps a copy of the active segment's last partial page
// (from its page boundary to the segment's end) and writes each batch as
// that prefix, the batch, and zeros to the next page boundary. The disk
// sees the same blocks it would have: writeback always writes whole pages.
// What lies past the segment's end was zeros or a reused file's stale
// records, which a scan rejects either way; now it is zeros.

// pageBytes is the unit writes are aligned to.
const pageBytes = 4096

// pageTail is the active segment's bytes from its last page boundary up to
// its end. Only the flusher uses it (rolls included), as it alone writes.
type pageTail struct {
	known bool   // bytes holds the file's content at [start, start+len(bytes))
	start int64  // page boundary the bytes begin at
	bytes []byte // always shorter than a page
	buf   []byte // scratch for the aligned write, reused
}

// reset says the active segment is a new file, nothing written yet.
func (t *pageTail) reset() {
	t.known, t.start, t.bytes = true, 0, t.bytes[:0]
}

// writeActive writes data at off, the end of the active segment, as whole
// pages where it knows the last page's content. Padding stops at
// SegmentBytes, the size of every segment file (preallocated or reused),
// so it never grows the file.
func (l *Log) writeActive(data []byte, off int64) error {
	t := &l.tail
	end := off + int64(len(data))
	start := off &^ (pageBytes - 1)
	if !t.known || t.start != start || int64(len(t.bytes)) != off-start {
		// Unknown content before off: a plain write, which the kernel
		// merges into the page.
		t.known = false
		if _, err := l.active.WriteAt(data, off); err != nil {
			return err
		}
		t.remember(data, off, end)
		return nil
	}
	padEnd := (end + pageBytes - 1) &^ (pageBytes - 1)
	if limit := l.opts.SegmentBytes; padEnd > limit {
		padEnd = max(limit, end)
	}
	buf := append(t.buf[:0], t.bytes...)
	buf = append(buf, data...)
	buf = append(buf, zeros[:padEnd-end]...) // at most a page: zeros holds a fill chunk
	if _, err := l.active.WriteAt(buf, start); err != nil {
		t.known = false
		return err
	}
	if cap(buf) <= 4<<20 {
		t.buf = buf
	}
	t.remember(buf[:end-start], start, end)
	return nil
}

// remember keeps the last partial page of a write of b at bOff that ends
// at end. A write that began inside that page leaves it unknown: only
// plain writes do, and they are taken when the page was unknown already.
func (t *pageTail) remember(b []byte, bOff, end int64) {
	start := end &^ (pageBytes - 1)
	if start < bOff {
		t.known = false
		return
	}
	t.known, t.start = true, start
	t.bytes = append(t.bytes[:0], b[start-bOff:]...)
}
