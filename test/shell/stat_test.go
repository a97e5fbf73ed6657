package shelltest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/client"
)

// startLoad writes and reads table temp in a loop until the test ends, so
// that any sampling window sees requests; it returns once the first round
// has been served.
func startLoad(t *testing.T, metas []string) {
	t.Helper()
	c := client.New(client.Config{MetaServers: metas})
	ctx, cancel := context.WithCancel(context.Background())
	octx, ocancel := context.WithTimeout(ctx, 20*time.Second)
	defer ocancel()
	tb, err := c.OpenTable(octx, "temp")
	if err != nil {
		cancel()
		c.Close()
		t.Fatalf("open temp: %v", err)
	}
	first := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			hk := []byte(fmt.Sprintf("stat%d", i%500))
			octx, ocancel := context.WithTimeout(ctx, 5*time.Second)
			tb.Set(octx, hk, []byte("s"), []byte("v"))
			tb.Get(octx, hk, []byte("s"))
			ocancel()
			if i == 0 {
				close(first)
			}
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait(); c.Close() })
	select {
	case <-first:
	case <-time.After(30 * time.Second):
		t.Fatal("the load's first round took over 30 s")
	}
}

func decode(t *testing.T, r result, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("JSON: %v\n%v", err, r)
	}
}

// TestStatCommands runs app_stat, server_stat, nodes -u/-q, server_info
// and remote_command against a onebox under a steady read/write load.
func TestStatCommands(t *testing.T) {
	b := startBox(t, 81)
	meta := b.MetaServers()[0]
	sh := func(args ...string) result {
		t.Helper()
		return runShell(t, nil, "", append([]string{"-m", meta, "-e"}, args...)...)
	}
	startLoad(t, b.MetaServers())

	t.Run("app_stat per table", func(t *testing.T) {
		r := sh("app_stat -j -i 1500")
		var st struct {
			IntervalMS int64            `json:"interval_ms"`
			Rows       []map[string]any `json:"rows"`
			Total      map[string]any   `json:"total"`
		}
		decode(t, r, &st)
		if r.code != 0 || st.IntervalMS != 1500 || len(st.Rows) != 1 || st.Rows[0]["app_name"] != "temp" {
			t.Fatalf("want one row for temp: %v", r)
		}
		row := st.Rows[0]
		if row["put"].(float64) <= 0 || row["get"].(float64) <= 0 || row["cam"].(float64) != 0 || row["pcount"].(float64) != 8 {
			t.Errorf("want put and get rates > 0, cam 0, pcount 8: %v", row)
		}
		if row["put_p99_ms"].(float64) <= 0 || st.Total["put"].(float64) != row["put"].(float64) {
			t.Errorf("want a put p99 and a total equal to the only row: %v", r.stdout)
		}
		if _, ok := row["file_num"]; !ok || row["mem_tbl_mb"] == nil || row["file_mb"] == nil {
			t.Errorf("want the storage columns: %v", r.stdout)
		}
		text := sh("app_stat")
		lines := strings.Split(text.stdout, "\n")
		if text.code != 0 || lines[0] != "[app_stat]" || !strings.HasPrefix(strings.Join(strings.Fields(lines[1]), " "),
			"app_name app_id pcount GET MGET BGET PUT MPUT DEL MDEL INCR CAS CAM SCAN "+
				"get_p99(ms) mget_p99(ms) bget_p99(ms) put_p99(ms) mput_p99(ms) file_mb file_num mem_tbl_mb") ||
			!strings.Contains(text.stdout, "(total:1)") {
			t.Errorf("text layout: %v", text)
		}
	})

	t.Run("app_stat per partition", func(t *testing.T) {
		r := sh("app_stat -a temp -q -j -i 1500")
		var st struct {
			Rows  []map[string]any `json:"rows"`
			Total map[string]any   `json:"total"`
		}
		decode(t, r, &st)
		if r.code != 0 || len(st.Rows) != 8 || st.Rows[7]["pidx"] != "7" {
			t.Fatalf("want 8 partition rows: %v", r)
		}
		if st.Total["put"].(float64) <= 0 {
			t.Errorf("want puts: %v", r.stdout)
		}
		if r := sh("app_stat -a no_such_table"); r.code != 1 || !strings.Contains(r.stderr, "does not exist") {
			t.Errorf("unknown table: %v", r)
		}
		if r := sh("app_stat -q -u"); r.code != 2 || !strings.Contains(r.stderr, "only_qps and only_usage") {
			t.Errorf("-q with -u: %v", r)
		}
	})

	t.Run("server_stat", func(t *testing.T) {
		r := sh("server_stat -j -i 500")
		var st struct {
			Details map[string]struct {
				Acked   bool               `json:"acked"`
				Message map[string]float64 `json:"message"`
				Role    string             `json:"role"`
			} `json:"details"`
			Succeed int `json:"succeed_count"`
		}
		decode(t, r, &st)
		if r.code != 0 || st.Succeed != 4 || len(st.Details) != 4 {
			t.Fatalf("want 4 servers answering: %v", r)
		}
		primaries := 0.0
		for addr, d := range st.Details {
			if d.Message["res_mem_mb"] <= 0 {
				t.Errorf("%s: no resident memory: %v", addr, d.Message)
			}
			if d.Role != "replica-server" {
				continue
			}
			m := d.Message
			if m["total_replicas"] != 8 || m["primary_replicas"]+m["secondary_replicas"] != 8 || m["learning_replicas"] != 0 {
				t.Errorf("%s: want 8 replicas, primary or secondary: %v", addr, m)
			}
			primaries += m["primary_replicas"]
		}
		if primaries != 8 {
			t.Errorf("want 8 primaries over the replica servers, got %v", primaries)
		}
		text := sh("server_stat -t replica-server")
		if text.code != 0 || !strings.Contains(text.stdout, "succeed: virt_mem_mb=") || !strings.Contains(text.stdout, "Succeed count: 3") {
			t.Errorf("text: %v", text)
		}
		if r := sh("server_stat -l 127.0.0.81:1"); r.code != 1 || !strings.Contains(r.stdout, "[127.0.0.81:1] failed") {
			t.Errorf("unknown node: %v", r)
		}
	})

	t.Run("nodes -u -q", func(t *testing.T) {
		r := sh("nodes -d -q -j -i 1500")
		var nodes []struct {
			Address string             `json:"address"`
			Replica int                `json:"replica_count"`
			Load    map[string]float64 `json:"load"`
		}
		decode(t, r, &nodes)
		puts := 0.0
		for _, n := range nodes {
			if n.Replica != 8 {
				t.Errorf("%s: %d replicas, want 8", n.Address, n.Replica)
			}
			if _, ok := n.Load["put_p99_ms"]; !ok {
				t.Errorf("%s: no put_p99_ms: %v", n.Address, n.Load)
			}
			puts += n.Load["put_qps"]
		}
		if r.code != 0 || len(nodes) != 3 || puts <= 0 {
			t.Errorf("want 3 nodes and puts: %v", r)
		}
		text := sh("nodes -d -u")
		lines := strings.Split(text.stdout, "\n")
		if text.code != 0 || strings.Join(strings.Fields(lines[1]), " ") != "address status replica_count primary_count secondary_count memused_res_mb mem_tbl_mb" {
			t.Fatalf("nodes -d -u header: %v", text)
		}
		for _, l := range lines[2:5] {
			if f := strings.Fields(l); len(f) != 7 || f[5] == "0" || f[5] == "-" || f[6] == "-" {
				t.Errorf("row %q: want resident memory and memtable figures", l)
			}
		}
	})

	t.Run("remote commands", func(t *testing.T) {
		var info struct {
			Succeed int `json:"succeed_count"`
		}
		r := sh("server_info -j")
		decode(t, r, &info)
		if r.code != 0 || info.Succeed != 4 {
			t.Errorf("server_info: %v", r)
		}
		r = sh("remote_command -t replica-server no-such-command")
		if r.code != 1 || !strings.Contains(r.stdout, "unknown command 'no-such-command'") ||
			!strings.Contains(r.stderr, "3 of 3 servers do not know the command 'no-such-command'") {
			t.Errorf("unknown command: %v", r)
		}
		r = sh("remote_command -l 127.0.0.81:1 help")
		if r.code != 1 || !strings.Contains(r.stdout, "CALL [user-specified] [127.0.0.81:1] failed") {
			t.Errorf("unknown node: %v", r)
		}
		r = sh("remote_command -t meta-server -l " + meta + " help")
		if r.code != 2 {
			t.Errorf("-t with -l: %v", r)
		}
	})

	t.Run("the dashboard's metrics exist", func(t *testing.T) {
		checkDashboardMetrics(t, append([]string{meta}, b.Replicas...))
	})
}
