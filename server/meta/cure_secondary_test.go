package meta

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

func addrs(ns ...int) []netip.AddrPort {
	var out []netip.AddrPort
	for _, n := range ns {
		out = append(out, rs(n))
	}
	return out
}

// TestCureAddsSecondary follows one missing secondary from the proposal to
// the learner joining: one add in flight, resent only after ProposalRetry,
// the least loaded non-member chosen, and the upgrade accepted only with
// exactly that change.
func TestCureAddsSecondary(t *testing.T) {
	cfg := testConfig()
	cfg.ProposalRetry = 10 * time.Second
	s := NewState(cfg)
	for i := range 4 {
		s.Beacon(t0, rs(i))
	}
	id := create(t, s, "t", 2)
	p0, p1 := gpid(id, 0), gpid(id, 1)
	setPartition(t, s, Partition{Pid: p0, Ballot: 3, MaxReplicaCount: 3, Primary: rs(0), Secondaries: addrs(1)})
	setPartition(t, s, Partition{Pid: p1, Ballot: 3, MaxReplicaCount: 3, Primary: rs(2), Secondaries: addrs(1, 0)})
	props := s.Cure(t0)
	if len(props) != 1 || props[0].Target != rs(0) || props[0].Update.Type != admin.ConfigType_CT_ADD_SECONDARY ||
		props[0].Update.Node != rs(3) || props[0].Update.Config.Pid != p0 {
		t.Fatalf("proposals %+v", props)
	}
	if props := s.Cure(t0.Add(9 * time.Second)); len(props) != 0 {
		t.Fatalf("within the retry period: %+v", props)
	}
	if props := s.Cure(t0.Add(10 * time.Second)); len(props) != 1 || props[0].Update.Node != rs(3) {
		t.Fatalf("resend: %+v", props)
	}
	// The primary asks for the learner to join; only exactly that change is
	// accepted.
	cur, _ := s.Partition(p0)
	req := cur.Clone()
	req.Ballot++
	req.Secondaries = addrs(3)
	if _, _, err := s.UpdateConfiguration(ConfigUpdate{Config: req, Type: admin.ConfigType_CT_UPGRADE_TO_SECONDARY, Node: rs(3)}); errnoOf(err) != "ERR_INVALID_PARAMETERS" {
		t.Fatalf("upgrade that drops a secondary: %v", err)
	}
	req.Secondaries = addrs(1, 3)
	if _, _, err := s.UpdateConfiguration(ConfigUpdate{Config: req, Type: admin.ConfigType_CT_UPGRADE_TO_SECONDARY, Node: rs(2)}); errnoOf(err) != "ERR_INVALID_PARAMETERS" {
		t.Fatalf("upgrade naming another node: %v", err)
	}
	c, got, err := s.UpdateConfiguration(ConfigUpdate{Config: req, Type: admin.ConfigType_CT_UPGRADE_TO_SECONDARY, Node: rs(3)})
	mustApply(t, s, c, err)
	if got.Ballot != 4 || !slices.Equal(got.Secondaries, addrs(1, 3)) {
		t.Fatalf("after upgrade: %+v", got)
	}
	if props := s.Cure(t0.Add(30 * time.Second)); len(props) != 0 {
		t.Fatalf("full group: %+v", props)
	}
	if _, ok := s.AddingTarget(p0); ok {
		t.Fatal("add still pending after the learner joined")
	}
	// The primary removes a secondary: it goes to last_drops, and cure
	// prefers it as the next learner over a less loaded node.
	req = got.Clone()
	req.Ballot++
	req.Secondaries = addrs(3)
	c, got, err = s.UpdateConfiguration(ConfigUpdate{Config: req, Type: admin.ConfigType_CT_DOWNGRADE_TO_INACTIVE, Node: rs(1)})
	mustApply(t, s, c, err)
	if got.Ballot != 5 || !slices.Equal(got.LastDrops, addrs(1)) {
		t.Fatalf("after downgrade: %+v", got)
	}
	if props := s.Cure(t0.Add(30 * time.Second)); len(props) != 1 || props[0].Update.Node != rs(1) || props[0].Target != rs(0) {
		t.Fatalf("re-add the dropped member: %+v", props)
	}
}

// TestCureNoAddWithoutRoom: no candidate, a dead primary or a full group
// get no CT_ADD_SECONDARY, and a learner that dies is replaced.
func TestCureNoAddWithoutRoom(t *testing.T) {
	s := newCluster(3)
	id := create(t, s, "t", 1)
	pid := gpid(id, 0)
	setPartition(t, s, Partition{Pid: pid, Ballot: 1, MaxReplicaCount: 3, Primary: rs(0), Secondaries: addrs(1)})
	props := s.Cure(t0)
	if len(props) != 1 || props[0].Update.Node != rs(2) {
		t.Fatalf("proposals %+v", props)
	}
	// The learner dies: no other node can take its place.
	s.Beacon(t0.Add(20*time.Second), rs(0))
	s.Beacon(t0.Add(20*time.Second), rs(1))
	s.CheckLiveness(t0.Add(23 * time.Second))
	if props := s.Cure(t0.Add(23 * time.Second)); len(props) != 0 {
		t.Fatalf("no candidate: %+v", props)
	}
	if _, ok := s.AddingTarget(pid); ok {
		t.Fatal("add to a dead learner still pending")
	}
	// It comes back: it is proposed again.
	s.Beacon(t0.Add(24*time.Second), rs(2))
	if props := s.Cure(t0.Add(24 * time.Second)); len(props) != 1 || props[0].Update.Node != rs(2) {
		t.Fatalf("after the learner came back: %+v", props)
	}
}

// TestCureUpgradesMostCommitted: without a primary, the alive secondary
// that reported the highest committed decree is promoted, whatever its
// load.
func TestCureUpgradesMostCommitted(t *testing.T) {
	s := newCluster(3)
	id := create(t, s, "t", 2)
	pid := gpid(id, 0)
	setPartition(t, s, Partition{Pid: pid, Ballot: 7, MaxReplicaCount: 3, Secondaries: addrs(1, 2), LastDrops: addrs(0)})
	setPartition(t, s, Partition{Pid: gpid(id, 1), Ballot: 2, MaxReplicaCount: 3, Primary: rs(2), Secondaries: addrs(0, 1)})
	s.RecordCommitted(rs(1), pid, 10)
	s.RecordCommitted(rs(2), pid, 12)
	var up []Proposal
	for _, p := range s.Cure(t0) {
		if p.Update.Type == admin.ConfigType_CT_UPGRADE_TO_PRIMARY {
			up = append(up, p)
		}
	}
	if len(up) != 1 || up[0].Target != rs(2) || up[0].Update.Node != rs(2) {
		t.Fatalf("proposals %+v", up)
	}
}
