package rpc

import (
	"net"
	"runtime"
	"sync"
	"time"
)

// writeTimeout bounds one write system call: a peer that stops reading
// must not hold a writer (and everything queued behind it) forever.
const writeTimeout = 30 * time.Second

// frameWriter writes frames to a connection from many goroutines without a
// writer goroutine: the first goroutine to arrive writes; frames queued by
// others while that write is in progress are written together by it in
// the next system call. At low load a frame goes out in its caller's own
// write (no hand-off to another goroutine, so no thread wake-up); at high
// load frames share system calls.
type frameWriter struct {
	nc net.Conn

	mu      sync.Mutex // guards the fields below
	pending []byte     // frames waiting for the active writer
	spare   []byte     // the buffer the active writer last wrote from
	writing bool       // a goroutine is in the write loop
	err     error      // the first write error; every later write fails with it
}

func newFrameWriter(nc net.Conn) *frameWriter { return &frameWriter{nc: nc} }

// write queues frame (copied) and, unless another goroutine is already
// writing, writes everything queued. It returns the connection's write
// error, if any: the frame is then lost with the connection.
func (w *frameWriter) write(frame []byte) error { return w.writeFrames(frame, true) }

// writeFrames is write; with gather false it does not first wait for other
// goroutines to queue frames, for a caller that gathered its batch itself.
// (A peer's sender does: on a server with one scheduler slot that wait let
// the replica's log sync run first, and prepares left a millisecond late.)
func (w *frameWriter) writeFrames(frame []byte, gather bool) error {
	w.mu.Lock()
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return err
	}
	w.pending = append(w.pending, frame...)
	if w.writing {
		w.mu.Unlock()
		return nil
	}
	w.writing = true
	if gather {
		// Give goroutines about to queue a frame the chance to do so
		// first, so that one system call carries them all; with nothing
		// else runnable this returns at once.
		w.mu.Unlock()
		runtime.Gosched()
		w.mu.Lock()
	}
	for {
		out := w.pending
		w.pending = w.spare[:0]
		w.mu.Unlock()

		_ = w.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
		_, err := w.nc.Write(out)

		w.mu.Lock()
		if cap(out) <= 1<<20 {
			w.spare = out[:0]
		} else {
			w.spare = nil // do not keep a burst's buffer forever
		}
		if err != nil {
			w.err = err
			w.writing = false
			w.pending = nil
			w.mu.Unlock()
			return err
		}
		if len(w.pending) == 0 {
			w.writing = false
			w.mu.Unlock()
			return nil
		}
	}
}
