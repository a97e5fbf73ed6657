package rpc

import (
	"sync/atomic"
	"testing"
)

// TestBufPoolServesEnoughCapacity: buffers of any capacity go back to the
// pool, and every buffer handed out holds what was asked for (a buffer
// filed under too large a class would make getBuf slice past its
// capacity).
func TestBufPoolServesEnoughCapacity(t *testing.T) {
	caps := []int{100, 512, 513, 1000, 1024, 1500, 2047, 2048, 3000, 4096, 70000, 4 << 20, 5 << 20}
	for _, c := range caps {
		for _, n := range []int{0, 1, 512, 513, 1024, 1500, 2048, 3000, 4096, 65536, 70000, 1 << 20, 4 << 20} {
			putBuf(make([]byte, 0, c))
			var b []byte
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("after putBuf(cap %d): getBuf(%d) panicked: %v", c, n, p)
					}
				}()
				b = getBuf(n)
			}()
			if len(b) != n || cap(b) < n {
				t.Fatalf("after putBuf(cap %d): getBuf(%d) gave len %d cap %d", c, n, len(b), cap(b))
			}
			putBuf(make([]byte, 0, c))
			if e := getBufCap(n); len(e) != 0 || cap(e) < n {
				t.Fatalf("after putBuf(cap %d): getBufCap(%d) gave len %d cap %d", c, n, len(e), cap(e))
			}
		}
	}
}

// TestNoteSize: the hint follows the large frames of a mix, sinks slowly
// towards smaller ones, and a rare huge frame does not make the next ones
// start in a huge buffer.
func TestNoteSize(t *testing.T) {
	var h atomic.Int64
	noteSize(&h, 1000)
	noteSize(&h, 5000)
	if got := h.Load(); got != 5000 {
		t.Fatalf("after a 5000-byte frame: hint %d", got)
	}
	noteSize(&h, 100)
	if got := h.Load(); got != 5000-5000/8 {
		t.Fatalf("after a small frame: hint %d, want %d", got, 5000-5000/8)
	}
	for range 100 {
		noteSize(&h, 100)
	}
	if got := h.Load(); got != 100 {
		t.Fatalf("after many small frames: hint %d, want 100", got)
	}
	noteSize(&h, 16<<20)
	if got := h.Load(); got != maxSizeHint {
		t.Fatalf("after a 16 MiB frame: hint %d, want %d", got, maxSizeHint)
	}
}
