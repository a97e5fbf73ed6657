package pacifica

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// Status is a replica's local role in its partition (partition_status).
type Status = admin.PartitionStatus

// The statuses a replica moves between (design notes §3.2).
const (
	StatusInactive           = admin.PartitionStatus_PS_INACTIVE
	StatusError              = admin.PartitionStatus_PS_ERROR
	StatusPrimary            = admin.PartitionStatus_PS_PRIMARY
	StatusSecondary          = admin.PartitionStatus_PS_SECONDARY
	StatusPotentialSecondary = admin.PartitionStatus_PS_POTENTIAL_SECONDARY
)

// Config is a partition's configuration as the meta server stores it
// (the members part of partition_configuration). Replica servers are
// named by their endpoint; the zero netip.AddrPort means none.
type Config struct {
	Pid    base.Gpid
	Ballot int64
	// MaxReplicaCount is the number of members the meta aims for; the
	// primary invites no more learners than fill it.
	MaxReplicaCount int32
	Primary         netip.AddrPort
	Secondaries     []netip.AddrPort
}

// Clone returns a deep copy.
func (c Config) Clone() Config {
	c.Secondaries = slices.Clone(c.Secondaries)
	return c
}

func (c Config) String() string {
	return fmt.Sprintf("%d.%d@%d{primary %v, secondaries %v}", c.Pid.Appid, c.Pid.PartitionIndex, c.Ballot, c.Primary, c.Secondaries)
}

// IsMember reports whether n is the primary or a secondary.
func (c Config) IsMember(n netip.AddrPort) bool {
	return n.IsValid() && (c.Primary == n || slices.Contains(c.Secondaries, n))
}

// sameMembers compares primaries and secondaries (as sets).
func sameMembers(a, b Config) bool {
	if a.Primary != b.Primary || len(a.Secondaries) != len(b.Secondaries) {
		return false
	}
	for _, s := range a.Secondaries {
		if !slices.Contains(b.Secondaries, s) {
			return false
		}
	}
	return true
}

// statusOf is the status the configuration gives node n.
func (c Config) statusOf(n netip.AddrPort) Status {
	switch {
	case c.Primary == n && n.IsValid():
		return StatusPrimary
	case slices.Contains(c.Secondaries, n):
		return StatusSecondary
	}
	return StatusInactive
}

// next returns the configuration that change typ about node n makes of c
// at ballot+1, as the meta server computes it (design notes §3.9.1), or
// false if typ does not apply to c.
func (c Config) next(typ admin.ConfigType, n, self netip.AddrPort) (Config, bool) {
	out := c.Clone()
	out.Ballot++
	without := func(xs []netip.AddrPort, x netip.AddrPort) []netip.AddrPort {
		return slices.DeleteFunc(slices.Clone(xs), func(y netip.AddrPort) bool { return y == x })
	}
	switch typ {
	case admin.ConfigType_CT_ASSIGN_PRIMARY:
		out.Primary, out.Secondaries = n, nil
	case admin.ConfigType_CT_UPGRADE_TO_PRIMARY:
		if c.Primary.IsValid() || !slices.Contains(c.Secondaries, n) {
			return Config{}, false
		}
		out.Primary, out.Secondaries = n, without(c.Secondaries, n)
	case admin.ConfigType_CT_PRIMARY_FORCE_UPDATE_BALLOT:
		if c.Primary != n {
			return Config{}, false
		}
	case admin.ConfigType_CT_DOWNGRADE_TO_INACTIVE, admin.ConfigType_CT_REMOVE:
		switch {
		case c.Primary == n && n.IsValid():
			out.Primary = netip.AddrPort{}
		case slices.Contains(c.Secondaries, n):
			out.Secondaries = without(c.Secondaries, n)
		default:
			return Config{}, false
		}
	case admin.ConfigType_CT_DOWNGRADE_TO_SECONDARY:
		if c.Primary != n {
			return Config{}, false
		}
		out.Primary, out.Secondaries = netip.AddrPort{}, append(out.Secondaries, n)
	case admin.ConfigType_CT_UPGRADE_TO_SECONDARY:
		if c.Primary != self || c.IsMember(n) {
			return Config{}, false
		}
		out.Secondaries = append(out.Secondaries, n)
	default:
		return Config{}, false
	}
	return out, true
}

// localState is what the transition rules look at.
type localState struct {
	status Status
	ballot int64
	// transient marks an INACTIVE replica expected back at the same ballot:
	// it restarted, lost its lease, or waits for a change it asked for.
	transient bool
}

// canMove applies the local transition rules of design notes §3.2
// (update_local_configuration) to a move from cur to status at ballot. It
// returns nil when the move is allowed.
//
//   - Nothing leaves ERROR, and no configuration of a lower ballot counts.
//   - A higher ballot may set any status, except that a learner never
//     becomes primary and a replica dropped from the group (non-transient
//     INACTIVE) never becomes primary or secondary directly: it must learn
//     again, or ask the meta itself.
//   - At the same ballot only INACTIVE→POTENTIAL_SECONDARY (invited as
//     learner), POTENTIAL_SECONDARY→SECONDARY, transient
//     INACTIVE→SECONDARY or PRIMARY, and no change are allowed.
func canMove(cur localState, status Status, ballot int64) error {
	bad := func(why string) error {
		return fmt.Errorf("%v@%d (transient %v) to %v@%d: %s", cur.status, cur.ballot, cur.transient, status, ballot, why)
	}
	switch {
	case cur.status == StatusError:
		return bad("a replica in error stays there")
	case ballot < cur.ballot:
		return bad("stale ballot")
	case cur.status == StatusPotentialSecondary && status == StatusPrimary:
		return bad("a learner cannot become primary")
	case cur.status == StatusInactive && !cur.transient && (status == StatusPrimary || status == StatusSecondary):
		return bad("a dropped replica must learn before it serves")
	case ballot > cur.ballot || status == cur.status:
		return nil
	}
	switch {
	case cur.status == StatusInactive && status == StatusPotentialSecondary,
		cur.status == StatusPotentialSecondary && status == StatusSecondary,
		cur.status == StatusInactive && cur.transient && (status == StatusSecondary || status == StatusPrimary):
		return nil
	}
	return bad("not allowed at the same ballot")
}
