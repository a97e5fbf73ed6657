package meta

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// Proposal is a configuration proposal to send to a replica server
// (RPC_CONFIG_PROPOSAL, one-way).
type Proposal struct {
	Target netip.AddrPort
	Update ConfigUpdate
}

// load counts what each alive node serves, to pick the least loaded one.
type load struct{ primaries, replicas int }

// Cure looks at every partition of every available table and returns the
// proposals that repair it (design notes §3.12, docs/cluster-protocol.md):
//
//   - no primary, never served: CT_ASSIGN_PRIMARY to the alive node with
//     the fewest primaries, then the fewest replicas, then the lowest
//     address;
//   - no primary but secondaries: CT_UPGRADE_TO_PRIMARY to the least
//     loaded alive secondary;
//   - no members, but a node left it: CT_ASSIGN_PRIMARY to that last
//     holder only, and only while it is alive. The meta never puts an
//     empty replica where data may exist;
//   - a primary with a dead secondary: CT_DOWNGRADE_TO_INACTIVE for that
//     secondary, sent to the primary.
//
// A proposal stays pending until the partition changes or its target dies,
// and is sent again once Config.ProposalRetry has passed since it was last
// sent (proposals are one-way and may be lost); pending assignments count
// towards the load. Cure does nothing below fl_steady (or while frozen).
func (s *State) Cure(now time.Time) []Proposal {
	if s.EffectiveLevel() < admin.MetaFunctionLevel_fl_steady {
		return nil
	}
	s.dropStalePending()
	loads := s.loads()
	var out []Proposal
	for _, id := range s.tableIDs() {
		t := s.tables[id]
		if !t.app.Available() {
			continue
		}
		for _, p := range t.parts {
			if p.Dropped() {
				continue
			}
			if p.HasPrimary() {
				out = append(out, s.downgradeDeadSecondaries(t.app, p)...)
				continue
			}
			a, ok := s.pending[p.Pid]
			switch {
			case !ok:
				if a, ok = s.choosePrimary(p, loads); !ok {
					continue
				}
				loads[a.target] = load{loads[a.target].primaries + 1, loads[a.target].replicas + 1}
			case now.Sub(a.sentAt) < s.cfg.ProposalRetry:
				continue
			}
			a.sentAt = now
			s.pending[p.Pid] = a
			out = append(out, Proposal{Target: a.target, Update: ConfigUpdate{
				App: t.app.Clone(), Config: p.Clone(), Type: a.typ, Node: a.target,
			}})
		}
	}
	return out
}

// dropStalePending forgets assignments whose partition moved on, whose
// table is gone or whose target is dead.
func (s *State) dropStalePending() {
	for pid, a := range s.pending {
		t, p, ok := s.partition(pid)
		if !ok || !t.app.Available() || p.Dropped() || p.HasPrimary() || p.Ballot != a.ballot || !s.Alive(a.target) {
			delete(s.pending, pid)
		}
	}
}

// loads counts primaries and replicas per alive node, pending assignments
// included.
func (s *State) loads() map[netip.AddrPort]load {
	loads := map[netip.AddrPort]load{}
	for _, n := range s.aliveNodes() {
		loads[n] = load{}
	}
	count := func(n netip.AddrPort, primary bool) {
		l, ok := loads[n]
		if !ok {
			return
		}
		l.replicas++
		if primary {
			l.primaries++
		}
		loads[n] = l
	}
	for _, t := range s.tables {
		for _, p := range t.parts {
			if p.HasPrimary() {
				count(p.Primary, true)
			}
			for _, sec := range p.Secondaries {
				count(sec, false)
			}
		}
	}
	for _, a := range s.pending {
		count(a.target, true)
	}
	return loads
}

// choosePrimary picks the node that may become p's primary, if any is
// alive.
func (s *State) choosePrimary(p Partition, loads map[netip.AddrPort]load) (assignment, bool) {
	switch {
	case len(p.Secondaries) > 0:
		n, ok := leastLoaded(slices.DeleteFunc(slices.Clone(p.Secondaries), func(n netip.AddrPort) bool { return !s.Alive(n) }), loads)
		return assignment{target: n, ballot: p.Ballot, typ: admin.ConfigType_CT_UPGRADE_TO_PRIMARY}, ok
	case p.NeverServed():
		n, ok := leastLoaded(s.aliveNodes(), loads)
		return assignment{target: n, ballot: p.Ballot, typ: admin.ConfigType_CT_ASSIGN_PRIMARY}, ok
	}
	last, _ := p.LastHolder()
	return assignment{target: last, ballot: p.Ballot, typ: admin.ConfigType_CT_ASSIGN_PRIMARY}, s.Alive(last)
}

func leastLoaded(nodes []netip.AddrPort, loads map[netip.AddrPort]load) (netip.AddrPort, bool) {
	if len(nodes) == 0 {
		return netip.AddrPort{}, false
	}
	return slices.MinFunc(nodes, func(a, b netip.AddrPort) int {
		la, lb := loads[a], loads[b]
		return cmp.Or(cmp.Compare(la.primaries, lb.primaries), cmp.Compare(la.replicas, lb.replicas), a.Compare(b))
	}), true
}

func (s *State) downgradeDeadSecondaries(app App, p Partition) []Proposal {
	var out []Proposal
	for _, sec := range p.Secondaries {
		if !s.Alive(sec) && s.Alive(p.Primary) {
			out = append(out, Proposal{Target: p.Primary, Update: ConfigUpdate{
				App: app.Clone(), Config: p.Clone(), Type: admin.ConfigType_CT_DOWNGRADE_TO_INACTIVE, Node: sec,
			}})
		}
	}
	return out
}

// PendingTarget returns the node cure is currently assigning pid to.
func (s *State) PendingTarget(pid base.Gpid) (netip.AddrPort, bool) {
	a, ok := s.pending[pid]
	return a.target, ok
}
