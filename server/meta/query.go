package meta

import (
	"regexp"
	"strings"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// QueryConfig answers RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX (protocol.md
// §6.2): the table and the configurations of the requested partitions in
// request order, skipping out-of-range indices, or of every partition in
// index order when none remains.
func (s *State) QueryConfig(name string, indices []int32) (App, []Partition, error) {
	t, ok := s.availableTable(name)
	if !ok {
		return App{}, nil, refuse(base.ERR_OBJECT_NOT_FOUND, "no table %q", name)
	}
	switch t.app.Status {
	case layer2.AppStatus_AS_AVAILABLE:
	case layer2.AppStatus_AS_CREATING, layer2.AppStatus_AS_RECALLING:
		return App{}, nil, refuse(base.ERR_BUSY_CREATING, "table %q is being created", name)
	case layer2.AppStatus_AS_DROPPING:
		return App{}, nil, refuse(base.ERR_BUSY_DROPPING, "table %q is being dropped", name)
	default:
		return App{}, nil, refuse(base.ERR_UNKNOWN, "table %q is %v", name, t.app.Status)
	}
	var out []Partition
	for _, i := range indices {
		if i >= 0 && int(i) < len(t.parts) {
			out = append(out, t.parts[i].Clone())
		}
	}
	if len(out) == 0 {
		for _, p := range t.parts {
			out = append(out, p.Clone())
		}
	}
	return t.app.Clone(), out, nil
}

// ListApps answers RPC_CM_LIST_APPS: tables in id order with the given
// status (AS_INVALID: any) whose name matches pattern under match (nil
// match or PMT_MATCH_ALL: any name). A REGEX pattern must match the whole
// name.
func (s *State) ListApps(status layer2.AppStatus, pattern string, match *admin.PatternMatchType) ([]App, error) {
	matches, err := nameMatcher(pattern, match)
	if err != nil {
		return nil, err
	}
	var out []App
	for _, id := range s.tableIDs() {
		a := s.tables[id].app
		if (status == layer2.AppStatus_AS_INVALID || a.Status == status) && matches(a.Name) {
			out = append(out, a.Clone())
		}
	}
	return out, nil
}

func nameMatcher(pattern string, match *admin.PatternMatchType) (func(string) bool, error) {
	if match == nil {
		return func(string) bool { return true }, nil
	}
	switch *match {
	case admin.PatternMatchType_PMT_MATCH_ALL:
		return func(string) bool { return true }, nil
	case admin.PatternMatchType_PMT_MATCH_EXACT:
		return func(n string) bool { return n == pattern }, nil
	case admin.PatternMatchType_PMT_MATCH_ANYWHERE:
		return func(n string) bool { return strings.Contains(n, pattern) }, nil
	case admin.PatternMatchType_PMT_MATCH_PREFIX:
		return func(n string) bool { return strings.HasPrefix(n, pattern) }, nil
	case admin.PatternMatchType_PMT_MATCH_POSTFIX:
		return func(n string) bool { return strings.HasSuffix(n, pattern) }, nil
	case admin.PatternMatchType_PMT_MATCH_REGEX:
		re, err := regexp.Compile(`^(?:` + pattern + `)$`)
		if err != nil {
			return nil, refuse(base.ERR_INVALID_PARAMETERS, "bad name pattern %q: %v", pattern, err)
		}
		return re.MatchString, nil
	}
	return nil, refuse(base.ERR_INVALID_PARAMETERS, "unsupported match type %v", *match)
}

// ListNodes answers RPC_CM_LIST_NODES: replica servers in address order
// with the given status (NS_INVALID: any).
func (s *State) ListNodes(status admin.NodeStatus) []NodeStatus {
	var out []NodeStatus
	for _, n := range s.Nodes() {
		switch {
		case status == admin.NodeStatus_NS_INVALID,
			status == admin.NodeStatus_NS_ALIVE && n.Alive,
			status == admin.NodeStatus_NS_UNALIVE && !n.Alive:
			out = append(out, n)
		}
	}
	return out
}

// Summary counts what cluster_info reports.
type Summary struct {
	AliveNodes, DeadNodes      int
	AvailableApps, DroppedApps int
	Partitions, WithoutPrimary int
	PendingProposals           int
}

// Summarize counts nodes, tables and partitions.
func (s *State) Summarize() Summary {
	var sum Summary
	for _, n := range s.nodes {
		if n.alive {
			sum.AliveNodes++
		} else {
			sum.DeadNodes++
		}
	}
	for _, t := range s.tables {
		if !t.app.Available() {
			sum.DroppedApps++
			continue
		}
		sum.AvailableApps++
		for _, p := range t.parts {
			sum.Partitions++
			if !p.HasPrimary() && p.Ballot != childBallot { // a split child has none until it registers
				sum.WithoutPrimary++
			}
		}
	}
	sum.PendingProposals = len(s.pending)
	return sum
}
