package cluster

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin/bench"
	"github.com/pegasus-go/pegasus/admin/onebox"
)

// scrapeOps sums pegasus_replica_requests_total for one table and op over
// the box's replica servers, read from /metrics on their RPC ports.
func scrapeOps(t *testing.T, b *onebox.Box, appID int, op string) float64 {
	t.Helper()
	hc := &http.Client{Timeout: 5 * time.Second}
	var sum float64
	for _, addr := range b.Replicas {
		resp, err := hc.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatalf("scrape %s: %v", addr, err)
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		prefix := "pegasus_replica_requests_total{"
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, prefix) ||
				!strings.Contains(line, fmt.Sprintf(`app_id="%d"`, appID)) ||
				!strings.Contains(line, fmt.Sprintf(`op="%s"`, op)) || !strings.Contains(line, `result="ok"`) {
				continue
			}
			v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				t.Fatalf("bad sample %q", line)
			}
			sum += v
		}
		resp.Body.Close()
	}
	return sum
}

// scrapePrepareAcks reads pegasus_replica_prepare_ack_seconds_count from
// each replica server of the box: server → secondary → acks timed.
func scrapePrepareAcks(t *testing.T, b *onebox.Box) map[string]map[string]float64 {
	t.Helper()
	hc := &http.Client{Timeout: 5 * time.Second}
	out := map[string]map[string]float64{}
	const prefix = `pegasus_replica_prepare_ack_seconds_count{peer="`
	for _, addr := range b.Replicas {
		resp, err := hc.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatalf("scrape %s: %v", addr, err)
		}
		out[addr] = map[string]float64{}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			rest, ok := strings.CutPrefix(line, prefix)
			if !ok {
				continue
			}
			peer, value, ok := strings.Cut(rest, `"} `)
			v, err := strconv.ParseFloat(value, 64)
			if !ok || err != nil {
				t.Fatalf("bad sample %q", line)
			}
			out[addr][peer] = v
		}
		resp.Body.Close()
	}
	return out
}

// TestMetricsCountEveryRequest: /metrics on the RPC port counts exactly the
// operations sent, per table and op; and pegasus-bench's -server-cost reads
// every replica server's cost of a load from it.
func TestMetricsCountEveryRequest(t *testing.T) {
	b := startBox(t, 6)
	_, tb := openTable(t, b, onebox.TableName)
	appID := 1
	beforePut, beforeGet := scrapeOps(t, b, appID, "put"), scrapeOps(t, b, appID, "get")
	var beforeAcks float64
	for _, peers := range scrapePrepareAcks(t, b) {
		for _, count := range peers {
			beforeAcks += count
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const n = 300
	for i := 0; i < n; i++ {
		hk := []byte(fmt.Sprintf("m%d", i))
		if err := tb.Set(ctx, hk, nil, []byte("v")); err != nil {
			t.Fatal(err)
		}
		if _, err := tb.Get(ctx, hk, nil); err != nil {
			t.Fatal(err)
		}
	}
	if d := scrapeOps(t, b, appID, "put") - beforePut; d != n {
		t.Fatalf("put counter moved by %v, want %d", d, n)
	}
	if d := scrapeOps(t, b, appID, "get") - beforeGet; d != n {
		t.Fatalf("get counter moved by %v, want %d", d, n)
	}
	// Every put was a mutation of its own, acked by the partition's two
	// secondaries; each primary times those acks by secondary.
	var acks float64
	for server, peers := range scrapePrepareAcks(t, b) {
		for peer, count := range peers {
			if peer == server || !slices.Contains(b.Replicas, peer) {
				t.Errorf("%s timed acks from %q, not another replica server of the box", server, peer)
			}
			acks += count
		}
	}
	if acks-beforeAcks < 2*n {
		t.Errorf("%v prepare acks timed during %d puts to a 3-replica table, want at least %d", acks-beforeAcks, n, 2*n)
	}

	res, err := bench.Run(ctx, bench.Config{MetaServers: b.MetaServers(), Table: onebox.TableName, Op: "set",
		Workers: 16, ValueSize: 100, Keys: 1000, Count: 2000, ServerCost: true})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Servers
	if c == nil || res.Total.Ops != 2000 {
		t.Fatalf("bench: %d sets acknowledged, server cost %+v", res.Total.Ops, c)
	}
	if c.Servers != len(b.Replicas) || len(c.Missing) > 0 {
		t.Errorf("cost read from %d servers (missing %v), want all %d", c.Servers, c.Missing, len(b.Replicas))
	}
	if c.CPUMicrosPerOp <= 0 || c.AllocBytesPerOp <= 0 {
		t.Errorf("servers spent %v µs CPU and %v bytes per op", c.CPUMicrosPerOp, c.AllocBytesPerOp)
	}
	// Each set is logged once by each of the table's three members, in a
	// mutation it may share with other sets (plus an empty write or two).
	if perSet := c.LogSyncsPerSet * c.LogEntriesPerSync; perSet <= 0 || perSet > 3.5 || c.LogEntriesPerSync < 1 {
		t.Errorf("%v log syncs per set carrying %v entries each: %v log entries per set, want (0, 3.5]", c.LogSyncsPerSet, c.LogEntriesPerSync, perSet)
	}
}
