package replication

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/client"
)

// sortKey is the one sort key every record of these tests uses.
var sortKey = []byte("sk")

// want is what reading a record back may give: its last acknowledged
// value, or the value of a write issued after that acknowledgement whose
// outcome is unknown (it timed out or failed; it may have been applied).
// A record without an acknowledged value (never written, or deleted) may
// also be absent.
type want struct {
	value   string // the last acknowledged value, if present
	present bool
	maybe   []string
}

func (w want) allows(got []byte) bool {
	if got == nil {
		return !w.present
	}
	if w.present && string(got) == w.value {
		return true
	}
	for _, m := range w.maybe {
		if string(got) == m {
			return true
		}
	}
	return false
}

func (w want) String() string {
	s := "absent"
	if w.present {
		s = fmt.Sprintf("%q", w.value)
	}
	if len(w.maybe) > 0 {
		s += fmt.Sprintf(" or one of %q", w.maybe)
	}
	return s
}

// verify reads back every record of expected (hash key → want, sort key
// sortKey) and fails the test, listing the first differences, if any
// record holds something else.
func verify(t *testing.T, tb *client.Table, expected map[string]want) {
	t.Helper()
	hks := make([]string, 0, len(expected))
	for hk := range expected {
		hks = append(hks, hk)
	}
	sort.Strings(hks)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var bad []string
	const chunk = 200
	for i := 0; i < len(hks); i += chunk {
		part := hks[i:min(i+chunk, len(hks))]
		ks := make([]client.CompositeKey, len(part))
		for j, hk := range part {
			ks[j] = client.CompositeKey{HashKey: []byte(hk), SortKey: sortKey}
		}
		vals, err := tb.BatchGet(ctx, ks)
		if err != nil {
			t.Fatalf("read back %d records (at %s): %v", len(part), part[0], err)
		}
		for j, hk := range part {
			if w := expected[hk]; !w.allows(vals[j]) {
				got := "absent"
				if vals[j] != nil {
					got = fmt.Sprintf("%q", vals[j])
				}
				bad = append(bad, fmt.Sprintf("%s (partition %d): %s, want %v", hk, partitionOf(hk, tb.PartitionCount()), got, w))
			}
		}
	}
	if len(bad) > 0 {
		shown := bad[:min(len(bad), 20)]
		t.Fatalf("%d of %d records read back wrong:\n  %s", len(bad), len(hks), strings.Join(shown, "\n  "))
	}
}

// merge adds src's records to dst (src wins on a shared key).
func merge(dst, src map[string]want) {
	for k, v := range src {
		dst[k] = v
	}
}

// Bounds of a write load: it stops by itself after loadMaxOps writes per
// worker or loadMaxTime, whichever is first.
const (
	loadMaxOps        = 20000
	loadMaxTime       = 150 * time.Second
	loadKeysPerWorker = 100 // each worker overwrites its keys in turn
	loadOpTimeout     = 2 * time.Second
	// loadPause keeps the load gentle: the cluster shares two cores.
	loadPause = 2 * time.Millisecond
)

// writeLoad is a bounded continuous write load: a few workers, each
// setting its own keys (so the order of its writes to a key is known),
// overwriting them in turn, recording every outcome.
type writeLoad struct {
	tb   *client.Table
	stop chan struct{}
	wg   sync.WaitGroup
	halt func() // stops the workers and waits for them; idempotent

	mu       sync.Mutex // guards the fields below
	records  map[string]*want
	acks     int
	failures int
	lastErr  error
}

// startWriteLoad starts workers writers; the load is stopped when the
// test ends if finish did not stop it before.
func startWriteLoad(t *testing.T, tb *client.Table, prefix string, workers int) *writeLoad {
	l := &writeLoad{tb: tb, stop: make(chan struct{}), records: map[string]*want{}}
	l.halt = sync.OnceFunc(func() {
		close(l.stop)
		l.wg.Wait()
	})
	t.Cleanup(l.halt)
	deadline := time.Now().Add(loadMaxTime)
	for w := 0; w < workers; w++ {
		l.wg.Add(1)
		go l.run(fmt.Sprintf("%s-w%d", prefix, w), deadline)
	}
	return l
}

func (l *writeLoad) run(prefix string, deadline time.Time) {
	defer l.wg.Done()
	for i := 0; i < loadMaxOps && time.Now().Before(deadline); i++ {
		select {
		case <-l.stop:
			return
		case <-time.After(loadPause):
		}
		hk, v := fmt.Sprintf("%s-%d", prefix, i%loadKeysPerWorker), fmt.Sprintf("v%d", i)
		ctx, cancel := context.WithTimeout(context.Background(), loadOpTimeout)
		err := l.tb.Set(ctx, []byte(hk), sortKey, []byte(v))
		cancel()
		l.mu.Lock()
		r := l.records[hk]
		if r == nil {
			r = &want{}
			l.records[hk] = r
		}
		if err == nil {
			*r = want{value: v, present: true}
			l.acks++
		} else {
			r.maybe = append(r.maybe, v)
			l.failures++
			l.lastErr = err
		}
		l.mu.Unlock()
	}
}

func (l *writeLoad) counts() (acks, failures int, lastErr error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acks, l.failures, l.lastErr
}

// waitProgress waits (bounded) until n more writes were acknowledged.
func (l *writeLoad) waitProgress(t *testing.T, n int, within time.Duration) {
	t.Helper()
	start, _, _ := l.counts()
	deadline := time.Now().Add(within)
	for {
		acks, failures, lastErr := l.counts()
		if acks >= start+n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the write load had %d writes acknowledged in %v, want %d (%d failed so far, last error: %v)", acks-start, within, n, failures, lastErr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// finish stops the load and returns what each record may hold.
func (l *writeLoad) finish(t *testing.T) map[string]want {
	t.Helper()
	l.halt()
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Logf("write load: %d writes acknowledged, %d failed (last error: %v), %d keys", l.acks, l.failures, l.lastErr, len(l.records))
	out := make(map[string]want, len(l.records))
	for k, r := range l.records {
		out[k] = *r
	}
	return out
}

// writeRecords sets hash keys prefix-0..prefix-(n-1) to value-<i>-<tag>
// in batches and returns them.
func writeRecords(t *testing.T, tb *client.Table, prefix, tag string, n int) map[string]want {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := make(map[string]want, n)
	var batch []client.Record
	flush := func() {
		if err := tb.BatchSet(ctx, batch); err != nil {
			t.Fatalf("write %d records (from %s): %v", len(batch), batch[0].HashKey, err)
		}
		for _, r := range batch {
			out[string(r.HashKey)] = want{value: string(r.Value), present: true}
		}
		batch = batch[:0]
	}
	for i := 0; i < n; i++ {
		hk := fmt.Sprintf("%s-%d", prefix, i)
		batch = append(batch, client.Record{HashKey: []byte(hk), SortKey: sortKey, Value: []byte(fmt.Sprintf("value-%d-%s", i, tag))})
		if len(batch) == 100 {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
	return out
}

// waitWritable measures how long after since a write to every partition
// of tb succeeds again: one prober per partition sets its own key until a
// write is acknowledged or bound has passed since since. It fails the test
// naming the partitions that took no write within the bound; otherwise it
// returns the longest time to the first acknowledged write and the
// probes' records.
func waitWritable(t *testing.T, tb *client.Table, since time.Time, bound time.Duration) (time.Duration, map[string]want) {
	t.Helper()
	count := tb.PartitionCount()
	all := make([]int32, count)
	for i := range all {
		all[i] = int32(i)
	}
	probeKeys := hashKeysIn("probe", count, all, count)
	type outcome struct {
		after   time.Duration // from since to the first acknowledged write
		ok      bool
		lastErr error
		rec     want
	}
	outcomes := make([]outcome, count)
	deadline := since.Add(bound)
	var wg sync.WaitGroup
	for _, hk := range probeKeys {
		p := partitionOf(hk, count)
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := &outcomes[p]
			for i := 0; time.Now().Before(deadline); i++ {
				v := fmt.Sprintf("probe-%d", i)
				opDeadline := time.Now().Add(loadOpTimeout)
				if opDeadline.After(deadline) {
					opDeadline = deadline
				}
				ctx, cancel := context.WithDeadline(context.Background(), opDeadline)
				err := tb.Set(ctx, []byte(hk), sortKey, []byte(v))
				cancel()
				if err == nil {
					o.after, o.ok, o.rec = time.Since(since), true, want{value: v, present: true}
					return
				}
				o.lastErr = err
				o.rec.maybe = append(o.rec.maybe, v)
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	var slowest time.Duration
	var stuck []string
	recs := map[string]want{}
	for i, hk := range probeKeys {
		p := partitionOf(hk, count)
		o := outcomes[p]
		recs[probeKeys[i]] = o.rec
		if !o.ok {
			stuck = append(stuck, fmt.Sprintf("partition %d: %v", p, o.lastErr))
			continue
		}
		slowest = max(slowest, o.after)
	}
	if len(stuck) > 0 {
		t.Fatalf("%d of %d partitions took no write within %v:\n  %s", len(stuck), count, bound, strings.Join(stuck, "\n  "))
	}
	return slowest, recs
}
