package meta

import (
	"net/netip"
	"slices"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// ConfigUpdate is a configuration_update_request: a proposal the meta
// sends to a replica server, a change a replica server asks the meta to
// make, and one entry of a config sync answer.
type ConfigUpdate struct {
	App    App
	Config Partition
	Type   admin.ConfigType
	// Node is the member the change is about.
	Node netip.AddrPort
	// SplitStatus is the partition's split status when it is a parent of
	// a split under way (config sync only; NOT_SPLIT otherwise).
	SplitStatus admin.SplitStatus
}

// UpdateConfiguration validates a replica server's request to change a
// partition's configuration (RPC_CM_UPDATE_PARTITION_CONFIGURATION). It
// returns the change to persist and the configuration to reply with: the
// new one on success, the stored one otherwise. The rules
// (docs/cluster-protocol.md, "Reconfiguration"):
//
//   - a request equal to the stored configuration succeeds with no change
//     (a retry of an accepted request);
//   - one whose ballot is not stored+1 gets ERR_INVALID_VERSION;
//   - the proposed members must be exactly what Type does to the stored
//     members for Node, else ERR_INVALID_PARAMETERS;
//   - last_drops, max_replica_count and partition_flags are the meta's:
//     the request's values are ignored.
func (s *State) UpdateConfiguration(u ConfigUpdate) (Change, Partition, error) {
	t, cur, ok := s.partition(u.Config.Pid)
	if !ok {
		return Change{}, Partition{}, refuse(base.ERR_OBJECT_NOT_FOUND, "no partition %v", &u.Config.Pid)
	}
	cur = cur.Clone()
	if !t.app.Available() {
		return Change{}, cur, refuse(base.ERR_APP_DROPPED, "table %s (%d) is dropped", t.app.Name, t.app.ID)
	}
	if cur.Ballot == childBallot {
		return Change{}, cur, refuse(base.ERR_CHILD_NOT_READY, "partition %v is a split child that has not registered", &cur.Pid)
	}
	if u.Config.Ballot == cur.Ballot && sameMembers(u.Config, cur) {
		return Change{}, cur, nil
	}
	if s.EffectiveLevel() <= admin.MetaFunctionLevel_fl_freezed {
		return Change{}, cur, refuse(base.ERR_STATE_FREEZED, "meta function level is %v", s.EffectiveLevel())
	}
	if u.Config.Ballot != cur.Ballot+1 {
		return Change{}, cur, refuse(base.ERR_INVALID_VERSION, "partition %v is at ballot %d, request has %d",
			&cur.Pid, cur.Ballot, u.Config.Ballot)
	}
	want, err := s.transition(cur, u.Type, u.Node)
	if err != nil {
		return Change{}, cur, err
	}
	if !sameMembers(u.Config, want) {
		return Change{}, cur, refuse(base.ERR_INVALID_PARAMETERS, "%v on %v for %v does not give the proposed members",
			u.Type, &cur.Pid, u.Node)
	}
	want.LastCommittedDecree = max(cur.LastCommittedDecree, u.Config.LastCommittedDecree)
	return Change{Partitions: []Partition{want}}, want.Clone(), nil
}

// transition returns the configuration that config type typ about node
// makes of cur (at cur's ballot + 1), or why typ is not allowed now.
func (s *State) transition(cur Partition, typ admin.ConfigType, n netip.AddrPort) (Partition, error) {
	bad := func(why string) (Partition, error) {
		return Partition{}, refuse(base.ERR_INVALID_PARAMETERS, "%v for %v on %v: %s", typ, n, &cur.Pid, why)
	}
	if !n.IsValid() {
		return bad("no node")
	}
	switch typ {
	case admin.ConfigType_CT_ASSIGN_PRIMARY:
		if cur.HasPrimary() || len(cur.Secondaries) > 0 {
			return bad("the partition has members")
		}
		if last, ok := cur.LastHolder(); ok && last != n {
			return bad("only the last holder " + last.String() + " may become primary")
		}
		return cur.withMembers(n, nil), nil
	case admin.ConfigType_CT_UPGRADE_TO_PRIMARY:
		if cur.HasPrimary() || !slices.Contains(cur.Secondaries, n) {
			return bad("not a secondary of a partition without primary")
		}
		return cur.withMembers(n, without(cur.Secondaries, n)), nil
	case admin.ConfigType_CT_PRIMARY_FORCE_UPDATE_BALLOT:
		if cur.Primary != n {
			return bad("not the primary")
		}
		return cur.withMembers(cur.Primary, cur.Secondaries), nil
	case admin.ConfigType_CT_DOWNGRADE_TO_INACTIVE, admin.ConfigType_CT_REMOVE:
		switch {
		case cur.Primary == n:
			return cur.withMembers(netip.AddrPort{}, cur.Secondaries), nil
		case slices.Contains(cur.Secondaries, n):
			return cur.withMembers(cur.Primary, without(cur.Secondaries, n)), nil
		}
		return bad("not a member")
	case admin.ConfigType_CT_DOWNGRADE_TO_SECONDARY:
		if cur.Primary != n {
			return bad("not the primary")
		}
		return cur.withMembers(netip.AddrPort{}, append(slices.Clone(cur.Secondaries), n)), nil
	case admin.ConfigType_CT_UPGRADE_TO_SECONDARY:
		if !cur.HasPrimary() || cur.IsMember(n) {
			return bad("needs a primary and a node that is not a member")
		}
		return cur.withMembers(cur.Primary, append(slices.Clone(cur.Secondaries), n)), nil
	}
	return bad("not a change a replica server may request")
}
