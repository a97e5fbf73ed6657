package meta

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

func TestUpdateConfiguration(t *testing.T) {
	pid := gpid(1, 0)
	none := netip.AddrPort{}
	at := func(ballot int64, primary netip.AddrPort, secs []netip.AddrPort, drops []netip.AddrPort) Partition {
		return Partition{Pid: pid, Ballot: ballot, MaxReplicaCount: 3, Primary: primary, Secondaries: secs, LastDrops: drops}
	}
	n := []netip.AddrPort{rs(0), rs(1), rs(2), rs(3), rs(4)}
	cases := []struct {
		name    string
		stored  Partition
		typ     admin.ConfigType
		node    netip.AddrPort
		request Partition
		want    base.Errno
		result  Partition // the reply's configuration
	}{
		{"assign a new partition", at(0, none, nil, nil), admin.ConfigType_CT_ASSIGN_PRIMARY, n[0],
			at(1, n[0], nil, nil), base.ERR_OK, at(1, n[0], nil, nil)},
		{"retry of an accepted assign", at(1, n[0], nil, nil), admin.ConfigType_CT_ASSIGN_PRIMARY, n[0],
			at(1, n[0], nil, nil), base.ERR_OK, at(1, n[0], nil, nil)},
		{"stale ballot", at(3, none, nil, []netip.AddrPort{n[0]}), admin.ConfigType_CT_ASSIGN_PRIMARY, n[0],
			at(3, n[0], nil, nil), base.ERR_INVALID_VERSION, at(3, none, nil, []netip.AddrPort{n[0]})},
		{"ballot too far ahead", at(3, none, nil, []netip.AddrPort{n[0]}), admin.ConfigType_CT_ASSIGN_PRIMARY, n[0],
			at(5, n[0], nil, nil), base.ERR_INVALID_VERSION, at(3, none, nil, []netip.AddrPort{n[0]})},
		{"assign to the last holder", at(3, none, nil, []netip.AddrPort{n[1], n[0]}), admin.ConfigType_CT_ASSIGN_PRIMARY, n[0],
			at(4, n[0], nil, nil), base.ERR_OK, at(4, n[0], nil, []netip.AddrPort{n[1]})},
		{"assign to an older holder", at(3, none, nil, []netip.AddrPort{n[1], n[0]}), admin.ConfigType_CT_ASSIGN_PRIMARY, n[1],
			at(4, n[1], nil, nil), base.ERR_INVALID_PARAMETERS, at(3, none, nil, []netip.AddrPort{n[1], n[0]})},
		{"assign to a stranger", at(3, none, nil, []netip.AddrPort{n[0]}), admin.ConfigType_CT_ASSIGN_PRIMARY, n[2],
			at(4, n[2], nil, nil), base.ERR_INVALID_PARAMETERS, at(3, none, nil, []netip.AddrPort{n[0]})},
		{"assign over a primary", at(1, n[0], nil, nil), admin.ConfigType_CT_ASSIGN_PRIMARY, n[1],
			at(2, n[1], nil, nil), base.ERR_INVALID_PARAMETERS, at(1, n[0], nil, nil)},
		{"assign naming someone else primary", at(0, none, nil, nil), admin.ConfigType_CT_ASSIGN_PRIMARY, n[0],
			at(1, n[1], nil, nil), base.ERR_INVALID_PARAMETERS, at(0, none, nil, nil)},
		{"assign without a node", at(0, none, nil, nil), admin.ConfigType_CT_ASSIGN_PRIMARY, none,
			at(1, none, nil, nil), base.ERR_INVALID_PARAMETERS, at(0, none, nil, nil)},
		{"force update ballot", at(4, n[0], nil, []netip.AddrPort{n[1]}), admin.ConfigType_CT_PRIMARY_FORCE_UPDATE_BALLOT, n[0],
			at(5, n[0], nil, nil), base.ERR_OK, at(5, n[0], nil, []netip.AddrPort{n[1]})},
		{"force update by a non-primary", at(4, n[0], nil, nil), admin.ConfigType_CT_PRIMARY_FORCE_UPDATE_BALLOT, n[1],
			at(5, n[0], nil, nil), base.ERR_INVALID_PARAMETERS, at(4, n[0], nil, nil)},
		{"primary removes itself", at(4, n[0], nil, nil), admin.ConfigType_CT_DOWNGRADE_TO_INACTIVE, n[0],
			at(5, none, nil, nil), base.ERR_OK, at(5, none, nil, []netip.AddrPort{n[0]})},
		{"remove a non-member", at(4, n[0], nil, nil), admin.ConfigType_CT_DOWNGRADE_TO_INACTIVE, n[1],
			at(5, n[0], nil, nil), base.ERR_INVALID_PARAMETERS, at(4, n[0], nil, nil)},
		{"remove a secondary", at(4, n[0], []netip.AddrPort{n[1], n[2]}, nil), admin.ConfigType_CT_REMOVE, n[1],
			at(5, n[0], []netip.AddrPort{n[2]}, nil), base.ERR_OK, at(5, n[0], []netip.AddrPort{n[2]}, []netip.AddrPort{n[1]})},
		{"add a secondary", at(4, n[0], nil, []netip.AddrPort{n[1], n[2]}), admin.ConfigType_CT_UPGRADE_TO_SECONDARY, n[1],
			at(5, n[0], []netip.AddrPort{n[1]}, nil), base.ERR_OK, at(5, n[0], []netip.AddrPort{n[1]}, []netip.AddrPort{n[2]})},
		{"upgrade a secondary", at(4, none, []netip.AddrPort{n[1], n[2]}, []netip.AddrPort{n[0]}), admin.ConfigType_CT_UPGRADE_TO_PRIMARY, n[2],
			at(5, n[2], []netip.AddrPort{n[1]}, nil), base.ERR_OK, at(5, n[2], []netip.AddrPort{n[1]}, []netip.AddrPort{n[0]})},
		{"primary steps down", at(4, n[0], []netip.AddrPort{n[1]}, nil), admin.ConfigType_CT_DOWNGRADE_TO_SECONDARY, n[0],
			at(5, none, []netip.AddrPort{n[1], n[0]}, nil), base.ERR_OK, at(5, none, []netip.AddrPort{n[0], n[1]}, nil)},
		{"last drops keep the newest three", at(4, n[0], nil, []netip.AddrPort{n[1], n[2], n[3]}), admin.ConfigType_CT_DOWNGRADE_TO_INACTIVE, n[0],
			at(5, none, nil, nil), base.ERR_OK, at(5, none, nil, []netip.AddrPort{n[2], n[3], n[0]})},
		{"a proposal-only type", at(4, n[0], nil, nil), admin.ConfigType_CT_ADD_SECONDARY, n[1],
			at(5, n[0], []netip.AddrPort{n[1]}, nil), base.ERR_INVALID_PARAMETERS, at(4, n[0], nil, nil)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newCluster(5)
			create(t, s, "t", 1)
			setPartition(t, s, c.stored)
			ch, got, err := s.UpdateConfiguration(ConfigUpdate{Config: c.request, Type: c.typ, Node: c.node})
			if errnoOf(err) != c.want {
				t.Fatalf("err %v, want %v", err, c.want)
			}
			if !samePartition(got, c.result) {
				t.Fatalf("reply config %+v, want %+v", got, c.result)
			}
			if (c.want == base.ERR_OK && got.Ballot > c.stored.Ballot) != !ch.Empty() {
				t.Fatalf("change %+v for err %v", ch, err)
			}
			mustApply(t, s, ch, nil)
			if stored, _ := s.Partition(pid); !samePartition(stored, c.result) {
				t.Fatalf("stored %+v, want %+v", stored, c.result)
			}
		})
	}
}

func samePartition(a, b Partition) bool {
	return a.Pid == b.Pid && a.Ballot == b.Ballot && sameMembers(a, b) && slices.Equal(a.LastDrops, b.LastDrops)
}

func TestUpdateConfigurationRefusals(t *testing.T) {
	s := newCluster(1)
	id := create(t, s, "t", 1)
	req := Partition{Pid: gpid(id, 0), Ballot: 1, Primary: rs(0)}
	u := ConfigUpdate{Config: req, Type: admin.ConfigType_CT_ASSIGN_PRIMARY, Node: rs(0)}

	if _, _, err := s.UpdateConfiguration(ConfigUpdate{Config: Partition{Pid: gpid(9, 0)}}); errnoOf(err) != base.ERR_OBJECT_NOT_FOUND {
		t.Fatalf("unknown table: %v", err)
	}
	if _, _, err := s.UpdateConfiguration(ConfigUpdate{Config: Partition{Pid: gpid(id, 1)}}); errnoOf(err) != base.ERR_OBJECT_NOT_FOUND {
		t.Fatalf("partition out of range: %v", err)
	}
	s.SetLevel(admin.MetaFunctionLevel_fl_freezed)
	if _, _, err := s.UpdateConfiguration(u); errnoOf(err) != base.ERR_STATE_FREEZED {
		t.Fatalf("frozen: %v", err)
	}
	s.SetLevel(admin.MetaFunctionLevel_fl_steady)
	c, _, err := s.UpdateConfiguration(u)
	mustApply(t, s, c, err)
	// Retries of accepted requests stay idempotent even when frozen.
	s.SetLevel(admin.MetaFunctionLevel_fl_freezed)
	if c, _, err := s.UpdateConfiguration(u); err != nil || !c.Empty() {
		t.Fatalf("frozen retry: %v", err)
	}
	s.SetLevel(admin.MetaFunctionLevel_fl_steady)
	c, err = s.DropApp("t", false, 0, t0)
	mustApply(t, s, c, err)
	u.Config.Ballot = 3
	if _, got, err := s.UpdateConfiguration(u); errnoOf(err) != base.ERR_APP_DROPPED || got.Ballot != 2 {
		t.Fatalf("dropped table: %v, config %+v", err, got)
	}
}
