package bench

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pegasus-go/pegasus/admin"
)

// fakeServer serves /metrics whose counters grow by the given amounts on
// every scrape after the first.
func fakeServer(t *testing.T, cpuStep, allocStep, syncStep, entryStep float64) string {
	var scrapes atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		k := float64(scrapes.Add(1) - 1)
		fmt.Fprintf(w, "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %g\n", 10+k*cpuStep)
		// The threads wait for a CPU 1.5 times as long as they run.
		fmt.Fprintf(w, "pegasus_process_cpu_wait_seconds_total %g\n", 4+k*cpuStep*1.5)
		fmt.Fprintf(w, "go_memstats_alloc_bytes_total %g\n", 1e6+k*allocStep)
		fmt.Fprintf(w, "pegasus_mlog_syncs_total %g\npegasus_mlog_entries_total %g\n", 100+k*syncStep, 300+k*entryStep)
		// Each sync takes 0.5 ms; each of syncStep acks per peer 2 ms.
		fmt.Fprintf(w, "pegasus_mlog_sync_seconds_total %g\n", 1+k*syncStep*0.5e-3)
		for _, peer := range []string{"127.0.0.1:1", "127.0.0.1:2"} {
			fmt.Fprintf(w, "pegasus_replica_prepare_ack_seconds_sum{peer=%q} %g\n", peer, 3+k*syncStep*2e-3)
			fmt.Fprintf(w, "pegasus_replica_prepare_ack_seconds_count{peer=%q} %g\n", peer, 7+k*syncStep)
		}
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestServerCostSumsEveryServer(t *testing.T) {
	a := fakeServer(t, 0.5, 4e6, 100, 250)
	b := fakeServer(t, 0.3, 2e6, 50, 50)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadAddr := strings.TrimPrefix(dead.URL, "http://")
	dead.Close()

	ctx := context.Background()
	w := admin.OpenWindow(ctx, []string{a, b, deadAddr})
	w.End(ctx)
	c := costOf(w, 2000, 1000)

	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-6*math.Max(1, want) }
	if c.Servers != 2 || len(c.Missing) != 1 || !strings.HasPrefix(c.Missing[0], deadAddr) {
		t.Fatalf("servers %d, missing %v; want 2 and %s", c.Servers, c.Missing, deadAddr)
	}
	if !near(c.CPUMicrosPerOp, 0.8e6/2000) || !near(c.AllocBytesPerOp, 6e6/2000) {
		t.Errorf("CPU %v µs and %v bytes per op; want 400 and 3000", c.CPUMicrosPerOp, c.AllocBytesPerOp)
	}
	if !near(c.CPUWaitMicrosPerOp, 1.2e6/2000) {
		t.Errorf("CPU wait %v µs per op; want 600", c.CPUWaitMicrosPerOp)
	}
	if !near(c.LogSyncsPerSet, 150.0/1000) || !near(c.LogEntriesPerSync, 300.0/150) {
		t.Errorf("%v syncs per set, %v entries per sync; want 0.15 and 2", c.LogSyncsPerSet, c.LogEntriesPerSync)
	}
	if !near(c.LogSyncMillis, 0.5) || !near(c.PrepareAckMillis, 2) {
		t.Errorf("log sync %v ms, prepare ack %v ms; want 0.5 and 2", c.LogSyncMillis, c.PrepareAckMillis)
	}

	// Without sets or syncs the log figures stay out.
	c = costOf(w, 2000, 0)
	if c.LogSyncsPerSet != 0 {
		t.Errorf("log syncs per set %v with no sets", c.LogSyncsPerSet)
	}
	var out strings.Builder
	c.print(&out)
	if got := out.String(); !strings.Contains(got, "2 replica servers spent 400 µs CPU and 2.9 KB Go allocation per op, and waited 600 µs for a CPU") || strings.Contains(got, "syncs per set") {
		t.Errorf("printed %q", got)
	}
}
