package cluster

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
)

// series scrapes /metrics at addr into "name{labels}" → value.
func series(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", addr, err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("%s: bad sample %q", addr, line)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("scrape %s: %v", addr, err)
	}
	return out
}

// sumOf adds the samples of one metric whose labels contain every label
// given (e.g. `app_id="1"`), and counts them.
func sumOf(s map[string]float64, name string, labels ...string) (sum float64, n int) {
	for k, v := range s {
		if k != name && !strings.HasPrefix(k, name+"{") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(k, l)
		}
		if ok {
			sum += v
			n++
		}
	}
	return sum, n
}

// getJSON fetches an HTTP page from a server's RPC port and decodes it.
func getJSON(t *testing.T, addr, path string) map[string]any {
	t.Helper()
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s%s: %v", addr, path, err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s%s: %d, %v", addr, path, resp.StatusCode, err)
	}
	return v
}

// TestObservabilityUnderLoad: on a onebox (127.0.0.70) under 500 puts and
// 500 gets, /metrics counts exactly those requests per table and shows
// the replicas by role, prepare-list depth, RocksDB and mutation log
// figures with sane values; flush-log moves every memtable into SST files;
// the meta's pages and gauges describe the table as healthy; /config and
// the meta's remote commands answer.
func TestObservabilityUnderLoad(t *testing.T) {
	b := startBox(t, 70)
	_, tb := openTable(t, b, onebox.TableName)
	const appID, n = 1, 500
	app := fmt.Sprintf(`app_id="%d"`, appID)
	beforePut, beforeGet := scrapeOps(t, b, appID, "put"), scrapeOps(t, b, appID, "get")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := 0; i < n; i++ {
		if err := tb.Set(ctx, []byte(fmt.Sprintf("obs%d", i)), []byte("s"), []byte("a value for the memtable")); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		if _, err := tb.Get(ctx, []byte(fmt.Sprintf("obs%d", i)), []byte("s")); err != nil {
			t.Fatal(err)
		}
	}
	if d := scrapeOps(t, b, appID, "put") - beforePut; d != n {
		t.Fatalf("put counter moved by %v, want %d", d, n)
	}
	if d := scrapeOps(t, b, appID, "get") - beforeGet; d != n {
		t.Fatalf("get counter moved by %v, want %d", d, n)
	}

	var roles, primaries, memtable, depthSeries, logBytes, syncs float64
	hosted := map[string]float64{}
	for _, addr := range b.Replicas {
		s := series(t, addr)
		r, _ := sumOf(s, "pegasus_replicas")
		hosted[addr] = r
		roles += r
		p, _ := sumOf(s, "pegasus_replicas", `role="primary"`)
		primaries += p
		m, _ := sumOf(s, "pegasus_rocksdb_memtable_bytes", app)
		memtable += m
		depth, cnt := sumOf(s, "pegasus_replica_prepare_list_depth")
		if depth < 0 || cnt != int(r) {
			t.Fatalf("%s: prepare-list depth %v over %d replicas, hosting %v", addr, depth, cnt, r)
		}
		depthSeries += float64(cnt)
		if _, cnt := sumOf(s, "pegasus_rocksdb_block_cache_capacity_bytes", app); cnt != int(r) {
			t.Fatalf("%s: block cache capacity for %d replicas, hosting %v", addr, cnt, r)
		}
		lb, _ := sumOf(s, "pegasus_mlog_size_bytes")
		logBytes += lb
		sc, _ := sumOf(s, "pegasus_mlog_sync_duration_seconds_count")
		syncs += sc
		if g, cnt := sumOf(s, "go_goroutines"); cnt != 1 || g <= 0 {
			t.Fatalf("%s: no Go runtime metrics", addr)
		}
		if l, _ := sumOf(s, "pegasus_replicas_learning"); l != 0 {
			t.Fatalf("%s: %v replicas learning on a settled onebox", addr, l)
		}
	}
	want := float64(onebox.TablePartitions * onebox.TableReplicas)
	if roles != want || primaries != onebox.TablePartitions || depthSeries != want {
		t.Fatalf("replicas by role sum to %v with %v primaries (%v depth series), want %v and %d", roles, primaries, depthSeries, want, onebox.TablePartitions)
	}
	if memtable <= 0 || logBytes <= 0 || syncs <= 0 {
		t.Fatalf("memtables %v bytes, mutation log %v bytes, %v log syncs after %d writes", memtable, logBytes, syncs, n)
	}

	t.Logf("replicas %v (%v primaries), memtables %v bytes, mutation log %v bytes, %v syncs", roles, primaries, memtable, logBytes, syncs)
	// flush-log flushes every hosted replica: the data moves into SST files.
	for _, addr := range b.Replicas {
		out, err := admin.RemoteCommand(ctx, addr, "flush-log", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("flush-log on %s: %s", addr, out)
		if !strings.HasPrefix(out, fmt.Sprintf("flushed %v replicas, 0 failed", hosted[addr])) || !strings.Contains(out, "mutation log:") {
			t.Fatalf("flush-log on %s: %q", addr, out)
		}
	}
	var sst, sstFiles float64
	for _, addr := range b.Replicas {
		s := series(t, addr)
		v, _ := sumOf(s, "pegasus_rocksdb_sst_bytes", app)
		sst += v
		f, _ := sumOf(s, "pegasus_rocksdb_sst_files", app)
		sstFiles += f
		if _, cnt := sumOf(s, "pegasus_rocksdb_block_cache_misses_total", app); cnt != int(hosted[addr]) {
			t.Fatalf("%s: block cache misses for %d replicas, hosting %v", addr, cnt, hosted[addr])
		}
		if _, cnt := sumOf(s, "pegasus_replica_status_seconds", app); cnt != int(hosted[addr]) {
			t.Fatalf("%s: status durations for %d replicas, hosting %v", addr, cnt, hosted[addr])
		}
	}
	if sst <= 0 || sstFiles < want {
		t.Fatalf("%v SST bytes in %v files after flush-log", sst, sstFiles)
	}

	// The meta server's view.
	detail := getJSON(t, b.Meta, "/meta/app?name="+onebox.TableName)
	parts := detail["partitions"].([]any)
	if len(parts) != onebox.TablePartitions {
		t.Fatalf("/meta/app: %d partitions", len(parts))
	}
	for _, p := range parts {
		pv := p.(map[string]any)
		if pv["primary"] == "" || len(pv["secondaries"].([]any)) != onebox.TableReplicas-1 || pv["health"] != "healthy" {
			t.Fatalf("/meta/app partition: %v", pv)
		}
	}
	ms := series(t, b.Meta)
	if h, _ := sumOf(ms, "pegasus_meta_partitions", `health="healthy"`); h != onebox.TablePartitions {
		t.Fatalf("meta: %v healthy partitions", h)
	}
	if a, _ := sumOf(ms, "pegasus_meta_nodes", `status="alive"`); a != float64(len(b.Replicas)) {
		t.Fatalf("meta: %v alive nodes", a)
	}
	nodes := getJSON(t, b.Meta, "/meta/nodes")["nodes"].([]any)
	if len(nodes) != len(b.Replicas) {
		t.Fatalf("/meta/nodes: %v", nodes)
	}
	if cfg := getJSON(t, b.Meta, "/config"); cfg["meta"].(map[string]any)["address"] != b.Meta || cfg["replica"] != nil {
		t.Fatalf("meta /config: %v", cfg)
	}
	if cfg := getJSON(t, b.Replicas[0], "/config"); cfg["replica"].(map[string]any)["address"] != b.Replicas[0] {
		t.Fatalf("replica /config: %v", cfg)
	}

	// Remote commands: the meta's level query, and a clear error for an
	// unknown command on every server.
	if out, err := admin.RemoteCommand(ctx, b.Meta, "meta.level", nil); err != nil ||
		!regexp.MustCompile(`(?m)^meta_function_level: steady$`).MatchString(out) {
		t.Fatalf("meta.level: %q %v", out, err)
	}
	for _, addr := range append([]string{b.Meta}, b.Replicas...) {
		if out, err := admin.RemoteCommand(ctx, addr, "no.such.command", nil); err != nil || out != "unknown command 'no.such.command'" {
			t.Fatalf("unknown command on %s: %q %v", addr, out, err)
		}
	}
}
