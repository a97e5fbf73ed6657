package shelltest

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
)

const (
	dashboardPath  = "../../docs/monitoring/grafana-dashboard.json"
	prometheusPath = "../../docs/monitoring/prometheus.yml"
)

type dashboard struct {
	Title  string `json:"title"`
	UID    string `json:"uid"`
	Panels []struct {
		ID      int    `json:"id"`
		Type    string `json:"type"`
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s is not valid JSON: %v", dashboardPath, err)
	}
	return d
}

// TestMonitoringFiles: the sample Grafana dashboard is valid JSON with
// distinct panel ids and a query in every graph, and the sample scrape
// config names the onebox's servers.
func TestMonitoringFiles(t *testing.T) {
	d := readDashboard(t)
	if d.Title == "" || d.UID == "" || len(d.Panels) == 0 {
		t.Fatalf("dashboard without title, uid or panels: %+v", d)
	}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type != "row" && (len(p.Targets) == 0 || p.Targets[0].Expr == "") {
			t.Errorf("panel %q has no query", p.Title)
		}
	}
	raw, err := os.ReadFile(prometheusPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"metrics_path: /metrics", `"127.0.0.1:34601"`, `"127.0.0.1:34801"`, `"127.0.0.1:34802"`, `"127.0.0.1:34803"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("%s lacks %s", prometheusPath, want)
		}
	}
}

var metricName = regexp.MustCompile(`\b(?:pegasus|process|go)_[a-z_]+\b`)

// checkDashboardMetrics: every metric the dashboard queries is served by
// one of the servers at addrs (a onebox that has served requests).
func checkDashboardMetrics(t *testing.T, addrs []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	served := map[string]bool{}
	for _, a := range addrs {
		s, err := admin.ScrapeMetrics(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range s.Samples {
			served[x.Name] = true
		}
	}
	for _, p := range readDashboard(t).Panels {
		for _, tg := range p.Targets {
			for _, m := range metricName.FindAllString(tg.Expr, -1) {
				if !served[m] {
					t.Errorf("panel %q queries %s, which no server exposes", p.Title, m)
				}
			}
		}
	}
}
