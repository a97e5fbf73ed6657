package admin

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
)

var doctorNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// healthyState is three alive nodes, a steady meta, and a table whose four
// partitions have all their replicas, primaries spread evenly.
func healthyState() ClusterState {
	return ClusterState{
		Nodes:     []NodeState{{"n1:1", true}, {"n2:1", true}, {"n3:1", true}},
		MetaLevel: admintypes.MetaFunctionLevel_fl_steady,
		Tables: []TableState{{Name: "t", AppID: 1, Partitions: []Partition{
			{Index: 0, MaxReplicas: 3, Primary: "n1:1", Secondaries: []string{"n2:1", "n3:1"}},
			{Index: 1, MaxReplicas: 3, Primary: "n2:1", Secondaries: []string{"n1:1", "n3:1"}},
			{Index: 2, MaxReplicas: 3, Primary: "n3:1", Secondaries: []string{"n1:1", "n2:1"}},
			{Index: 3, MaxReplicas: 3, Primary: "n1:1", Secondaries: []string{"n2:1", "n3:1"}},
		}}},
		Now: doctorNow,
	}
}

// checks lists findings as "severity check subject".
func checks(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Severity.String()+" "+f.Check+" "+f.Subject)
	}
	return out
}

func TestDiagnose(t *testing.T) {
	tests := []struct {
		name   string
		change func(*ClusterState)
		want   []string
		status Severity
		text   string // a substring of the first finding's message
	}{
		{name: "healthy", change: func(*ClusterState) {}, status: Healthy},
		{name: "node down and partitions without primary", change: func(s *ClusterState) {
			s.Nodes[2].Alive = false
			p := s.Tables[0].Partitions
			p[2].Primary = ""
			p[2].Secondaries = nil
		}, want: []string{"critical node_down n3:1", "critical no_primary t"}, status: Critical, text: "NS_UNALIVE"},
		{name: "no primary lists the partitions", change: func(s *ClusterState) {
			s.Tables[0].Partitions[1].Primary = ""
			s.Tables[0].Partitions[3].Primary = ""
		}, want: []string{"critical no_primary t"}, status: Critical, text: "2 of 4 partitions have no primary (partitions 1,3)"},
		{name: "single replica is under-replicated", change: func(s *ClusterState) {
			for i := range s.Tables[0].Partitions {
				s.Tables[0].Partitions[i].Secondaries = nil
			}
		}, want: []string{"warning under_replicated t"}, status: Warning, text: "the meta is adding a new one (learning)"},
		{name: "single replica table created with one replica is fine", change: func(s *ClusterState) {
			for i := range s.Tables[0].Partitions {
				s.Tables[0].Partitions[i].Secondaries = nil
				s.Tables[0].Partitions[i].MaxReplicas = 1
			}
		}, status: Healthy},
		{name: "freezed meta", change: func(s *ClusterState) {
			s.MetaLevel = admintypes.MetaFunctionLevel_fl_freezed
		}, want: []string{"warning meta_level meta"}, status: Warning, text: "freezed"},
		{name: "lively meta", change: func(s *ClusterState) {
			s.MetaLevel = admintypes.MetaFunctionLevel_fl_lively
		}, status: Healthy},
		{name: "dropped table expiring within a day", change: func(s *ClusterState) {
			s.Dropped = []DroppedTable{
				{Name: "soon", AppID: 7, Expires: doctorNow.Add(3 * time.Hour)},
				{Name: "later", AppID: 8, Expires: doctorNow.Add(25 * time.Hour)},
			}
		}, want: []string{"info dropped_table_expiring soon"}, status: Healthy, text: "recalled for 3h0m0s more"},
		{name: "primaries unbalanced", change: func(s *ClusterState) {
			for i := range s.Tables[0].Partitions {
				s.Tables[0].Partitions[i].Primary = "n1:1"
			}
		}, want: []string{"info unbalanced_primaries t"}, status: Healthy, text: "4 on n1:1, 0 on n2:1"},
		{name: "a down node is not counted for balance", change: func(s *ClusterState) {
			s.Nodes = append(s.Nodes, NodeState{"n4:1", false})
		}, want: []string{"critical node_down n4:1"}, status: Critical},
		{name: "most severe first", change: func(s *ClusterState) {
			s.MetaLevel = admintypes.MetaFunctionLevel_fl_blind
			s.Dropped = []DroppedTable{{Name: "d", AppID: 9, Expires: doctorNow.Add(time.Hour)}}
			s.Nodes[0].Alive = false
		}, want: []string{"critical node_down n1:1", "warning meta_level meta", "info dropped_table_expiring d"}, status: Critical},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := healthyState()
			tc.change(&st)
			got := Diagnose(st)
			if strings.Join(checks(got), "; ") != strings.Join(tc.want, "; ") {
				t.Fatalf("findings:\n got  %q\n want %q", checks(got), tc.want)
			}
			if s := Status(got); s != tc.status {
				t.Errorf("status %v, want %v", s, tc.status)
			}
			if tc.text != "" && !strings.Contains(got[0].Message, tc.text) {
				t.Errorf("message %q lacks %q", got[0].Message, tc.text)
			}
			for _, f := range got {
				if f.Suggestion == "" || f.Message == "" {
					t.Errorf("finding without message or suggestion: %+v", f)
				}
			}
		})
	}
}

func TestFindingJSON(t *testing.T) {
	b, err := json.Marshal(Finding{Critical, CheckNodeDown, "n1:1", "m", "s"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"severity":"critical","check":"node_down","subject":"n1:1","message":"m","suggestion":"s"}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}
