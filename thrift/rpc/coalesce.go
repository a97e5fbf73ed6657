package rpc

import "runtime"

// moreComing gives goroutines that are about to queue a frame one chance
// to do so before the writer flushes, so that concurrent requests (or
// replies) share a write system call instead of paying one each. It
// reports whether a frame arrived meanwhile.
func moreComing(out chan []byte) bool {
	runtime.Gosched()
	return len(out) > 0
}
