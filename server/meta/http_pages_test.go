package meta

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// getPage serves one request on a mux holding s's pages and decodes the
// JSON answer into a generic value.
func getPage(t *testing.T, s *Server, path string) (int, http.Header, map[string]any) {
	t.Helper()
	mux := http.NewServeMux()
	s.RegisterHTTP(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	var v map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("%s: %v in %q", path, err, rec.Body.String())
	}
	return rec.Code, rec.Header(), v
}

// gauges gathers reg into name{label="value"} → value.
func gauges(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			for i, l := range m.GetLabel() {
				sep := ","
				if i == 0 {
					sep = "{"
				}
				key += sep + l.GetName() + `="` + l.GetValue() + `"`
			}
			if len(m.GetLabel()) > 0 {
				key += "}"
			}
			out[key] = m.GetGauge().GetValue()
		}
	}
	return out
}

// asJSON re-encodes a decoded value, for messages and substring checks.
func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestHTTPPages: the /meta/ pages of a leading meta server with two
// replica servers and one table describe the table, its partitions, the
// nodes and the envs; a missing or unknown table is a JSON error.
func TestHTTPPages(t *testing.T) {
	m := startMeta(t, fastOptions(metastore.NewMemory()))
	startReplica(t, m.addr)
	startReplica(t, m.addr)
	waitAlive(t, m.addr, 2)
	id := createTable(t, m.addr, "pages", 4)
	primaries, _ := waitAssigned(t, m.addr, "pages")
	env := call[*admin.ConfigurationUpdateAppEnvResponse](t, m.addr, catalog.RPC_CM_UPDATE_APP_ENV,
		&admin.ConfigurationUpdateAppEnvRequest{AppName: "pages", Op: admin.AppEnvOperation_APP_ENV_OP_SET,
			Keys: []string{"default_ttl"}, Values: []string{"3600"}})
	if env.Err.Code() != base.ERR_OK {
		t.Fatalf("update env: %v", env.Err)
	}

	code, _, cluster := getPage(t, m.srv, "/meta/cluster")
	if code != 200 || cluster["alive_node_count"] != 2.0 || cluster["available_app_count"] != 1.0 ||
		cluster["partition_count"] != 4.0 || cluster["meta_function_level"] != "steady" || cluster["primary_meta_server"] != m.addr {
		t.Fatalf("/meta/cluster: %d %s", code, asJSON(cluster))
	}

	_, _, apps := getPage(t, m.srv, "/meta/apps")
	list := apps["apps"].([]any)
	if len(list) != 1 {
		t.Fatalf("/meta/apps: %s", asJSON(apps))
	}
	app := list[0].(map[string]any)
	if app["app_id"] != float64(id) || app["app_name"] != "pages" || app["status"] != "available" || app["partition_count"] != 4.0 ||
		app["max_replica_count"] != 3.0 || app["create_time"] == "" {
		t.Fatalf("/meta/apps entry: %s", asJSON(app))
	}

	code, _, detail := getPage(t, m.srv, "/meta/app?name=pages")
	parts := detail["partitions"].([]any)
	if code != 200 || len(parts) != 4 {
		t.Fatalf("/meta/app: %d %s", code, asJSON(detail))
	}
	for i, p := range parts {
		pv := p.(map[string]any)
		// Fake replica servers never add secondaries: one member of three
		// is below the write quorum.
		if pv["pidx"] != float64(i) || pv["primary"] != primaries[i] || pv["ballot"].(float64) < 1 ||
			len(pv["secondaries"].([]any)) != 0 || pv["health"] != HealthUnwritable {
			t.Fatalf("/meta/app partition %d: %s", i, asJSON(pv))
		}
		if _, ok := pv["last_committed_decree"]; !ok {
			t.Fatalf("/meta/app partition %d has no last_committed_decree: %s", i, asJSON(pv))
		}
	}
	if h := detail["health"].(map[string]any); h[HealthUnwritable] != 4.0 || h[HealthHealthy] != 0.0 {
		t.Fatalf("/meta/app health: %s", asJSON(h))
	}

	_, _, nodes := getPage(t, m.srv, "/meta/nodes")
	total := 0.0
	for _, n := range nodes["nodes"].([]any) {
		nv := n.(map[string]any)
		if nv["status"] != "ALIVE" || nv["primary_count"] != 2.0 || nv["secondary_count"] != 0.0 {
			t.Fatalf("/meta/nodes entry: %s", asJSON(nv))
		}
		total += nv["replica_count"].(float64)
	}
	if total != 4 {
		t.Fatalf("/meta/nodes: %s", asJSON(nodes))
	}

	_, _, envs := getPage(t, m.srv, "/meta/app_envs?name=pages")
	if envs["app_name"] != "pages" || envs["envs"].(map[string]any)["default_ttl"] != "3600" {
		t.Fatalf("/meta/app_envs: %s", asJSON(envs))
	}
	_, _, backup := getPage(t, m.srv, "/meta/backup_policy")
	if len(backup["policies"].([]any)) != 0 {
		t.Fatalf("/meta/backup_policy: %s", asJSON(backup))
	}

	for path, want := range map[string]int{"/meta/app": 400, "/meta/app?name=nope": 404, "/meta/app_envs?name=nope": 404} {
		code, _, body := getPage(t, m.srv, path)
		if code != want || body["error"] == "" {
			t.Fatalf("%s: %d %s, want %d and an error", path, code, asJSON(body), want)
		}
	}

	// The gauges agree with the pages.
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.srv.Collector())
	got := gauges(t, reg)
	want := map[string]float64{
		`pegasus_meta_leader`: 1, `pegasus_meta_tables{status="available"}`: 1, `pegasus_meta_tables{status="dropped"}`: 0,
		`pegasus_meta_partitions{health="unwritable"}`: 4, `pegasus_meta_partitions{health="healthy"}`: 0,
		`pegasus_meta_partitions{health="dead"}`: 0, `pegasus_meta_nodes{status="alive"}`: 2, `pegasus_meta_nodes{status="unalive"}`: 0,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Fatalf("%s = %v (present %v), want %v; all: %v", k, g, ok, v, got)
		}
	}
}

// TestHTTPPagesOnFollower: a meta server that does not lead redirects to
// the leader it knows, and answers 503 when it knows none; both say so in
// JSON.
func TestHTTPPagesOnFollower(t *testing.T) {
	opts := fastOptions(metastore.NewMemory())
	opts.Election = fixedElection{leader: "127.0.0.1:34602"}
	m := startMeta(t, opts)
	code, hdr, body := getPage(t, m.srv, "/meta/app?name=t")
	if code != http.StatusTemporaryRedirect || hdr.Get("Location") != "http://127.0.0.1:34602/meta/app?name=t" ||
		body["leader"] != "127.0.0.1:34602" || body["error"] == "" {
		t.Fatalf("follower: %d %v %s", code, hdr, asJSON(body))
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.srv.Collector())
	if got := gauges(t, reg); len(got) != 1 || got["pegasus_meta_leader"] != 0 {
		t.Fatalf("a follower's gauges: %v", got)
	}

	opts.Election = fixedElection{}
	m2 := startMeta(t, opts)
	code, _, body = getPage(t, m2.srv, "/meta/backup_policy")
	if code != http.StatusServiceUnavailable || body["leader"] != "" || body["error"] == "" {
		t.Fatalf("no leader: %d %s", code, asJSON(body))
	}
}
