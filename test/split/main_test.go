// Package split holds the process-level tests of online partition split
// (issue 11, docs/split.md): real onebox processes, a table split 8 -> 16
// -> 32 under a checked pegasus-bench load, a kill -9 of a splitting
// parent's primary, pause/restart/cancel through the shell, a cancel
// refused after a child registered, and a benchmark that measures how long
// a larger table takes to split and the write latency meanwhile.
//
// Tests use their own loopback addresses: 127.0.0.90 and 127.0.0.95–99.
package split

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/bench"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/test/testbox"
)

const (
	hostLoad      = 95
	hostKill      = 96
	hostControl   = 97
	hostRefused   = 98
	hostBenchmark = 99
	hostScan      = 90
)

var serverBinary string

func TestMain(m *testing.M) {
	testbox.Main(m, []string{"pegasus-server"}, []*string{&serverBinary})
}

func startBox(t *testing.T, host int) *onebox.Box {
	t.Helper()
	b := testbox.Loopback(t, serverBinary, fmt.Sprintf("127.0.0.%d", host))
	testbox.Start(t, b, 90*time.Second, nil)
	return b
}

func adminClient(t testing.TB, b *onebox.Box) *admin.Client {
	t.Helper()
	return testbox.AdminClient(t, b)
}

// createTable creates a table of partitions partitions (3 replicas) and
// waits until every partition has a primary.
func createTable(t testing.TB, c *admin.Client, name string, partitions int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := c.CreateTableWith(ctx, name, admin.CreateOptions{Partitions: partitions, Replicas: 3, FailIfExist: true}); err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	if err := c.WaitReady(ctx, name, 200*time.Millisecond, nil); err != nil {
		t.Fatalf("table %s not ready: %v", name, err)
	}
}

func openTable(t testing.TB, b *onebox.Box, name string) *client.Table {
	t.Helper()
	return testbox.OpenTable(t, b, name)
}

// prefill writes n records "pre-<i>"/"s" = "value-<i>" in batches.
func prefill(t testing.TB, tb *client.Table, n, valueSize int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	pad := make([]byte, valueSize)
	for i := range pad {
		pad[i] = 'x'
	}
	var batch []client.Record
	for i := 0; i < n; i++ {
		v := append([]byte(fmt.Sprintf("value-%d-", i)), pad...)
		batch = append(batch, client.Record{HashKey: []byte(fmt.Sprintf("pre-%d", i)), SortKey: []byte("s"), Value: v})
		if len(batch) == 200 || i == n-1 {
			if err := tb.BatchSet(ctx, batch); err != nil {
				t.Fatalf("prefill at %d: %v", i, err)
			}
			batch = batch[:0]
		}
	}
}

// countData counts the table's rows with a full scan (count_data).
func countData(t testing.TB, tb *client.Table) int64 { return countPrefix(t, tb, "") }

// countPrefix counts the rows whose hash key starts with prefix (all rows
// for "") with a full scan, as count_data -h prefix -x <prefix> does.
func countPrefix(t testing.TB, tb *client.Table, prefix string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	j := admin.ScanJob{Table: tb, Partition: -1, Parallel: 4, Timeout: 10 * time.Second}
	if prefix != "" {
		j.Filter.HashKey = client.Filter{Type: client.FilterTypeMatchPrefix, Pattern: []byte(prefix)}
	}
	res, err := admin.CountData(ctx, j, false, 0)
	if err != nil {
		t.Fatalf("count_data: %v", err)
	}
	return res.Rows
}

// loadKeys is the key space of the checked load (hash keys k0..k3999).
const loadKeys = 4000

// startLoad starts a rate-limited mixed load with its checker on table; it
// ends by itself after limit, or when Finish is called.
func startLoad(t testing.TB, b *onebox.Box, table string, rate float64, limit time.Duration) *testbox.CheckedLoad {
	t.Helper()
	return testbox.StartLoad(t, bench.Config{
		MetaServers: b.MetaServers(), Table: table, Op: "mixed", ReadRatio: 0.5, Workers: 8, ValueSize: 64,
		Keys: loadKeys, Duration: limit, Rate: rate, Timeout: 10 * time.Second, Seed: time.Now().UnixNano(),
	})
}

// split starts table's split to newCount and waits for it to finish.
func split(t testing.TB, c *admin.Client, table string, newCount int32, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	if err := c.StartPartitionSplit(ctx, table, newCount); err != nil {
		t.Fatalf("start split of %s to %d: %v", table, newCount, err)
	}
	waitSplit(t, ctx, c, table, newCount, admin.SplitFinished)
	return time.Since(start)
}

func waitSplit(t testing.TB, ctx context.Context, c *admin.Client, table string, newCount int32, want admin.SplitOutcome) {
	t.Helper()
	var last admin.SplitProgress
	got, err := c.WaitPartitionSplit(ctx, table, newCount, 300*time.Millisecond, func(p admin.SplitProgress) { last = p })
	if err != nil {
		t.Fatalf("split of %s to %d: %v (last progress: %d/%d registered, %v)", table, newCount, err, last.Registered, last.OldCount, last.Parent)
	}
	if got != want {
		t.Fatalf("split of %s to %d: %s, want %s", table, newCount, got, want)
	}
}

func clientScanOptions(batch int) *client.ScanOptions {
	o := client.DefaultScanOptions()
	o.BatchSize = batch
	return &o
}

// loadKeysPresent reads every key of the load's key space (k0..k3999, no
// sort key) and counts those that hold a value.
func loadKeysPresent(t testing.TB, tb *client.Table) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var n int64
	for i := 0; i < loadKeys; i += 200 {
		var ks []client.CompositeKey
		for k := i; k < min(i+200, loadKeys); k++ {
			ks = append(ks, client.CompositeKey{HashKey: []byte(fmt.Sprintf("k%d", k))})
		}
		vals, err := tb.BatchGet(ctx, ks)
		if err != nil {
			t.Fatalf("read the load's keys from k%d: %v", i, err)
		}
		for _, v := range vals {
			if v != nil {
				n++
			}
		}
	}
	return n
}

// checkCounts compares count_data with what point reads see: the
// prefilled rows are all there, and the scan finds exactly the load's keys
// that point reads find.
func checkCounts(t testing.TB, tb *client.Table, prefilled int64) {
	t.Helper()
	if n := countPrefix(t, tb, "pre-"); n != prefilled {
		t.Fatalf("count_data of the prefilled rows: %d, want %d", n, prefilled)
	}
	points := loadKeysPresent(t, tb)
	if n := countPrefix(t, tb, "k"); n != points {
		t.Fatalf("count_data of the load's rows: %d, but point reads find %d", n, points)
	}
	t.Logf("count_data: %d prefilled rows, %d rows of the load (as point reads)", prefilled, points)
}
