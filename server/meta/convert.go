package meta

import (
	"fmt"
	"maps"
	"net/netip"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
)

// Conversions between the state machine's values and the wire structs.
// Every struct pointer a generated writer dereferences is set, and every
// app_info carries the optional fields 12, 14 and 15 explicitly, as the
// C++ server writes them.

func rpcAddress(a netip.AddrPort) *base.RPCAddress {
	if !a.IsValid() {
		return &base.RPCAddress{}
	}
	ra, err := base.NewRPCAddress(a.Addr(), a.Port())
	if err != nil { // not IPv4: send "no address" rather than garbage
		return &base.RPCAddress{}
	}
	return ra
}

func hostPort(a netip.AddrPort) *base.HostPort {
	if !a.IsValid() {
		return &base.HostPort{}
	}
	return base.NewHostPort(a.Addr().String(), a.Port())
}

func rpcAddresses(as []netip.AddrPort) []*base.RPCAddress {
	out := make([]*base.RPCAddress, len(as))
	for i, a := range as {
		out[i] = rpcAddress(a)
	}
	return out
}

func hostPorts(as []netip.AddrPort) []*base.HostPort {
	out := make([]*base.HostPort, len(as))
	for i, a := range as {
		out[i] = hostPort(a)
	}
	return out
}

// nodeAddr reads a replica server's endpoint from an rpc_address, or from
// the host_port when that is an IPv4 literal. ok is false if neither is.
func nodeAddr(ra *base.RPCAddress, hp *base.HostPort) (netip.AddrPort, bool) {
	if !ra.IsInvalid() {
		return netip.AddrPortFrom(ra.Addr(), ra.Port()), true
	}
	if !hp.IsInvalid() {
		if ip, err := netip.ParseAddr(hp.Host); err == nil && ip.Unmap().Is4() {
			return netip.AddrPortFrom(ip.Unmap(), hp.Port), true
		}
	}
	return netip.AddrPort{}, false
}

func toPartitionConfiguration(p Partition) *layer2.PartitionConfiguration {
	pid := p.Pid
	return &layer2.PartitionConfiguration{
		Pid:                 &pid,
		Ballot:              p.Ballot,
		MaxReplicaCount:     p.MaxReplicaCount,
		Primary:             rpcAddress(p.Primary),
		Secondaries:         rpcAddresses(p.Secondaries),
		LastDrops:           rpcAddresses(p.LastDrops),
		LastCommittedDecree: p.LastCommittedDecree,
		PartitionFlags:      p.Flags,
		HpPrimary:           hostPort(p.Primary),
		HpSecondaries:       hostPorts(p.Secondaries),
		HpLastDrops:         hostPorts(p.LastDrops),
	}
}

// fromPartitionConfiguration reads a configuration a replica server sent.
// Members come from rpc_address fields, or the hp_* ones when those are
// absent.
func fromPartitionConfiguration(pc *layer2.PartitionConfiguration) (Partition, error) {
	if pc == nil || pc.Pid == nil {
		return Partition{}, fmt.Errorf("partition configuration without pid")
	}
	p := Partition{
		Pid: *pc.Pid, Ballot: pc.Ballot, MaxReplicaCount: pc.MaxReplicaCount,
		LastCommittedDecree: pc.LastCommittedDecree, Flags: pc.PartitionFlags,
	}
	if a, ok := nodeAddr(pc.Primary, pc.HpPrimary); ok {
		p.Primary = a
	}
	var err error
	if p.Secondaries, err = members(pc.Secondaries, pc.HpSecondaries); err != nil {
		return Partition{}, fmt.Errorf("partition %v secondaries: %w", pc.Pid, err)
	}
	if p.LastDrops, err = members(pc.LastDrops, pc.HpLastDrops); err != nil {
		return Partition{}, fmt.Errorf("partition %v last drops: %w", pc.Pid, err)
	}
	return p, nil
}

func members(ras []*base.RPCAddress, hps []*base.HostPort) ([]netip.AddrPort, error) {
	n := max(len(ras), len(hps))
	var out []netip.AddrPort
	for i := range n {
		var ra *base.RPCAddress
		var hp *base.HostPort
		if i < len(ras) {
			ra = ras[i]
		}
		if i < len(hps) {
			hp = hps[i]
		}
		a, ok := nodeAddr(ra, hp)
		if !ok {
			return nil, fmt.Errorf("member %d has no IPv4 address", i)
		}
		out = append(out, a)
	}
	return out, nil
}

func toAppInfo(a App) *layer2.AppInfo {
	no := false
	ai := a.AtomicIdempotent
	dup := a.Duplicating
	envs := maps.Clone(a.Envs)
	if envs == nil {
		envs = map[string]string{}
	}
	return &layer2.AppInfo{
		Status:             a.Status,
		AppType:            a.Type,
		AppName:            a.Name,
		AppID:              a.ID,
		PartitionCount:     a.PartitionCount,
		Envs:               envs,
		IsStateful:         a.IsStateful,
		MaxReplicaCount:    a.MaxReplicaCount,
		ExpireSecond:       a.ExpireSecond,
		CreateSecond:       a.CreateSecond,
		DropSecond:         a.DropSecond,
		Duplicating:        &dup,
		InitPartitionCount: a.InitPartitionCount,
		IsBulkLoading:      &no,
		AtomicIdempotent:   &ai,
	}
}

func toUpdateRequest(u ConfigUpdate) *replication.ConfigurationUpdateRequest {
	r := &replication.ConfigurationUpdateRequest{
		Info:   toAppInfo(u.App),
		Config: toPartitionConfiguration(u.Config),
		Type:   u.Type,
		Node:   rpcAddress(u.Node),
		HpNode: hostPort(u.Node),
	}
	if u.SplitStatus != admin.SplitStatus_NOT_SPLIT {
		st := u.SplitStatus
		r.MetaSplitStatus = &st
	}
	return r
}

// parseIPv4 parses an "a.b.c.d:port" endpoint.
func parseIPv4(s string) (netip.AddrPort, bool) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil || !ap.Addr().Unmap().Is4() {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}
