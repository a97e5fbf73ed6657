package split

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/bench"
	"github.com/pegasus-go/pegasus/admin/onebox"
)

// BenchmarkSplitLargeTable measures how long a split of a larger table
// takes and the write latency meanwhile. It is a manual run (the issue
// asks for the figure; the suite does not time anything):
//
//	SPLIT_BENCH_MB=256 go test -run XXX -bench SplitLargeTable -benchtime 1x -timeout 60m ./test/split
//
// It fills an 8-partition, 3-replica table with SPLIT_BENCH_MB MB of 1 KB
// values (default 128), then runs a rate-limited write load (200 writes/s)
// for 20 s without a split and again during a split to 16, and reports the
// split's seconds and the write p99 of both phases.
func BenchmarkSplitLargeTable(b *testing.B) {
	mb := 128
	if v := os.Getenv("SPLIT_BENCH_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("SPLIT_BENCH_MB=%q: want a positive number of MB", v)
		}
		mb = n
	}
	ip := fmt.Sprintf("127.0.0.%d", hostBenchmark)
	box := &onebox.Box{Dir: filepath.Join(b.TempDir(), "onebox"), Binary: serverBinary, Meta: ip + ":34601",
		Replicas: []string{ip + ":34801", ip + ":34802", ip + ":34803"}}
	b.Cleanup(func() {
		if err := box.Stop(10 * time.Second); err != nil {
			b.Errorf("stop onebox: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	err := box.Start(ctx)
	cancel()
	if err != nil {
		b.Fatalf("start onebox: %v", err)
	}
	c := admin.New(box.MetaServers())
	b.Cleanup(c.Close)
	const table = "big"
	createTable(b, c, table, 8)
	keys := mb * 1024
	fillStart := time.Now()
	fill, err := bench.Run(context.Background(), bench.Config{MetaServers: box.MetaServers(), Table: table, Op: "fill",
		Workers: 16, ValueSize: 1024, Keys: keys, Count: int64(keys), Timeout: 30 * time.Second})
	if err != nil || fill.Total.Errors > 0 {
		b.Fatalf("fill: %v (%d errors, first %s)", err, fill.Total.Errors, fill.FirstError)
	}
	b.Logf("filled %d MB (%d keys of 1 KB) in %v", mb, keys, time.Since(fillStart).Round(time.Second))

	load := func(d time.Duration, stop <-chan struct{}) *bench.Result {
		r, err := bench.Run(context.Background(), bench.Config{MetaServers: box.MetaServers(), Table: table, Op: "set",
			Workers: 16, ValueSize: 1024, Keys: keys, Duration: d, Rate: 200, Timeout: 30 * time.Second, Seed: 7, Stop: stop})
		if err != nil {
			b.Fatalf("load: %v", err)
		}
		return r
	}
	base := load(20*time.Second, nil)
	b.Logf("without a split: %.0f writes/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d errors",
		base.Total.OpsPerSec, base.Total.P50Ms, base.Total.P99Ms, base.Total.MaxMs, base.Total.Errors)

	// One split per run (the table is doubled afterwards): run with
	// -benchtime 1x.
	b.ResetTimer()
	{
		stop := make(chan struct{})
		done := make(chan *bench.Result)
		go func() { done <- load(30*time.Minute, stop) }()
		time.Sleep(2 * time.Second)
		took := split(b, c, table, 16, 30*time.Minute)
		close(stop)
		during := <-done
		b.Logf("split 8 -> 16 of %d MB took %v; writes during it: %.0f/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d errors",
			mb, took.Round(time.Millisecond), during.Total.OpsPerSec, during.Total.P50Ms, during.Total.P99Ms, during.Total.MaxMs, during.Total.Errors)
		b.ReportMetric(took.Seconds(), "split-s")
		b.ReportMetric(during.Total.P99Ms, "write-p99-ms")
		b.ReportMetric(base.Total.P99Ms, "baseline-p99-ms")
		b.ReportMetric(float64(mb), "MB")
	}
}
