package meta

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

func targets(ps []Proposal) map[int32]netip.AddrPort {
	out := map[int32]netip.AddrPort{}
	for _, p := range ps {
		out[p.Update.Config.Pid.PartitionIndex] = p.Target
	}
	return out
}

// TestCureSpreadsNewPartitions checks that new partitions go to the least
// loaded nodes, counting assignments made in the same pass.
func TestCureSpreadsNewPartitions(t *testing.T) {
	s := newCluster(3)
	id := create(t, s, "t", 8)
	props := s.Cure(t0)
	if len(props) != 8 {
		t.Fatalf("%d proposals, want 8", len(props))
	}
	perNode := map[netip.AddrPort]int{}
	for _, p := range props {
		if p.Update.Type != admin.ConfigType_CT_ASSIGN_PRIMARY || p.Update.Node != p.Target || p.Update.Config.Ballot != 0 ||
			p.Update.App.ID != id {
			t.Fatalf("proposal %+v", p)
		}
		perNode[p.Target]++
	}
	if perNode[rs(0)] != 3 || perNode[rs(1)] != 3 || perNode[rs(2)] != 2 {
		t.Fatalf("spread %v", perNode)
	}
	// A second pass sends the same proposals to the same targets.
	again := targets(s.Cure(t0))
	for i, p := range targets(props) {
		if again[i] != p {
			t.Fatalf("partition %d moved from %v to %v", i, p, again[i])
		}
	}
	// A node that already serves primaries gets fewer new ones.
	for i := range int32(8) {
		assign(t, s, gpid(id, i), targets(props)[i])
	}
	id2 := create(t, s, "u", 2)
	s.Beacon(t0, rs(3))
	var ofU []Proposal
	for _, p := range s.Cure(t0) {
		if p.Update.App.ID == id2 {
			ofU = append(ofU, p)
		}
	}
	for i, n := range targets(ofU) {
		if n != rs(3) {
			t.Fatalf("partition %d.%d went to %v, want the empty node %v", id2, i, n, rs(3))
		}
	}
}

func TestCureOnlyLastHolder(t *testing.T) {
	s := newCluster(3)
	id := create(t, s, "t", 1)
	pid := gpid(id, 0)
	assign(t, s, pid, rs(1))

	// rs(1) dies: it loses the primary; nobody else may take the partition.
	s.Beacon(t0.Add(20*time.Second), rs(0))
	s.Beacon(t0.Add(20*time.Second), rs(2))
	c, died := s.CheckLiveness(t0.Add(23 * time.Second))
	if len(died) != 1 || died[0] != rs(1) {
		t.Fatalf("died %v", died)
	}
	mustApply(t, s, c, nil)
	p, _ := s.Partition(pid)
	if p.HasPrimary() || p.Ballot != 2 || len(p.LastDrops) != 1 || p.LastDrops[0] != rs(1) {
		t.Fatalf("after death %+v", p)
	}
	if props := s.Cure(t0); len(props) != 0 {
		t.Fatalf("cure proposed %+v while the last holder is dead", props)
	}
	// It comes back: only it gets the partition.
	if !s.Beacon(t0.Add(30*time.Second), rs(1)) {
		t.Fatal("a returning node is not reported as came up")
	}
	props := s.Cure(t0)
	if len(props) != 1 || props[0].Target != rs(1) || props[0].Update.Config.Ballot != 2 {
		t.Fatalf("proposals %+v", props)
	}
	assign(t, s, pid, rs(1))
	if p, _ := s.Partition(pid); p.Primary != rs(1) || p.Ballot != 3 || len(p.LastDrops) != 0 {
		t.Fatalf("reassigned %+v", p)
	}
}

func TestCurePendingFollowsTarget(t *testing.T) {
	s := newCluster(2)
	id := create(t, s, "t", 1)
	first := s.Cure(t0)[0].Target
	// The target dies before answering: the proposal moves on.
	other := rs(0)
	if first == rs(0) {
		other = rs(1)
	}
	s.Beacon(t0.Add(20*time.Second), other)
	s.CheckLiveness(t0.Add(23 * time.Second))
	if props := s.Cure(t0); len(props) != 1 || props[0].Target != other {
		t.Fatalf("after the target died: %+v", props)
	}
	if target, ok := s.PendingTarget(gpid(id, 0)); !ok || target != other {
		t.Fatalf("pending %v %v", target, ok)
	}
}

func TestCureSkips(t *testing.T) {
	s := newCluster(1)
	create(t, s, "t", 2)
	c, err := s.DropApp("t", false, 0, t0)
	mustApply(t, s, c, err)
	if props := s.Cure(t0); len(props) != 0 {
		t.Fatalf("cure of a dropped table: %+v", props)
	}
	create(t, s, "u", 2)
	s.SetLevel(admin.MetaFunctionLevel_fl_freezed)
	if props := s.Cure(t0); len(props) != 0 {
		t.Fatalf("cure when frozen: %+v", props)
	}
	s.SetLevel(admin.MetaFunctionLevel_fl_lively)
	if props := s.Cure(t0); len(props) != 2 {
		t.Fatalf("cure when lively: %+v", props)
	}
	// Without live nodes nothing can be assigned (and creation is refused).
	s.CheckLiveness(t0.Add(time.Hour))
	if props := s.Cure(t0); len(props) != 0 {
		t.Fatalf("cure without live nodes: %+v", props)
	}
	if _, _, err := s.CreateApp(CreateRequest{Name: "v", PartitionCount: 1}, t0); errnoOf(err) != "ERR_STATE_FREEZED" {
		t.Fatalf("create without live nodes: %v", err)
	}
}

func TestCureSecondaries(t *testing.T) {
	s := newCluster(3)
	id := create(t, s, "t", 1)
	pid := gpid(id, 0)
	setPartition(t, s, Partition{Pid: pid, Ballot: 5, Primary: rs(0), Secondaries: []netip.AddrPort{rs(1), rs(2)}})
	// rs(2) dies: the primary is asked to remove it.
	s.Beacon(t0.Add(20*time.Second), rs(0))
	s.Beacon(t0.Add(20*time.Second), rs(1))
	s.CheckLiveness(t0.Add(23 * time.Second))
	props := s.Cure(t0)
	if len(props) != 1 || props[0].Target != rs(0) || props[0].Update.Type != admin.ConfigType_CT_DOWNGRADE_TO_INACTIVE ||
		props[0].Update.Node != rs(2) {
		t.Fatalf("proposals %+v", props)
	}
	// The primary dies: the live secondary is upgraded.
	s.Beacon(t0.Add(40*time.Second), rs(1))
	c, _ := s.CheckLiveness(t0.Add(46 * time.Second))
	mustApply(t, s, c, nil)
	props = s.Cure(t0)
	if len(props) != 1 || props[0].Target != rs(1) || props[0].Update.Type != admin.ConfigType_CT_UPGRADE_TO_PRIMARY {
		t.Fatalf("proposals %+v", props)
	}
}

func TestCheckLiveness(t *testing.T) {
	s := newCluster(2)
	id := create(t, s, "t", 2)
	assign(t, s, gpid(id, 0), rs(0))
	assign(t, s, gpid(id, 1), rs(1))
	s.Beacon(t0.Add(10*time.Second), rs(1))
	// Exactly at the grace period a node is still alive.
	if c, died := s.CheckLiveness(t0.Add(22 * time.Second)); len(died) != 0 || !c.Empty() {
		t.Fatalf("at grace: died %v change %+v", died, c)
	}
	c, died := s.CheckLiveness(t0.Add(22*time.Second + time.Millisecond))
	if len(died) != 1 || died[0] != rs(0) || len(c.Partitions) != 1 || c.Partitions[0].Pid != gpid(id, 0) {
		t.Fatalf("after grace: died %v change %+v", died, c)
	}
	// Not persisted yet: the next check asks again, without a new death.
	c, died = s.CheckLiveness(t0.Add(23 * time.Second))
	if len(died) != 0 || len(c.Partitions) != 1 {
		t.Fatalf("redo: died %v change %+v", died, c)
	}
	// Below fl_freezed the change is postponed.
	s.SetLevel(admin.MetaFunctionLevel_fl_blind)
	if c, _ := s.CheckLiveness(t0.Add(24 * time.Second)); !c.Empty() {
		t.Fatalf("blind: %+v", c)
	}
	if nodes := s.ListNodes(admin.NodeStatus_NS_UNALIVE); len(nodes) != 1 || nodes[0].Addr != rs(0) {
		t.Fatalf("unalive nodes %+v", nodes)
	}
	if nodes := s.ListNodes(admin.NodeStatus_NS_ALIVE); len(nodes) != 1 || nodes[0].Addr != rs(1) {
		t.Fatalf("alive nodes %+v", nodes)
	}
	if nodes := s.ListNodes(admin.NodeStatus_NS_INVALID); len(nodes) != 2 {
		t.Fatalf("all nodes %+v", nodes)
	}
}

func TestConfigSync(t *testing.T) {
	s := newCluster(2)
	id := create(t, s, "t", 4)
	assign(t, s, gpid(id, 0), rs(0))
	assign(t, s, gpid(id, 2), rs(0))
	assign(t, s, gpid(id, 1), rs(1))
	if _, _, err := s.ConfigSync(rs(7), nil, t0); errnoOf(err) != "ERR_OBJECT_NOT_FOUND" {
		t.Fatalf("unknown node: %v", err)
	}
	got, gc, err := s.ConfigSync(rs(0), []gpidT{gpid(id, 0), gpid(id, 3)}, t0)
	if err != nil || len(gc) != 0 || len(got) != 2 {
		t.Fatalf("sync: %+v %v %v", got, gc, err)
	}
	for i, want := range []int32{0, 2} {
		u := got[i]
		if u.Config.Pid != gpid(id, want) || u.Node != rs(0) || u.Type != admin.ConfigType_CT_INVALID || u.App.ID != id {
			t.Fatalf("entry %d: %+v", i, u)
		}
	}
}

// TestCureResendsAfterRetry: a pending proposal is not repeated on every
// run (cure runs after every change), only once ProposalRetry has passed.
func TestCureResendsAfterRetry(t *testing.T) {
	cfg := testConfig()
	cfg.ProposalRetry = 10 * time.Second
	s := NewState(cfg)
	s.Beacon(t0, rs(0))
	create(t, s, "t", 4)
	if n := len(s.Cure(t0)); n != 4 {
		t.Fatalf("first run: %d proposals", n)
	}
	if n := len(s.Cure(t0.Add(9 * time.Second))); n != 0 {
		t.Fatalf("within the retry period: %d proposals", n)
	}
	if n := len(s.Cure(t0.Add(10 * time.Second))); n != 4 {
		t.Fatalf("after the retry period: %d proposals", n)
	}
	// A new partition is proposed at once.
	create(t, s, "u", 1)
	if props := s.Cure(t0.Add(11 * time.Second)); len(props) != 1 || props[0].Update.App.Name != "u" {
		t.Fatalf("new table: %+v", props)
	}
}
