package rpc

import (
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// observedConn records, at each Write, whether another goroutine had run.
type observedConn struct {
	net.Conn
	ran      *atomic.Bool
	ranFirst bool
}

func (c *observedConn) Write(b []byte) (int, error) {
	c.ranFirst = c.ran.Load()
	return len(b), nil
}

func (c *observedConn) SetWriteDeadline(time.Time) error { return nil }

// A batch its caller gathered (a peer sender's) goes to the socket before
// other runnable goroutines get the processor: on a server with one
// scheduler slot, waiting for them let a replica's log sync run first and
// delayed every prepare by a sync.
func TestGatheredBatchIsWrittenAtOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for i := 0; i < 20; i++ {
		var ran atomic.Bool
		nc := &observedConn{ran: &ran}
		w := newFrameWriter(nc)
		done := make(chan struct{})
		go func() { ran.Store(true); close(done) }()
		if err := w.writeFrames([]byte("frame"), false); err != nil {
			t.Fatal(err)
		}
		<-done
		if nc.ranFirst {
			t.Fatalf("round %d: the write waited for another runnable goroutine", i)
		}
	}
}
