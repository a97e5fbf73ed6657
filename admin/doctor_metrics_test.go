package admin

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// metricState is healthyState with every server's /metrics: the meta m:1
// started an hour ago, the replica servers too; each hosts four replicas,
// none learning; every clock agrees.
func metricState(t *testing.T) ClusterState {
	st := healthyState()
	st.MetaServers = []string{"m:1"}
	st.Metrics = map[string]*Scrape{"m:1": serverScrape(t, "m:1", doctorNow, doctorNow.Add(-time.Hour), "")}
	for i, n := range st.Nodes {
		var b strings.Builder
		for p := 0; p < 4; p++ {
			status := 4
			if st.Tables[0].Partitions[p].Primary == n.Address {
				status = 3
			}
			l := fmt.Sprintf(`{app_id="1",partition="%d"}`, p)
			fmt.Fprintf(&b, "pegasus_replica_status%s %d\npegasus_replica_status_seconds%s 3600\n", l, status, l)
			fmt.Fprintf(&b, "pegasus_replica_last_committed_decree%s %d\npegasus_replica_last_durable_decree%s %d\n", l, 1000+i, l, 900)
		}
		b.WriteString("pegasus_mlog_size_bytes 1e6\npegasus_mlog_max_bytes 2147483648\n")
		b.WriteString("pegasus_disk_capacity_bytes{dir=\"/data\"} 1e12\npegasus_disk_available_bytes{dir=\"/data\"} 5e11\n")
		st.Metrics[n.Address] = serverScrape(t, n.Address, doctorNow, doctorNow.Add(-time.Hour), b.String())
	}
	return st
}

func serverScrape(t *testing.T, addr string, clock, started time.Time, body string) *Scrape {
	s := scrapeAt(t, doctorNow, fmt.Sprintf("process_start_time_seconds %d\n%s", started.Unix(), body))
	s.Addr, s.Date = addr, clock.Truncate(time.Second)
	return s
}

// setSample changes the value of the first sample of name whose labels
// contain match, on one server.
func setSample(st ClusterState, addr, name, match string, v float64) {
	for i, s := range st.Metrics[addr].Samples {
		if s.Name == name && strings.Contains(labelKey(s.Labels, ""), match) {
			st.Metrics[addr].Samples[i].Value = v
			return
		}
	}
	panic("no sample " + name + " " + match)
}

func dropMetric(st ClusterState, name string) {
	for _, s := range st.Metrics {
		s.Samples = slices.DeleteFunc(s.Samples, func(x Sample) bool { return x.Name == name })
	}
}

func TestDiagnoseMetrics(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*ClusterState)
		want    []string // findings as "severity check subject"
		skipped []string // checks skipped besides node_flapping
		text    string   // a substring of the first finding's message
	}{
		{name: "healthy", change: func(*ClusterState) {}},
		{name: "learning for long", change: func(s *ClusterState) {
			setSample(*s, "n2:1", "pegasus_replica_status", `partition="1"`, 5)
			setSample(*s, "n2:1", "pegasus_replica_status_seconds", `partition="1"`, 1200)
		}, want: []string{"warning learning_long n2:1"}, text: "1.1 for 20m0s"},
		{name: "learning briefly", change: func(s *ClusterState) {
			setSample(*s, "n2:1", "pegasus_replica_status", `partition="1"`, 5)
			setSample(*s, "n2:1", "pegasus_replica_status_seconds", `partition="1"`, 30)
		}},
		{name: "learning time not exposed", change: func(s *ClusterState) {
			dropMetric(*s, "pegasus_replica_status_seconds")
			setSample(*s, "n2:1", "pegasus_replica_status", `partition="1"`, 5)
		}, skipped: []string{"learning_long"}},
		{name: "durable decree far behind", change: func(s *ClusterState) {
			setSample(*s, "n3:1", "pegasus_replica_last_committed_decree", `partition="2"`, float64(MlogDecreeGap+1000))
		}, want: []string{"warning mlog_not_collected n3:1"}, text: "replica 1.2 has"},
		{name: "big unbounded mutation log", change: func(s *ClusterState) {
			dropMetric(*s, "pegasus_mlog_max_bytes")
			setSample(*s, "n1:1", "pegasus_mlog_size_bytes", "", 20<<30)
		}, want: []string{"warning mlog_not_collected n1:1"}, text: "20.0 GiB on disk (more than 16 GiB)"},
		{name: "mutation log over its bound", change: func(s *ClusterState) {
			setSample(*s, "n2:1", "pegasus_mlog_size_bytes", "", 3<<30)
		}, want: []string{"warning mlog_not_collected n2:1"}, text: "over its bound of 2.0 GiB"},
		{name: "mutation log a little over its bound", change: func(s *ClusterState) {
			setSample(*s, "n2:1", "pegasus_mlog_size_bytes", "", 2.2*(1<<30))
		}},
		{name: "log size not exposed", change: func(s *ClusterState) { dropMetric(*s, "pegasus_mlog_size_bytes") },
			skipped: []string{"mlog_not_collected"}},
		{name: "disk nearly full", change: func(s *ClusterState) {
			setSample(*s, "n2:1", "pegasus_disk_available_bytes", "", 1e11)
		}, want: []string{"warning disk_space n2:1"}, text: "(10%)"},
		{name: "disk full", change: func(s *ClusterState) {
			setSample(*s, "n3:1", "pegasus_disk_available_bytes", "", 1e10)
		}, want: []string{"critical disk_space n3:1"}, text: "9.3 GiB free"},
		{name: "disk figures not exposed", change: func(s *ClusterState) {
			dropMetric(*s, "pegasus_disk_capacity_bytes")
		}, skipped: []string{"disk_space"}},
		{name: "clock ahead", change: func(s *ClusterState) {
			s.Metrics["n3:1"].Date = doctorNow.Add(30 * time.Second)
		}, want: []string{"warning clock_skew n3:1"}, text: "by 30s"},
		{name: "clock slightly off", change: func(s *ClusterState) {
			s.Metrics["n3:1"].Date = doctorNow.Add(2 * time.Second)
		}},
		{name: "an empty node", change: func(s *ClusterState) {
			s.Nodes = append(s.Nodes, NodeState{"n4:1", true})
		}, want: []string{"info unbalanced_primaries t", "info unbalanced_replicas cluster"}, text: "primaries are unbalanced"},
		{name: "node restarted", change: func(s *ClusterState) {
			setSample(*s, "n2:1", "process_start_time_seconds", "", float64(doctorNow.Add(-2*time.Minute).Unix()))
		}, want: []string{"info node_restarted n2:1"}, text: "started 2m0s ago"},
		{name: "whole cluster just started", change: func(s *ClusterState) {
			for _, addr := range []string{"m:1", "n1:1", "n2:1", "n3:1"} {
				setSample(*s, addr, "process_start_time_seconds", "", float64(doctorNow.Add(-time.Minute).Unix()))
			}
		}},
		{name: "metrics unavailable", change: func(s *ClusterState) {
			delete(s.Metrics, "n1:1")
			s.MetricErrors = map[string]error{"n1:1": fmt.Errorf("connection refused")}
		}, want: []string{"info metrics_unavailable n1:1"}, text: "connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := metricState(t)
			tc.change(&st)
			rep := DiagnoseReport(st)
			if strings.Join(checks(rep.Findings), "; ") != strings.Join(tc.want, "; ") {
				t.Fatalf("findings:\n got  %q\n want %q\n%+v", checks(rep.Findings), tc.want, rep.Findings)
			}
			var skipped []string
			for _, s := range rep.Skipped {
				if s.Check != "node_flapping" {
					skipped = append(skipped, s.Check)
				}
			}
			if strings.Join(skipped, " ") != strings.Join(tc.skipped, " ") {
				t.Errorf("skipped %+v, want %q", rep.Skipped, tc.skipped)
			}
			if tc.text != "" && !strings.Contains(rep.Findings[0].Message, tc.text) {
				t.Errorf("message %q lacks %q", rep.Findings[0].Message, tc.text)
			}
			if Status(rep.Findings) > Warning && !strings.Contains(tc.name, "disk full") {
				t.Errorf("only a full disk makes a metric check critical: %+v", rep.Findings)
			}
		})
	}
}
