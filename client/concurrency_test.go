package client_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/server/storage"
)

// Many goroutines share one Table while partitions move between servers.
// Every acknowledged write must be readable afterwards, and every
// acknowledged Incr must have been applied exactly once.
func TestConcurrentUseDuringMoves(t *testing.T) {
	const (
		workers = 12
		rounds  = 30
	)
	c := newCluster(t, 2, 4, storage.Options{MaxIterationCount: 5})
	tb := c.openTable(t)
	ctx := testCtx(t)

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	incrs := make([]int64, workers)
	var progress atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- worker(ctx, tb, w, rounds, &incrs[w], &progress)
		}()
	}
	// Move every partition twice while the workers run: after a third and
	// after two thirds of their rounds.
	for k := int64(1); k <= 2; k++ {
		waitFor(t, "worker progress", func() bool { return progress.Load() >= k*workers*rounds/3 })
		for p := range 4 {
			c.move(t, p, 1-c.owner[p])
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	// Everything acknowledged is there.
	for w := range workers {
		hk := []byte(fmt.Sprintf("worker%d", w))
		kvs, all, err := tb.MultiGetOpt(ctx, hk, nil, &client.MultiGetOptions{StartInclusive: true})
		if err != nil || !all {
			t.Fatalf("MultiGet of worker %d: %v, all=%v", w, err, all)
		}
		if len(kvs) != rounds+1 { // rounds records plus the counter
			t.Fatalf("worker %d: %d records, want %d", w, len(kvs), rounds+1)
		}
		v, err := tb.Get(ctx, hk, []byte("counter"))
		if err != nil || string(v) != strconv.FormatInt(incrs[w], 10) {
			t.Fatalf("worker %d: counter %q after %d acknowledged increments (%v)", w, v, incrs[w], err)
		}
	}
	scanners, err := tb.GetUnorderedScanners(ctx, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, s := range scanners {
		total += len(drain(t, s))
	}
	if total != workers*(rounds+1) {
		t.Fatalf("full scan found %d records, want %d", total, workers*(rounds+1))
	}
}

// worker writes, reads back and increments under its own hash key.
func worker(ctx context.Context, tb *client.Table, w, rounds int, incrs *int64, progress *atomic.Int64) error {
	hk := []byte(fmt.Sprintf("worker%d", w))
	for i := range rounds {
		sk := []byte(fmt.Sprintf("r%03d", i))
		val := []byte(fmt.Sprintf("%d-%d", w, i))
		switch i % 3 {
		case 0:
			if err := tb.Set(ctx, hk, sk, val); err != nil {
				return fmt.Errorf("worker %d Set: %w", w, err)
			}
		case 1:
			if err := tb.MultiSet(ctx, hk, [][]byte{sk}, [][]byte{val}); err != nil {
				return fmt.Errorf("worker %d MultiSet: %w", w, err)
			}
		case 2:
			r, err := tb.CheckAndSet(ctx, hk, sk, client.CheckTypeValueNotExist, nil, sk, val, nil)
			if err != nil || !r.SetSucceed {
				return fmt.Errorf("worker %d CheckAndSet: %+v, %w", w, r, err)
			}
		}
		got, err := tb.Get(ctx, hk, sk)
		if err != nil || string(got) != string(val) {
			return fmt.Errorf("worker %d read back %q, %v; want %q", w, got, err, val)
		}
		if _, err := tb.Incr(ctx, hk, []byte("counter"), 1); err != nil {
			return fmt.Errorf("worker %d Incr: %w", w, err)
		}
		*incrs++
		progress.Add(1)
	}
	return nil
}
