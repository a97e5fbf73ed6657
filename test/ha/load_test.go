package ha

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/client"
)

// load writes distinct records through the client, one at a time, until
// stopped or its bounds (count, time) are reached. It records every
// acknowledged write and the longest stretch without one.
type load struct {
	tb   *client.Table
	stop chan struct{}
	done chan struct{}

	mu       sync.Mutex // guards the fields below
	acked    map[string]string
	okCount  int
	failures int
	lastOK   time.Time
	maxStall time.Duration // longest time between two acknowledged writes
	lastErr  error
}

const (
	loadMaxOps  = 40000
	loadMaxTime = 150 * time.Second
	// loadPause keeps the load gentle: the cluster shares two cores.
	loadPause = 5 * time.Millisecond
)

func startLoad(tb *client.Table, prefix string) *load {
	l := &load{tb: tb, stop: make(chan struct{}), done: make(chan struct{}), acked: map[string]string{}, lastOK: time.Now()}
	go l.run(prefix)
	return l
}

func (l *load) run(prefix string) {
	defer close(l.done)
	deadline := time.Now().Add(loadMaxTime)
	for i := 0; i < loadMaxOps && time.Now().Before(deadline); i++ {
		select {
		case <-l.stop:
			return
		case <-time.After(loadPause):
		}
		hk, v := fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("v%d", i)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err := l.tb.Set(ctx, []byte(hk), []byte("sk"), []byte(v))
		cancel()
		now := time.Now()
		l.mu.Lock()
		if err == nil {
			l.acked[hk] = v
			l.okCount++
			l.maxStall = max(l.maxStall, now.Sub(l.lastOK))
			l.lastOK = now
		} else {
			l.failures++
			l.lastErr = err
		}
		l.mu.Unlock()
	}
}

// loadStats is a snapshot of a load's progress.
type loadStats struct {
	ok, failures int
	maxStall     time.Duration
	lastErr      error
}

func (l *load) stats() loadStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return loadStats{ok: l.okCount, failures: l.failures, maxStall: max(l.maxStall, time.Since(l.lastOK)), lastErr: l.lastErr}
}

// waitProgress waits (bounded) until n more writes were acknowledged.
func (l *load) waitProgress(t *testing.T, n int, within time.Duration) {
	t.Helper()
	start := l.stats().ok
	deadline := time.Now().Add(within)
	for l.stats().ok < start+n {
		if time.Now().After(deadline) {
			s := l.stats()
			t.Fatalf("the load acknowledged %d writes in %v, want %d (failures %d, last error %v)", s.ok-start, within, n, s.failures, s.lastErr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// finish stops the load and returns every acknowledged write.
func (l *load) finish() (map[string]string, loadStats) {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked, loadStats{ok: l.okCount, failures: l.failures, maxStall: l.maxStall, lastErr: l.lastErr}
}

// checkAll reads back every acknowledged write.
func checkAll(t *testing.T, tb *client.Table, acked map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for hk, want := range acked {
		got, err := tb.Get(ctx, []byte(hk), []byte("sk"))
		if err != nil || string(got) != want {
			t.Fatalf("read back %s: got %q, %v; want %q", hk, got, err, want)
		}
	}
}
