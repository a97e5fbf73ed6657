package pacifica

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// TestLocalTransitions tables the local transition rules of design notes
// §3.2 (update_local_configuration).
func TestLocalTransitions(t *testing.T) {
	const (
		in  = StatusInactive
		er  = StatusError
		pr  = StatusPrimary
		se  = StatusSecondary
		ps  = StatusPotentialSecondary
		yes = true
		no  = false
	)
	for _, tc := range []struct {
		from      Status
		transient bool
		to        Status
		ballot    int64 // the new ballot; the replica is at 5
		ok        bool
	}{
		// Nothing leaves ERROR; nothing of a lower ballot counts.
		{er, no, pr, 6, no}, {er, no, in, 6, no}, {er, no, er, 5, no},
		{se, no, se, 4, no}, {pr, no, in, 4, no}, {in, yes, pr, 4, no},
		// A higher ballot may set any status...
		{pr, no, se, 6, yes}, {pr, no, in, 6, yes}, {se, no, pr, 6, yes}, {se, no, in, 6, yes},
		{se, no, ps, 6, yes}, {pr, no, ps, 6, yes}, {in, yes, pr, 6, yes}, {in, yes, se, 6, yes},
		{in, no, ps, 6, yes}, {ps, no, se, 6, yes}, {ps, no, in, 6, yes}, {in, no, in, 6, yes},
		// ...but a learner never becomes primary, and a dropped replica
		// never serves without learning.
		{ps, no, pr, 6, no}, {in, no, pr, 6, no}, {in, no, se, 6, no},
		// The same ballot allows only these moves, and no change.
		{in, no, ps, 5, yes}, {ps, no, se, 5, yes}, {in, yes, se, 5, yes}, {in, yes, pr, 5, yes},
		{pr, no, pr, 5, yes}, {se, no, se, 5, yes}, {ps, no, ps, 5, yes}, {in, no, in, 5, yes},
		{pr, no, se, 5, no}, {se, no, pr, 5, no}, {se, no, ps, 5, no}, {pr, no, ps, 5, no},
		{in, no, se, 5, no}, {in, no, pr, 5, no}, {ps, no, pr, 5, no}, {se, no, in, 5, no}, {pr, no, in, 5, no},
	} {
		err := canMove(localState{status: tc.from, ballot: 5, transient: tc.transient}, tc.to, tc.ballot)
		if (err == nil) != tc.ok {
			t.Errorf("%v@5 (transient %v) → %v@%d: allowed %v, want %v (%v)", tc.from, tc.transient, tc.to, tc.ballot, err == nil, tc.ok, err)
		}
	}
}

func node(i byte) netip.AddrPort { return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, i}), 1) }

// TestConfigNext checks the configurations a replica proposes to the meta
// against what each change type does (design notes §3.9.1).
func TestConfigNext(t *testing.T) {
	a, b, c, d := node(1), node(2), node(3), node(4)
	cfg := Config{Ballot: 7, Primary: a, Secondaries: []netip.AddrPort{b, c}}
	none := netip.AddrPort{}
	for _, tc := range []struct {
		base    Config
		typ     admin.ConfigType
		node    netip.AddrPort
		self    netip.AddrPort
		ok      bool
		primary netip.AddrPort
		secs    []netip.AddrPort
	}{
		{Config{Ballot: 3}, typeAssignPrimary, d, d, true, d, nil},
		{Config{Ballot: 7, Secondaries: []netip.AddrPort{b, c}}, typeUpgradeToPrimary, b, b, true, b, []netip.AddrPort{c}},
		{cfg, typeUpgradeToPrimary, b, b, false, none, nil}, // there is a primary
		{cfg, typeForceUpdateBallot, a, a, true, a, []netip.AddrPort{b, c}},
		{cfg, typeForceUpdateBallot, b, b, false, none, nil},
		{cfg, typeDowngradeToInactive, c, a, true, a, []netip.AddrPort{b}},
		{cfg, typeRemove, b, a, true, a, []netip.AddrPort{c}},
		{cfg, typeDowngradeToInactive, a, a, true, none, []netip.AddrPort{b, c}},
		{cfg, typeDowngradeToInactive, d, a, false, none, nil}, // not a member
		{cfg, typeDowngradeToSecond, a, a, true, none, []netip.AddrPort{b, c, a}},
		{cfg, typeUpgradeToSecondary, d, a, true, a, []netip.AddrPort{b, c, d}},
		{cfg, typeUpgradeToSecondary, b, a, false, none, nil}, // already a member
		{cfg, typeUpgradeToSecondary, d, b, false, none, nil}, // only the primary adds
		{cfg, typeAddSecondary, d, a, false, none, nil},       // a proposal, not a change
	} {
		got, ok := tc.base.next(tc.typ, tc.node, tc.self)
		if ok != tc.ok {
			t.Errorf("%v about %v on %v: ok %v, want %v", tc.typ, tc.node, tc.base, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if got.Ballot != tc.base.Ballot+1 || got.Primary != tc.primary || !slices.Equal(got.Secondaries, tc.secs) {
			t.Errorf("%v about %v on %v gives %v, want ballot %d primary %v secondaries %v",
				tc.typ, tc.node, tc.base, got, tc.base.Ballot+1, tc.primary, tc.secs)
		}
	}
	if len(cfg.Secondaries) != 2 {
		t.Fatalf("next changed its base: %v", cfg)
	}
}
