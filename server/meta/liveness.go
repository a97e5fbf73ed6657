package meta

import (
	"net/netip"
	"slices"
	"time"

	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// Beacon records a beacon from a replica server. It reports whether the
// node is new or was dead, i.e. whether cure should run now.
func (s *State) Beacon(now time.Time, from netip.AddrPort) (cameUp bool) {
	n := s.nodes[from]
	if n == nil {
		n = &node{}
		s.nodes[from] = n
	}
	n.lastBeacon = now
	if n.alive {
		return false
	}
	n.alive = true
	return true
}

// AddNodesFromConfigs marks every primary and secondary named in a stored
// configuration alive with a fresh grace period: what a meta server does
// when it starts leading, so replica servers are not declared dead for the
// time the meta itself was away.
func (s *State) AddNodesFromConfigs(now time.Time) {
	for _, t := range s.tables {
		for _, p := range t.parts {
			for _, m := range p.Members() {
				s.nodes[m] = &node{alive: true, lastBeacon: now}
			}
		}
	}
}

// Alive reports whether the failure detector considers n alive.
func (s *State) Alive(n netip.AddrPort) bool {
	nd := s.nodes[n]
	return nd != nil && nd.alive
}

// CheckLiveness declares dead every node whose last beacon is older than
// the grace period, and returns the change that takes the primaries away
// from dead nodes: ballot+1, no primary, the node appended to last_drops.
// The change covers every partition whose primary is dead, not only those
// of nodes that died now, so a change that failed to persist is redone at
// the next check. Below fl_freezed such changes are postponed.
func (s *State) CheckLiveness(now time.Time) (Change, []netip.AddrPort) {
	var died []netip.AddrPort
	for _, addr := range s.nodeAddrs() {
		n := s.nodes[addr]
		if n.alive && now.Sub(n.lastBeacon) > s.cfg.Grace {
			n.alive = false
			died = append(died, addr)
		}
	}
	var c Change
	if s.level < admin.MetaFunctionLevel_fl_freezed {
		return c, died
	}
	for _, id := range s.tableIDs() {
		for _, p := range s.tables[id].parts {
			if p.HasPrimary() && !s.Alive(p.Primary) {
				c.Partitions = append(c.Partitions, p.withMembers(netip.AddrPort{}, p.Secondaries))
			}
		}
	}
	return c, died
}

// NodeStatus is one replica server as list_nodes reports it.
type NodeStatus struct {
	Addr  netip.AddrPort
	Alive bool
}

// Nodes lists every known replica server in address order.
func (s *State) Nodes() []NodeStatus {
	out := make([]NodeStatus, 0, len(s.nodes))
	for _, a := range s.nodeAddrs() {
		out = append(out, NodeStatus{Addr: a, Alive: s.nodes[a].alive})
	}
	return out
}

// Known reports whether n has ever beaconed (or was named in a stored
// configuration when this meta started leading).
func (s *State) Known(n netip.AddrPort) bool { return s.nodes[n] != nil }

func (s *State) nodeAddrs() []netip.AddrPort {
	out := make([]netip.AddrPort, 0, len(s.nodes))
	for a := range s.nodes {
		out = append(out, a)
	}
	slices.SortFunc(out, netip.AddrPort.Compare)
	return out
}

func (s *State) aliveNodes() []netip.AddrPort {
	return slices.DeleteFunc(s.nodeAddrs(), func(a netip.AddrPort) bool { return !s.nodes[a].alive })
}
