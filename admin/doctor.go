package admin

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// Severity ranks a doctor finding; the worst finding is the cluster's status.
type Severity int

// The severities, mildest first.
const (
	Healthy  Severity = iota // no finding has it; the status of a cluster without warnings
	Info                     // worth knowing, nothing is wrong
	Warning                  // degraded or not as configured; data is served
	Critical                 // reads or writes fail somewhere
)

var severityNames = [...]string{"healthy", "info", "warning", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return "severity(" + strconv.Itoa(int(s)) + ")"
	}
	return severityNames[s]
}

// MarshalText prints the severity's name in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Finding is one thing the doctor noticed, with the shell command that
// helps.
type Finding struct {
	Severity   Severity `json:"severity"`
	Check      string   `json:"check"`   // which check: node_down, no_primary, ...
	Subject    string   `json:"subject"` // the node, table or meta server concerned
	Message    string   `json:"message"`
	Suggestion string   `json:"suggestion"`
}

// The checks' names.
const (
	CheckNodeDown            = "node_down"
	CheckNoPrimary           = "no_primary"
	CheckUnderReplicated     = "under_replicated"
	CheckMetaLevel           = "meta_level"
	CheckDroppedExpiring     = "dropped_table_expiring"
	CheckUnbalancedPrimaries = "unbalanced_primaries"
)

// DroppedExpiryWindow is how close to its expiry a dropped table must be
// for the doctor to mention it.
const DroppedExpiryWindow = 24 * time.Hour

// ClusterState is what the doctor's checks look at, gathered by
// Client.ClusterState or built by hand in tests.
type ClusterState struct {
	Nodes     []NodeState // every replica server the meta knows
	MetaLevel admintypes.MetaFunctionLevel
	Tables    []TableState   // available tables
	Dropped   []DroppedTable // dropped, still recallable tables
	Now       time.Time
	// MetaServers, Metrics and MetricErrors feed the metric checks
	// (doctor_metrics.go): the scrapes of the meta servers and the alive
	// replica servers by address, and the servers that did not answer.
	MetaServers  []string
	Metrics      map[string]*Scrape
	MetricErrors map[string]error
	// Policies are the backup policies (PolicyErr: why they are missing).
	Policies  []PolicyHealth
	PolicyErr error
}

// NodeState is one replica server as the meta sees it.
type NodeState struct {
	Address string
	Alive   bool
}

// TableState is one available table's partitions.
type TableState struct {
	Name       string
	AppID      int32
	Partitions []Partition
}

// DroppedTable is a dropped table and when it can no longer be recalled.
type DroppedTable struct {
	Name    string
	AppID   int32
	Expires time.Time
}

// ClusterState asks the meta server for everything Diagnose looks at.
func (c *Client) ClusterState(ctx context.Context) (ClusterState, error) {
	st := ClusterState{Now: time.Now()}
	nodes, err := c.ListNodes(ctx, admintypes.NodeStatus_NS_INVALID)
	if err != nil {
		return st, err
	}
	for _, n := range nodes {
		st.Nodes = append(st.Nodes, NodeState{Address: n.Node.String(), Alive: n.Status == admintypes.NodeStatus_NS_ALIVE})
	}
	if st.MetaLevel, err = c.MetaLevel(ctx); err != nil {
		return st, err
	}
	apps, err := c.ListTables(ctx, layer2.AppStatus_AS_INVALID)
	if err != nil {
		return st, err
	}
	for _, a := range apps {
		switch a.Status {
		case layer2.AppStatus_AS_AVAILABLE:
			id, parts, err := c.TablePartitions(ctx, a.AppName)
			if err != nil {
				if IsNotFound(err) {
					continue // dropped meanwhile
				}
				return st, err
			}
			st.Tables = append(st.Tables, TableState{Name: a.AppName, AppID: id, Partitions: parts})
		case layer2.AppStatus_AS_DROPPED:
			st.Dropped = append(st.Dropped, DroppedTable{Name: a.AppName, AppID: a.AppID, Expires: time.Unix(a.ExpireSecond, 0)})
		}
	}
	c.gatherMetrics(ctx, &st)
	st.Policies, st.PolicyErr = c.policyHealth(ctx)
	return st, nil
}

// Doctor gathers the cluster's state and diagnoses it, with the metric
// checks (DiagnoseReport).
func (c *Client) Doctor(ctx context.Context) (Report, error) {
	st, err := c.ClusterState(ctx)
	if err != nil {
		return Report{}, err
	}
	return DiagnoseReport(st), nil
}

// Diagnose runs the checks of the meta server's view on st and returns the findings, the most
// severe first (in check order within a severity).
func Diagnose(st ClusterState) []Finding {
	var out []Finding
	out = append(out, checkNodes(st)...)
	out = append(out, checkPartitions(st)...)
	out = append(out, checkMetaLevel(st)...)
	out = append(out, checkDropped(st)...)
	out = append(out, checkPrimaryBalance(st)...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Severity > out[j].Severity })
	return out
}

// Status is the worst severity among findings; Healthy when there are
// none, and also when there are only Info findings.
func Status(findings []Finding) Severity {
	s := Healthy
	for _, f := range findings {
		if f.Severity > s && f.Severity > Info {
			s = f.Severity
		}
	}
	return s
}

func checkNodes(st ClusterState) []Finding {
	var out []Finding
	for _, n := range st.Nodes {
		if !n.Alive {
			out = append(out, Finding{Critical, CheckNodeDown, n.Address,
				"replica server is NS_UNALIVE: the meta server lost its beacons",
				"restart the replica server on " + n.Address + ", then watch it rejoin with `nodes -d`"})
		}
	}
	return out
}

// checkPartitions reports, per table, partitions without a primary
// (critical) and partitions with a primary but fewer members than the max
// replica count (warning).
func checkPartitions(st ClusterState) []Finding {
	var out []Finding
	for _, t := range st.Tables {
		var noPrimary, under []int32
		minMembers, maxReplicas := -1, int32(0)
		for _, p := range t.Partitions {
			if p.Primary == "" {
				noPrimary = append(noPrimary, p.Index)
				continue
			}
			if n := p.Replicas(); n < int(p.MaxReplicas) {
				under = append(under, p.Index)
				if minMembers < 0 || n < minMembers {
					minMembers = n
				}
				maxReplicas = max(maxReplicas, p.MaxReplicas)
			}
		}
		if len(noPrimary) > 0 {
			out = append(out, Finding{Critical, CheckNoPrimary, t.Name,
				fmt.Sprintf("%d of %d partitions have no primary (%s): reads and writes to them fail",
					len(noPrimary), len(t.Partitions), indexList(noPrimary)),
				fmt.Sprintf("bring back the replica servers that served them (`nodes -d`); `app %s -d` shows the partitions", t.Name)})
		}
		if len(under) > 0 {
			out = append(out, Finding{Warning, CheckUnderReplicated, t.Name,
				fmt.Sprintf("%d of %d partitions have fewer members than max_replica_count %d, as few as %d (%s): "+
					"a member was lost and the meta is adding a new one (learning), or fewer replica servers are alive than the table needs",
					len(under), len(t.Partitions), maxReplicas, minMembers, indexList(under)),
				fmt.Sprintf("check `nodes -d` for dead replica servers; with enough alive, members return as they finish learning (`app %s -d` shows them)", t.Name)})
		}
	}
	return out
}

func checkMetaLevel(st ClusterState) []Finding {
	switch st.MetaLevel {
	case admintypes.MetaFunctionLevel_fl_steady, admintypes.MetaFunctionLevel_fl_lively:
		return nil
	}
	return []Finding{{Warning, CheckMetaLevel, "meta",
		fmt.Sprintf("meta function level is %s, not steady or lively: the meta server does not cure failed partitions as usual",
			strings.TrimPrefix(st.MetaLevel.String(), "fl_")),
		"`set_meta_level steady`"}}
}

func checkDropped(st ClusterState) []Finding {
	var out []Finding
	for _, d := range st.Dropped {
		left := d.Expires.Sub(st.Now)
		if left > DroppedExpiryWindow {
			continue
		}
		msg := fmt.Sprintf("dropped table (app_id %d) can be recalled for %s more", d.AppID, left.Truncate(time.Minute))
		if left <= 0 {
			msg = fmt.Sprintf("dropped table (app_id %d) has expired and is being removed", d.AppID)
		}
		out = append(out, Finding{Info, CheckDroppedExpiring, d.Name, msg,
			fmt.Sprintf("`recall %d` if it is still needed", d.AppID)})
	}
	return out
}

// checkPrimaryBalance compares, per table, how many primaries each alive
// node serves (nodes serving none count as zero).
func checkPrimaryBalance(st ClusterState) []Finding {
	var out []Finding
	var alive []string
	for _, n := range st.Nodes {
		if n.Alive {
			alive = append(alive, n.Address)
		}
	}
	if len(alive) < 2 {
		return nil
	}
	for _, t := range st.Tables {
		count := make(map[string]int, len(alive))
		for _, a := range alive {
			count[a] = 0
		}
		for _, p := range t.Partitions {
			if _, ok := count[p.Primary]; ok {
				count[p.Primary]++
			}
		}
		lo, hi := -1, 0
		var loNode, hiNode string
		for _, a := range alive {
			if c := count[a]; lo < 0 || c < lo {
				lo, loNode = c, a
			}
			if c := count[a]; c > hi || hiNode == "" {
				hi, hiNode = c, a
			}
		}
		if hi-lo > 1 {
			out = append(out, Finding{Info, CheckUnbalancedPrimaries, t.Name,
				fmt.Sprintf("primaries are unbalanced across %d alive nodes: %d on %s, %d on %s",
					len(alive), hi, hiNode, lo, loNode),
				"`set_meta_level lively` lets the meta server balance primaries"})
		}
	}
	return out
}

// indexList prints partition indices, the first ten of them.
func indexList(ix []int32) string {
	const show = 10
	var b strings.Builder
	b.WriteString("partitions ")
	for i, x := range ix {
		if i == show {
			fmt.Fprintf(&b, ",... %d more", len(ix)-show)
			break
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(strconv.Itoa(int(x)))
	}
	return b.String()
}
