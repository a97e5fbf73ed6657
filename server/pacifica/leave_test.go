package pacifica

import (
	"net/netip"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// droppedSecondary returns a secondary of a two-member group that was
// then dropped (a config sync did not list it: INACTIVE, not transient),
// and the group's configuration at that time.
func droppedSecondary(t *testing.T) (*Replica, Config) {
	t.Helper()
	p, s := node(1), node(2)
	g := newGroup(t, Options{}, p, s)
	r := g.reps[s]
	cfg := g.reps[p].config.Clone()
	if !r.NotListed(r.Ballot()) || r.Status() != StatusInactive {
		t.Fatalf("the secondary is %v after an unlisting sync, want INACTIVE", r.Status())
	}
	return r, cfg
}

// requests takes r's Ready and returns the configuration changes it asks.
func requests(r *Replica) []ConfigRequest {
	if !r.HasReady() {
		return nil
	}
	rd := r.Ready()
	r.Advance(rd)
	return rd.ConfigRequests
}

// A dropped replica that the meta still lists as the secondary of a
// partition with no primary asks to be removed, from a config sync or from
// the meta's proposal to promote it: it cannot be promoted before it
// learns, no primary would remove it, and the meta would otherwise propose
// its promotion forever (the partition stays without a primary; simulation
// seed 508801). With the removal stored and no member left, the meta's
// assignment to the last holder makes it primary again, with its data.
// Under a live primary it waits for that primary to drop it.
func TestDroppedSecondaryLeavesAPartitionWithoutPrimary(t *testing.T) {
	for _, via := range []string{"config sync", "proposal"} {
		r, cfg := droppedSecondary(t)
		s := r.self
		underPrimary := cfg.Clone()
		underPrimary.Ballot++
		r.ConfigFromMeta(underPrimary)
		if q := requests(r); len(q) != 0 {
			t.Fatalf("%s: with a primary the dropped secondary asked %+v", via, q)
		}

		orphaned := underPrimary.Clone()
		orphaned.Ballot++
		orphaned.Primary = netip.AddrPort{}
		if via == "config sync" {
			r.ConfigFromMeta(orphaned)
		} else {
			r.Proposal(Proposal{Type: typeUpgradeToPrimary, Node: s, Config: orphaned})
		}
		q := requests(r)
		if len(q) != 1 || q[0].Type != typeDowngradeToInactive || q[0].Node != s ||
			q[0].Config.Ballot != orphaned.Ballot+1 || q[0].Config.IsMember(s) {
			t.Fatalf("%s: the dropped secondary of a partition without primary asked %+v, want its own removal at ballot %d",
				via, q, orphaned.Ballot+1)
		}
		removed := q[0].Config
		r.ConfigReply(q[0], base.ERR_OK, removed)
		if r.Status() != StatusInactive || r.Ballot() != removed.Ballot {
			t.Fatalf("%s: after its removal the replica is %v at %d", via, r.Status(), r.Ballot())
		}

		r.Proposal(Proposal{Type: typeAssignPrimary, Node: s, Config: removed})
		q = requests(r)
		if len(q) != 1 || q[0].Type != typeAssignPrimary {
			t.Fatalf("%s: the last holder asked %+v on the meta's assignment", via, q)
		}
		r.ConfigReply(q[0], base.ERR_OK, q[0].Config)
		if r.Status() != StatusPrimary {
			t.Errorf("%s: the last holder is %v after its assignment, want primary", via, r.Status())
		}
	}
}
