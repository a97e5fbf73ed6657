package meta

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// The balancer (design notes §3.13): at function level fl_lively the meta
// evens out, per table, first the primaries (move_pri where one of the
// partition's secondaries can take over, else copy_pri) and then the
// replicas each alive node serves (copy_sec), one move per partition at a
// time and never below the table's replica count:
//
//   - move_pri: the primary steps down to secondary
//     (CT_DOWNGRADE_TO_SECONDARY, sent to it) and cure promotes the chosen
//     secondary (CT_UPGRADE_TO_PRIMARY) — a short write pause, no copy;
//   - copy_sec: the primary adds the new node as an extra learner
//     (CT_ADD_SECONDARY_FOR_LB); once it has learned and joined, the
//     primary removes the old secondary (CT_REMOVE);
//   - copy_pri (only on a DBA's request): the new node learns as an extra
//     secondary, the primary steps down for it as in move_pri, and the new
//     primary removes the old one.
//
// A move stays under way until the configuration shows it done; it is
// dropped (and cure repairs whatever is left) when a node it involves dies,
// the partition loses its primary to something else, or the table goes.

// MoveKind is a balancer move's kind (propose_balancer's balance types).
type MoveKind int

// The moves.
const (
	MovePrimary   MoveKind = iota + 1 // move_pri
	CopySecondary                     // copy_sec
	CopyPrimary                       // copy_pri
)

func (k MoveKind) String() string {
	switch k {
	case MovePrimary:
		return "move_pri"
	case CopySecondary:
		return "copy_sec"
	case CopyPrimary:
		return "copy_pri"
	}
	return fmt.Sprintf("MoveKind(%d)", int(k))
}

// Move is one balancing step of one partition: From gives up the role
// (primary, or membership) that To takes.
type Move struct {
	Kind     MoveKind
	Pid      base.Gpid
	From, To netip.AddrPort
}

func (m Move) String() string {
	return fmt.Sprintf("%v %d.%d %v→%v", m.Kind, m.Pid.Appid, m.Pid.PartitionIndex, m.From, m.To)
}

// maxMovesUnderWay bounds the moves the automatic balancer runs at once.
const maxMovesUnderWay = 4

type moveState struct {
	Move
	step   admin.ConfigType // the proposal of the current step
	sentAt time.Time        // when it was last sent
}

// PlanBalance returns the moves that would even out table appID's
// primaries, then its replicas, between alive nodes to within one of each
// other. It plans only for a healthy table (every partition with a
// primary, its full replica count, all members alive) and never two moves
// for one partition. It changes nothing.
func (s *State) PlanBalance(appID int32) []Move {
	t := s.tables[appID]
	alive := s.aliveNodes()
	if t == nil || !t.app.Available() || t.app.Splitting() || len(alive) < 2 {
		return nil
	}
	for _, p := range t.parts {
		if p.Dropped() || !p.HasPrimary() || int32(len(p.Members())) != p.MaxReplicaCount ||
			slices.ContainsFunc(p.Members(), func(n netip.AddrPort) bool { return !s.Alive(n) }) {
			return nil
		}
	}
	return planMoves(t.parts, alive)
}

// planMoves is the planning itself, on a table's partitions (all healthy)
// and the alive nodes.
func planMoves(parts []Partition, nodes []netip.AddrPort) []Move {
	used := map[base.Gpid]bool{}
	var moves []Move
	prim := map[netip.AddrPort]int{}
	reps := map[netip.AddrPort]int{}
	for _, n := range nodes {
		prim[n], reps[n] = 0, 0
	}
	for _, p := range parts {
		prim[p.Primary]++
		for _, m := range p.Members() {
			reps[m]++
		}
	}
	// Primaries: from the node with the most to one of its partitions'
	// secondaries with the fewest, while they differ by more than one.
	for {
		hi := extreme(nodes, prim, 1)
		var best Move
		found := false
		for _, p := range parts {
			if used[p.Pid] || p.Primary != hi {
				continue
			}
			for _, sec := range p.Secondaries {
				if prim[hi]-prim[sec] > 1 && (!found || prim[sec] < prim[best.To] || (prim[sec] == prim[best.To] && sec.Compare(best.To) < 0)) {
					best, found = Move{Kind: MovePrimary, Pid: p.Pid, From: hi, To: sec}, true
				}
			}
		}
		if !found {
			// No secondary can take over: copy a primary to the node with
			// the fewest, which learns the partition first.
			lo := extreme(nodes, prim, -1)
			for _, p := range parts {
				if !used[p.Pid] && p.Primary == hi && prim[hi]-prim[lo] > 1 && !p.IsMember(lo) {
					best, found = Move{Kind: CopyPrimary, Pid: p.Pid, From: hi, To: lo}, true
					reps[hi]--
					reps[lo]++
					break
				}
			}
		}
		if !found {
			break
		}
		moves = append(moves, best)
		used[best.Pid] = true
		prim[best.From]--
		prim[best.To]++
	}
	// Replicas: a secondary of the node with the most moves to the node
	// with the fewest that does not hold the partition.
	for {
		hi, lo := extreme(nodes, reps, 1), extreme(nodes, reps, -1)
		if reps[hi]-reps[lo] <= 1 {
			break
		}
		found := false
		for _, p := range parts {
			if used[p.Pid] || p.Primary == hi || !slices.Contains(p.Secondaries, hi) || p.IsMember(lo) {
				continue
			}
			moves = append(moves, Move{Kind: CopySecondary, Pid: p.Pid, From: hi, To: lo})
			used[p.Pid] = true
			reps[hi]--
			reps[lo]++
			found = true
			break
		}
		if !found {
			break
		}
	}
	return moves
}

// extreme returns the node with the highest (sign 1) or lowest (sign −1)
// count, ties to the lowest address.
func extreme(nodes []netip.AddrPort, count map[netip.AddrPort]int, sign int) netip.AddrPort {
	return slices.MinFunc(nodes, func(a, b netip.AddrPort) int {
		return cmp.Or(sign*cmp.Compare(count[b], count[a]), a.Compare(b))
	})
}

// Moves lists the moves under way, ordered by partition.
func (s *State) Moves() []Move {
	out := make([]Move, 0, len(s.moves))
	for _, m := range s.moves {
		out = append(out, m.Move)
	}
	slices.SortFunc(out, func(a, b Move) int {
		return cmp.Or(cmp.Compare(a.Pid.Appid, b.Pid.Appid), cmp.Compare(a.Pid.PartitionIndex, b.Pid.PartitionIndex))
	})
	return out
}

// StartMove validates a move (a DBA's, or the planner's) and puts it under
// way; the next cure sends its first proposal.
func (s *State) StartMove(m Move) error {
	bad := func(format string, args ...any) error {
		return refuse(base.ERR_INVALID_PARAMETERS, "%v: "+format, append([]any{m}, args...)...)
	}
	if s.EffectiveLevel() < admin.MetaFunctionLevel_fl_steady {
		return refuse(base.ERR_STATE_FREEZED, "%v: the meta function level forbids moves", m)
	}
	t, p, ok := s.partition(m.Pid)
	switch {
	case !ok || !t.app.Available() || p.Dropped():
		return refuse(base.ERR_OBJECT_NOT_FOUND, "%v: no such partition", m)
	case t.app.Splitting():
		return refuse(base.ERR_BUSY, "%v: table %q is splitting; move its partitions after the split", m, t.app.Name)
	case s.moves[m.Pid] != nil:
		return refuse(base.ERR_BUSY, "%v: the partition already has a move under way", m)
	case !s.Alive(m.From) || !s.Alive(m.To):
		return bad("both nodes must be alive")
	case !p.HasPrimary() || int32(len(p.Members())) < p.MaxReplicaCount:
		return bad("the partition is not healthy (it lacks a primary or members); cure repairs it first")
	}
	switch m.Kind {
	case MovePrimary:
		if p.Primary != m.From || !slices.Contains(p.Secondaries, m.To) {
			return bad("from must be the primary and to one of its secondaries")
		}
	case CopySecondary:
		if !slices.Contains(p.Secondaries, m.From) || p.IsMember(m.To) {
			return bad("from must be a secondary and to must not hold the partition")
		}
	case CopyPrimary:
		if p.Primary != m.From || p.IsMember(m.To) {
			return bad("from must be the primary and to must not hold the partition")
		}
	default:
		return bad("unknown move")
	}
	s.moves[m.Pid] = &moveState{Move: m}
	return nil
}

// balance advances the moves under way and, at fl_lively with none left,
// plans the next ones. Called by Cure.
func (s *State) balance(now time.Time) []Proposal {
	var out []Proposal
	for pid, m := range s.moves {
		pr, keep := s.advanceMove(now, m)
		if !keep {
			delete(s.moves, pid)
			continue
		}
		if pr != nil {
			out = append(out, *pr)
		}
	}
	if s.EffectiveLevel() < admin.MetaFunctionLevel_fl_lively || len(s.moves) > 0 {
		return out
	}
	for _, id := range s.tableIDs() {
		plan := s.PlanBalance(id)
		for _, m := range plan[:min(len(plan), maxMovesUnderWay)] {
			if s.StartMove(m) == nil {
				if pr, keep := s.advanceMove(now, s.moves[m.Pid]); keep && pr != nil {
					out = append(out, *pr)
				}
			}
		}
		if len(s.moves) > 0 {
			break
		}
	}
	return out
}

// advanceMove returns the proposal a move needs now (nil: none due) and
// whether it is still under way.
func (s *State) advanceMove(now time.Time, m *moveState) (*Proposal, bool) {
	t, p, ok := s.partition(m.Pid)
	if !ok || !t.app.Available() || p.Dropped() || !s.Alive(m.From) || !s.Alive(m.To) {
		return nil, false
	}
	send := func(target netip.AddrPort, typ admin.ConfigType, node netip.AddrPort) (*Proposal, bool) {
		// A new step goes out at once; the same one again after
		// ProposalRetry (proposals are one-way and may be lost).
		if typ == m.step && now.Sub(m.sentAt) < s.cfg.ProposalRetry {
			return nil, true
		}
		m.step, m.sentAt = typ, now
		return &Proposal{Target: target, Update: ConfigUpdate{App: t.app.Clone(), Config: p.Clone(), Type: typ, Node: node}}, true
	}
	switch m.Kind {
	case MovePrimary:
		switch {
		case p.Primary == m.To:
			return nil, false // done
		case p.Primary == m.From:
			return send(m.From, admin.ConfigType_CT_DOWNGRADE_TO_SECONDARY, m.From)
		case !p.HasPrimary() && slices.Contains(p.Secondaries, m.To):
			return nil, true // cure promotes To (choosePrimary)
		}
		return nil, false // someone else took over
	case CopyPrimary:
		from, to := p.IsMember(m.From), p.IsMember(m.To)
		switch {
		case p.Primary == m.From && !to:
			return send(m.From, admin.ConfigType_CT_ADD_SECONDARY_FOR_LB, m.To)
		case p.Primary == m.From && slices.Contains(p.Secondaries, m.To):
			return send(m.From, admin.ConfigType_CT_DOWNGRADE_TO_SECONDARY, m.From)
		case !p.HasPrimary() && slices.Contains(p.Secondaries, m.To):
			return nil, true // cure promotes To (choosePrimary)
		case p.Primary == m.To && from:
			return send(m.To, admin.ConfigType_CT_REMOVE, m.From)
		case p.Primary == m.To && !from:
			return nil, false // done
		}
		return nil, false
	case CopySecondary:
		if !p.HasPrimary() || !s.Alive(p.Primary) || p.Primary == m.From {
			return nil, false
		}
		switch from, to := p.IsMember(m.From), p.IsMember(m.To); {
		case to && !from:
			return nil, false // done
		case !to && from:
			return send(p.Primary, admin.ConfigType_CT_ADD_SECONDARY_FOR_LB, m.To)
		case to && from:
			return send(p.Primary, admin.ConfigType_CT_REMOVE, m.From)
		}
	}
	return nil, false
}

// moveTarget is the node a move under way wants as p's new primary.
func (s *State) moveTarget(p Partition) (netip.AddrPort, bool) {
	m := s.moves[p.Pid]
	if m == nil || (m.Kind != MovePrimary && m.Kind != CopyPrimary) || !slices.Contains(p.Secondaries, m.To) || !s.Alive(m.To) {
		return netip.AddrPort{}, false
	}
	return m.To, true
}
