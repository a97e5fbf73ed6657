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
//   - no primary but secondaries: CT_UPGRADE_TO_PRIMARY to the alive
//     secondary with the highest last committed decree reported through
//     config sync, then the least loaded one;
//   - no members, but a node left it: CT_ASSIGN_PRIMARY to that last
//     holder only, and only while it is alive. The meta never puts an
//     empty replica where data may exist;
//   - a primary with a dead secondary: CT_DOWNGRADE_TO_INACTIVE for that
//     secondary, sent to the primary;
//   - a primary with fewer than max_replica_count members: CT_ADD_SECONDARY,
//     sent to the primary, naming the newest alive node of last_drops that
//     is not a member (it has most of the data), else the alive non-member
//     with the fewest replicas. At most one add per partition is pending.
//
// Then it advances the balancer's moves and, at fl_lively, starts new ones
// (balance.go).
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
			if p.Dropped() || p.Ballot == childBallot {
				continue // a split child is its parent's business until it registers
			}
			if p.HasPrimary() {
				out = append(out, s.downgradeDeadSecondaries(t.app, p)...)
				if pr, ok := s.addSecondary(now, t.app, p, loads); ok {
					out = append(out, pr)
				}
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
	return append(out, s.balance(now)...)
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
	for pid, a := range s.adding {
		_, p, ok := s.partition(pid)
		if !ok || !s.addStillWanted(p, a.target) {
			delete(s.adding, pid)
		}
	}
}

// addStillWanted reports whether learner n should still be added to p: p
// has an alive primary, room for another member, and n is alive and not a
// member. A pending add outlives ballot changes while this holds, so a
// learner is not abandoned because another member left meanwhile.
func (s *State) addStillWanted(p Partition, n netip.AddrPort) bool {
	t := s.tables[p.Pid.Appid]
	return t != nil && t.app.Available() && !p.Dropped() && p.HasPrimary() && s.Alive(p.Primary) &&
		int32(len(p.Members())) < p.MaxReplicaCount && s.Alive(n) && !p.IsMember(n)
}

// addSecondary returns the CT_ADD_SECONDARY p needs now, if any: the
// pending one when it is due again, or a new one.
func (s *State) addSecondary(now time.Time, app App, p Partition, loads map[netip.AddrPort]load) (Proposal, bool) {
	if !s.Alive(p.Primary) || int32(len(p.Members())) >= p.MaxReplicaCount {
		return Proposal{}, false
	}
	a, ok := s.adding[p.Pid]
	switch {
	case ok && now.Sub(a.sentAt) < s.cfg.ProposalRetry:
		return Proposal{}, false
	case !ok:
		n, found := s.chooseLearner(p, loads)
		if !found {
			return Proposal{}, false
		}
		loads[n] = load{loads[n].primaries, loads[n].replicas + 1}
		a = assignment{target: n, typ: admin.ConfigType_CT_ADD_SECONDARY}
	}
	a.ballot, a.sentAt = p.Ballot, now
	s.adding[p.Pid] = a
	return Proposal{Target: p.Primary, Update: ConfigUpdate{
		App: app.Clone(), Config: p.Clone(), Type: admin.ConfigType_CT_ADD_SECONDARY, Node: a.target,
	}}, true
}

// chooseLearner picks the node to add to p: the newest alive non-member of
// last_drops, else the alive non-member with the fewest replicas.
func (s *State) chooseLearner(p Partition, loads map[netip.AddrPort]load) (netip.AddrPort, bool) {
	for i := len(p.LastDrops) - 1; i >= 0; i-- {
		if d := p.LastDrops[i]; s.Alive(d) && !p.IsMember(d) {
			return d, true
		}
	}
	cands := slices.DeleteFunc(s.aliveNodes(), p.IsMember)
	if len(cands) == 0 {
		return netip.AddrPort{}, false
	}
	return slices.MinFunc(cands, func(a, b netip.AddrPort) int {
		return cmp.Or(cmp.Compare(loads[a].replicas, loads[b].replicas), a.Compare(b))
	}), true
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
	for _, a := range s.adding {
		count(a.target, false)
	}
	return loads
}

// choosePrimary picks the node that may become p's primary, if any is
// alive.
func (s *State) choosePrimary(p Partition, loads map[netip.AddrPort]load) (assignment, bool) {
	if to, ok := s.moveTarget(p); ok {
		// A move_pri under way: its primary stepped down for this node.
		return assignment{target: to, ballot: p.Ballot, typ: admin.ConfigType_CT_UPGRADE_TO_PRIMARY}, true
	}
	switch {
	case len(p.Secondaries) > 0:
		alive := slices.DeleteFunc(slices.Clone(p.Secondaries), func(n netip.AddrPort) bool { return !s.Alive(n) })
		best := int64(-1)
		for _, n := range alive {
			best = max(best, s.committedOn(p.Pid, n))
		}
		alive = slices.DeleteFunc(alive, func(n netip.AddrPort) bool { return s.committedOn(p.Pid, n) < best })
		n, ok := leastLoaded(alive, loads)
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

// RecordCommitted notes the last committed decree node n reported for its
// replica of pid through config sync. It is an in-memory fact: cure uses it
// to promote the secondary that holds the most committed data.
func (s *State) RecordCommitted(n netip.AddrPort, pid base.Gpid, decree int64) {
	m := s.committed[pid]
	if m == nil {
		m = map[netip.AddrPort]int64{}
		s.committed[pid] = m
	}
	m[n] = decree
}

// committedOn is the last committed decree n reported for pid, or -1.
func (s *State) committedOn(pid base.Gpid, n netip.AddrPort) int64 {
	if d, ok := s.committed[pid][n]; ok {
		return d
	}
	return -1
}

// AddingTarget returns the learner cure is currently adding to pid.
func (s *State) AddingTarget(pid base.Gpid) (netip.AddrPort, bool) {
	a, ok := s.adding[pid]
	return a.target, ok
}
