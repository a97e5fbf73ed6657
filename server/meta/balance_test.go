package meta

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// layout builds n partitions of 3 replicas on nodes 0..2 (primaries spread),
// the onebox after start-up.
func layout(appID int32, n int) []Partition {
	var parts []Partition
	for i := range n {
		a, b, c := i%3, (i+1)%3, (i+2)%3
		parts = append(parts, Partition{Pid: base.Gpid{Appid: appID, PartitionIndex: int32(i)}, Ballot: 3, MaxReplicaCount: 3,
			Primary: rs(a), Secondaries: addrs(b, c)})
	}
	return parts
}

// apply plays moves on a layout the way the replica servers and cure carry
// them out, for checking the plan's outcome.
func applyMoves(parts []Partition, moves []Move) []Partition {
	out := slices.Clone(parts)
	for _, m := range moves {
		p := &out[m.Pid.PartitionIndex]
		switch m.Kind {
		case MovePrimary:
			p.Secondaries = append(without(p.Secondaries, m.To), m.From)
			p.Primary = m.To
		case CopySecondary:
			p.Secondaries = append(without(p.Secondaries, m.From), m.To)
		case CopyPrimary:
			p.Primary = m.To
		}
	}
	return out
}

func counts(parts []Partition, nodes []netip.AddrPort) (prim, reps map[netip.AddrPort]int) {
	prim, reps = map[netip.AddrPort]int{}, map[netip.AddrPort]int{}
	for _, n := range nodes {
		prim[n], reps[n] = 0, 0
	}
	for _, p := range parts {
		prim[p.Primary]++
		for _, m := range p.Members() {
			reps[m]++
		}
	}
	return prim, reps
}

func spread(c map[netip.AddrPort]int) int {
	lo, hi := 1<<30, -1
	for _, v := range c {
		lo, hi = min(lo, v), max(hi, v)
	}
	return hi - lo
}

// TestPlanBalanceScaleOut: a fourth node joins a 3-node layout; the plan
// brings primaries and replicas per node within one of each other, one
// move per partition, each move valid for the layout it starts from.
func TestPlanBalanceScaleOut(t *testing.T) {
	for _, n := range []int{4, 8, 16, 33} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			parts := layout(1, n)
			nodes := addrs(0, 1, 2, 3)
			moves := planMoves(parts, nodes)
			seen := map[base.Gpid]bool{}
			for _, m := range moves {
				p := parts[m.Pid.PartitionIndex]
				if seen[m.Pid] {
					t.Fatalf("two moves for %v: %v", m.Pid, moves)
				}
				seen[m.Pid] = true
				switch m.Kind {
				case MovePrimary:
					if p.Primary != m.From || !slices.Contains(p.Secondaries, m.To) {
						t.Fatalf("invalid move_pri %v on %+v", m, p)
					}
				case CopySecondary:
					if !slices.Contains(p.Secondaries, m.From) || p.IsMember(m.To) {
						t.Fatalf("invalid copy_sec %v on %+v", m, p)
					}
				case CopyPrimary:
					if p.Primary != m.From || p.IsMember(m.To) {
						t.Fatalf("invalid copy_pri %v on %+v", m, p)
					}
				}
			}
			prim, reps := counts(applyMoves(parts, moves), nodes)
			if spread(reps) > 1 || spread(prim) > 1 {
				t.Fatalf("after the plan: replicas per node %v, primaries %v (moves %v)", reps, prim, moves)
			}
			if again := planMoves(applyMoves(parts, moves), nodes); len(again) != 0 {
				t.Fatalf("a balanced layout plans more: %v", again)
			}
		})
	}
}

// TestPlanBalanceBalancedDoesNothing: an even layout plans nothing, and a
// layout skewed in primaries only plans primary moves.
func TestPlanBalanceBalancedDoesNothing(t *testing.T) {
	nodes := addrs(0, 1, 2)
	if moves := planMoves(layout(1, 9), nodes); len(moves) != 0 {
		t.Fatalf("balanced layout: %v", moves)
	}
	parts := layout(1, 6)
	for i := range parts {
		parts[i].Primary, parts[i].Secondaries = rs(0), addrs(1, 2)
	}
	moves := planMoves(parts, nodes)
	prim, reps := counts(applyMoves(parts, moves), nodes)
	if spread(prim) > 1 || spread(reps) != 0 {
		t.Fatalf("after %v: primaries %v replicas %v", moves, prim, reps)
	}
	for _, m := range moves {
		if m.Kind != MovePrimary {
			t.Fatalf("replica counts were even, yet %v", m)
		}
	}
}

// TestBalancerRunsCopySecondary drives a copy_sec through the state: the
// extra learner first (the group never shrinks), then the removal, then
// nothing; and a move_pri: step-down, cure promotes the chosen node.
func TestBalancerRunsMoves(t *testing.T) {
	cfg := testConfig()
	cfg.ProposalRetry = 10 * time.Second
	s := NewState(cfg)
	for i := range 4 {
		s.Beacon(t0, rs(i))
	}
	id := create(t, s, "t", 2)
	p0, p1 := gpid(id, 0), gpid(id, 1)
	setPartition(t, s, Partition{Pid: p0, Ballot: 3, MaxReplicaCount: 3, Primary: rs(0), Secondaries: addrs(1, 2)})
	setPartition(t, s, Partition{Pid: p1, Ballot: 3, MaxReplicaCount: 3, Primary: rs(0), Secondaries: addrs(1, 2)})

	if err := s.StartMove(Move{Kind: CopySecondary, Pid: p0, From: rs(0), To: rs(3)}); errnoOf(err) != "ERR_INVALID_PARAMETERS" {
		t.Fatalf("copy_sec from the primary: %v", err)
	}
	if err := s.StartMove(Move{Kind: CopySecondary, Pid: p0, From: rs(1), To: rs(2)}); errnoOf(err) != "ERR_INVALID_PARAMETERS" {
		t.Fatalf("copy_sec to a member: %v", err)
	}
	if err := s.StartMove(Move{Kind: CopySecondary, Pid: gpid(id, 7), From: rs(1), To: rs(3)}); errnoOf(err) != "ERR_OBJECT_NOT_FOUND" {
		t.Fatalf("unknown partition: %v", err)
	}
	if err := s.StartMove(Move{Kind: CopySecondary, Pid: p0, From: rs(1), To: rs(3)}); err != nil {
		t.Fatal(err)
	}
	if err := s.StartMove(Move{Kind: MovePrimary, Pid: p0, From: rs(0), To: rs(2)}); errnoOf(err) != "ERR_BUSY" {
		t.Fatalf("second move on a partition: %v", err)
	}
	props := s.Cure(t0)
	if len(props) != 1 || props[0].Target != rs(0) || props[0].Update.Type != admin.ConfigType_CT_ADD_SECONDARY_FOR_LB || props[0].Update.Node != rs(3) {
		t.Fatalf("first step: %+v", props)
	}
	// The learner joins: 4 members, then the old secondary goes.
	cur, _ := s.Partition(p0)
	req := cur.Clone()
	req.Ballot++
	req.Secondaries = addrs(1, 2, 3)
	c, _, err := s.UpdateConfiguration(ConfigUpdate{Config: req, Type: admin.ConfigType_CT_UPGRADE_TO_SECONDARY, Node: rs(3)})
	mustApply(t, s, c, err)
	props = s.Cure(t0.Add(time.Second))
	if len(props) != 1 || props[0].Update.Type != admin.ConfigType_CT_REMOVE || props[0].Update.Node != rs(1) || props[0].Target != rs(0) {
		t.Fatalf("second step, sent at once: %+v", props)
	}
	if props := s.Cure(t0.Add(2 * time.Second)); len(props) != 0 {
		t.Fatalf("the same step again within the retry period: %+v", props)
	}
	cur, _ = s.Partition(p0)
	req = cur.Clone()
	req.Ballot++
	req.Secondaries = addrs(2, 3)
	c, _, err = s.UpdateConfiguration(ConfigUpdate{Config: req, Type: admin.ConfigType_CT_REMOVE, Node: rs(1)})
	mustApply(t, s, c, err)
	if props := s.Cure(t0.Add(3 * time.Second)); len(props) != 0 || len(s.Moves()) != 0 {
		t.Fatalf("after the removal: proposals %+v, moves %v", props, s.Moves())
	}

	// move_pri: the primary steps down, cure promotes the move's target
	// rather than its own choice.
	s.RecordCommitted(rs(1), p1, 50) // cure alone would promote node 1
	if err := s.StartMove(Move{Kind: MovePrimary, Pid: p1, From: rs(0), To: rs(2)}); err != nil {
		t.Fatal(err)
	}
	props = s.Cure(t0.Add(4 * time.Second))
	if len(props) != 1 || props[0].Target != rs(0) || props[0].Update.Type != admin.ConfigType_CT_DOWNGRADE_TO_SECONDARY || props[0].Update.Node != rs(0) {
		t.Fatalf("move_pri first step: %+v", props)
	}
	cur, _ = s.Partition(p1)
	req = cur.Clone()
	req.Ballot++
	req.Primary, req.Secondaries = netip.AddrPort{}, addrs(1, 2, 0)
	c, _, err = s.UpdateConfiguration(ConfigUpdate{Config: req, Type: admin.ConfigType_CT_DOWNGRADE_TO_SECONDARY, Node: rs(0)})
	mustApply(t, s, c, err)
	props = s.Cure(t0.Add(5 * time.Second))
	if len(props) != 1 || props[0].Target != rs(2) || props[0].Update.Type != admin.ConfigType_CT_UPGRADE_TO_PRIMARY {
		t.Fatalf("move_pri promotion: %+v", props)
	}
	// A move whose node dies is dropped; cure repairs what is left.
	s.nodes[rs(2)].alive = false
	s.Cure(t0.Add(6 * time.Second))
	if len(s.Moves()) != 0 {
		t.Fatalf("move kept after its target died: %v", s.Moves())
	}
}

// TestBalancerLivelyPlansAndStops: at fl_lively the balancer starts moves
// on its own (here: to fill a new, empty node); at fl_steady it starts
// none.
func TestBalancerLivelyPlansAndStops(t *testing.T) {
	s := NewState(testConfig())
	for i := range 3 {
		s.Beacon(t0, rs(i))
	}
	id := create(t, s, "t", 8)
	for _, p := range layout(id, 8) {
		setPartition(t, s, p)
	}
	s.Beacon(t0, rs(3))
	if props := s.Cure(t0); len(props) != 0 || len(s.Moves()) != 0 {
		t.Fatalf("steady level balanced: %+v", props)
	}
	if _, err := s.SetLevel(admin.MetaFunctionLevel_fl_lively); err != nil {
		t.Fatal(err)
	}
	props := s.Cure(t0.Add(time.Second))
	if len(props) == 0 || len(props) > maxMovesUnderWay || len(s.Moves()) != len(props) {
		t.Fatalf("lively: proposals %+v, moves %v", props, s.Moves())
	}
	for _, pr := range props {
		if pr.Update.Type != admin.ConfigType_CT_ADD_SECONDARY_FOR_LB || pr.Update.Node != rs(3) {
			t.Fatalf("a new node is filled by copy_sec: %+v", pr)
		}
	}
}

// TestBalancerRunsCopyPrimary drives a copy_pri: the new node learns as an
// extra secondary, the primary steps down, cure promotes the new node,
// which then removes the old primary.
func TestBalancerRunsCopyPrimary(t *testing.T) {
	s := NewState(testConfig())
	for i := range 4 {
		s.Beacon(t0, rs(i))
	}
	id := create(t, s, "t", 1)
	pid := gpid(id, 0)
	setPartition(t, s, Partition{Pid: pid, Ballot: 3, MaxReplicaCount: 3, Primary: rs(0), Secondaries: addrs(1, 2)})
	if err := s.StartMove(Move{Kind: CopyPrimary, Pid: pid, From: rs(0), To: rs(1)}); errnoOf(err) != "ERR_INVALID_PARAMETERS" {
		t.Fatalf("copy_pri to a member: %v", err)
	}
	if err := s.StartMove(Move{Kind: CopyPrimary, Pid: pid, From: rs(0), To: rs(3)}); err != nil {
		t.Fatal(err)
	}
	step := func(at time.Duration, target netip.AddrPort, typ admin.ConfigType, node netip.AddrPort) {
		t.Helper()
		props := s.Cure(t0.Add(at))
		if len(props) != 1 || props[0].Target != target || props[0].Update.Type != typ || props[0].Update.Node != node {
			t.Fatalf("at %v want %v about %v to %v: %+v", at, typ, node, target, props)
		}
	}
	change := func(typ admin.ConfigType, node netip.AddrPort, primary netip.AddrPort, secs ...int) {
		t.Helper()
		cur, _ := s.Partition(pid)
		req := cur.Clone()
		req.Ballot++
		req.Primary, req.Secondaries = primary, addrs(secs...)
		c, _, err := s.UpdateConfiguration(ConfigUpdate{Config: req, Type: typ, Node: node})
		mustApply(t, s, c, err)
	}
	step(0, rs(0), admin.ConfigType_CT_ADD_SECONDARY_FOR_LB, rs(3))
	change(admin.ConfigType_CT_UPGRADE_TO_SECONDARY, rs(3), rs(0), 1, 2, 3)
	step(time.Second, rs(0), admin.ConfigType_CT_DOWNGRADE_TO_SECONDARY, rs(0))
	change(admin.ConfigType_CT_DOWNGRADE_TO_SECONDARY, rs(0), netip.AddrPort{}, 1, 2, 3, 0)
	step(2*time.Second, rs(3), admin.ConfigType_CT_UPGRADE_TO_PRIMARY, rs(3))
	change(admin.ConfigType_CT_UPGRADE_TO_PRIMARY, rs(3), rs(3), 1, 2, 0)
	step(3*time.Second, rs(3), admin.ConfigType_CT_REMOVE, rs(0))
	change(admin.ConfigType_CT_REMOVE, rs(0), rs(3), 1, 2)
	if props := s.Cure(t0.Add(4 * time.Second)); len(props) != 0 || len(s.Moves()) != 0 {
		t.Fatalf("after copy_pri: %+v, moves %v", props, s.Moves())
	}
}
