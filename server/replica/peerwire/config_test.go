package peerwire

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

func TestConfigRoundTrip(t *testing.T) {
	cases := []pacifica.Config{
		{Pid: base.Gpid{Appid: 1}}, // no members, no primary
		{Pid: base.Gpid{Appid: 1}, Ballot: 3, Secondaries: []netip.AddrPort{netip.MustParseAddrPort("10.0.0.2:1")}},
	}
	for seed := range uint64(300) {
		g := newGen(seed)
		cases = append(cases, g.config(g.gpid()))
	}
	for i, c := range cases {
		pc := ConfigToPartition(c)
		// Through the bytes, as it travels in a configuration_update_request.
		b, err := wire.EncodeStruct(nil, pc)
		if err != nil {
			t.Fatal(err)
		}
		back := &layer2.PartitionConfiguration{}
		if err := wire.DecodeStruct(b, back); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		got, err := ConfigFromPartition(back)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("case %d: round trip\n got %v\nwant %v", i, got, c)
		}
	}
}

// TestConfigToPartitionAsMetaSends checks field by field that the
// configuration a replica proposes has the shape of the meta server's own
// (server/meta/convert.go toPartitionConfiguration), which the meta's
// update handler reads back: both address forms of every member, the zero
// value of each for no primary, empty last drops, and no nil pointer a
// writer would dereference.
func TestConfigToPartitionAsMetaSends(t *testing.T) {
	p := netip.MustParseAddrPort("10.1.2.3:34801")
	s1, s2 := netip.MustParseAddrPort("10.1.2.4:34802"), netip.MustParseAddrPort("10.1.2.5:34803")
	c := pacifica.Config{Pid: base.Gpid{Appid: 4, PartitionIndex: 2}, Ballot: 9, MaxReplicaCount: 3, Primary: p,
		Secondaries: []netip.AddrPort{s1, s2}}
	pc := ConfigToPartition(c)
	if pc.Pid == nil || *pc.Pid != c.Pid || pc.Ballot != 9 || pc.MaxReplicaCount != 3 {
		t.Errorf("pid %v ballot %d max replicas %d", pc.Pid, pc.Ballot, pc.MaxReplicaCount)
	}
	if pc.Primary.String() != "10.1.2.3:34801" || pc.HpPrimary.String() != "10.1.2.3:34801" {
		t.Errorf("primary %v / %v", pc.Primary, pc.HpPrimary)
	}
	if len(pc.Secondaries) != 2 || len(pc.HpSecondaries) != 2 {
		t.Fatalf("secondaries %v / %v", pc.Secondaries, pc.HpSecondaries)
	}
	for i, s := range []netip.AddrPort{s1, s2} {
		if want := base.NewHostPort(s.Addr().String(), s.Port()); pc.Secondaries[i].String() != s.String() ||
			!pc.HpSecondaries[i].Equals(want) {
			t.Errorf("secondary %d: %v / %v, want %v", i, pc.Secondaries[i], pc.HpSecondaries[i], s)
		}
	}
	if pc.LastDrops == nil || len(pc.LastDrops) != 0 || pc.HpLastDrops == nil || len(pc.HpLastDrops) != 0 {
		t.Errorf("last drops %v / %v, want empty lists", pc.LastDrops, pc.HpLastDrops)
	}
	if !pc.IsSetHpPrimary() || !pc.IsSetHpSecondaries() || !pc.IsSetHpLastDrops() {
		t.Error("an optional host_port field is unset")
	}

	none := ConfigToPartition(pacifica.Config{Pid: c.Pid, Ballot: 10, Secondaries: []netip.AddrPort{s1}})
	if !none.Primary.IsZero() || none.HpPrimary == nil || !none.HpPrimary.Equals(nil) {
		t.Errorf("no primary written as %v / %#v, want the zero values", none.Primary, none.HpPrimary)
	}

	// The whole request the replica sends, through the bytes.
	req := &replication.ConfigurationUpdateRequest{
		Info: &layer2.AppInfo{AppID: 4}, Config: pc, Node: FromAddrPort(s2), HpNode: hostPort(s2),
	}
	if _, err := wire.EncodeStruct(nil, &replication.ReplicationUpdatePartitionConfigurationArgs{Req: req}); err != nil {
		t.Fatalf("encode the update request: %v", err)
	}
}

func TestConfigFromPartition(t *testing.T) {
	pid := base.NewGpid(2, 0)
	ra := func(s string) *base.RPCAddress { return FromAddrPort(netip.MustParseAddrPort(s)) }
	hp := func(s string) *base.HostPort { h, _ := base.ParseHostPort(s); return h }
	for _, tc := range []struct {
		name string
		pc   *layer2.PartitionConfiguration
		want string // the config's String, or an error fragment
	}{
		{"nil", nil, "without pid"},
		{"no pid", &layer2.PartitionConfiguration{}, "without pid"},
		{"bad pid", &layer2.PartitionConfiguration{Pid: base.NewGpid(0, 0)}, "invalid gpid"},
		{"absent members", &layer2.PartitionConfiguration{Pid: pid, Ballot: 1}, "2.0@1{primary invalid AddrPort, secondaries []}"},
		{"rpc_address only", &layer2.PartitionConfiguration{Pid: pid, Ballot: 2, Primary: ra("10.0.0.1:5"),
			Secondaries: []*base.RPCAddress{ra("10.0.0.2:5")}}, "2.0@2{primary 10.0.0.1:5, secondaries [10.0.0.2:5]}"},
		{"host_port only", &layer2.PartitionConfiguration{Pid: pid, Ballot: 3, Primary: &base.RPCAddress{}, HpPrimary: hp("10.0.0.1:5"),
			HpSecondaries: []*base.HostPort{hp("10.0.0.2:5")}}, "2.0@3{primary 10.0.0.1:5, secondaries [10.0.0.2:5]}"},
		{"rpc_address wins", &layer2.PartitionConfiguration{Pid: pid, Ballot: 4, Primary: ra("10.0.0.1:5"), HpPrimary: hp("10.0.0.9:9")},
			"2.0@4{primary 10.0.0.1:5, secondaries []}"},
		{"host name", &layer2.PartitionConfiguration{Pid: pid, HpPrimary: hp("replica-1:5")}, "primary: host_port"},
		{"bad primary", &layer2.PartitionConfiguration{Pid: pid, Primary: base.RPCAddressFromRaw(2)}, "primary: rpc_address"},
		{"empty secondary", &layer2.PartitionConfiguration{Pid: pid, Secondaries: []*base.RPCAddress{{}}}, "secondary 0: no address"},
		{"IPv6 secondary", &layer2.PartitionConfiguration{Pid: pid, HpSecondaries: []*base.HostPort{hp("[::1]:5")}}, "secondary 0: host_port"},
	} {
		got, err := ConfigFromPartition(tc.pc)
		s := got.String()
		if err != nil {
			s = err.Error()
		}
		if !strings.Contains(s, tc.want) || (err == nil) != strings.Contains(tc.want, "{") {
			t.Errorf("%s: got %q (err %v), want %q", tc.name, s, err, tc.want)
		}
	}
}

func TestAddrPort(t *testing.T) {
	ap := netip.MustParseAddrPort("127.0.0.1:34801")
	if a := FromAddrPort(ap); a.Raw() != 0x7f00000187f10001 || AddrPort(a) != ap {
		t.Errorf("FromAddrPort(%v) = %#x, back %v", ap, a.Raw(), AddrPort(a))
	}
	for _, none := range []netip.AddrPort{{}, netip.MustParseAddrPort("[::1]:1")} {
		if a := FromAddrPort(none); !a.IsZero() {
			t.Errorf("FromAddrPort(%v) = %v, want the zero address", none, a)
		}
	}
	for _, a := range []*base.RPCAddress{nil, {}, base.RPCAddressFromRaw(0x7f00000187f10002)} {
		if got := AddrPort(a); got.IsValid() {
			t.Errorf("AddrPort(%#x) = %v, want none", a.Raw(), got)
		}
	}
}
