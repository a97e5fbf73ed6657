package peerwire

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// Between pacifica.Config and the meta server's partition_configuration.
// The meta fills both the rpc_address and the host_port form of every
// member (server/meta/convert.go); a member is read from its rpc_address,
// or from its host_port when that is an IPv4 literal and the rpc_address
// is absent. Host names are not resolved: replica servers are IPv4
// endpoints.

// ConfigFromPartition reads the members of a partition configuration from
// the meta server. last_drops, last_committed_decree and partition_flags
// are the meta's bookkeeping and are not part of pacifica.Config.
func ConfigFromPartition(c *layer2.PartitionConfiguration) (pacifica.Config, error) {
	if c == nil || c.Pid == nil {
		return pacifica.Config{}, errors.New("partition configuration without pid")
	}
	out := pacifica.Config{Pid: *c.Pid, Ballot: c.Ballot, MaxReplicaCount: c.MaxReplicaCount}
	if err := checkGpid(out.Pid); err != nil {
		return pacifica.Config{}, fmt.Errorf("partition configuration: %w", err)
	}
	var err error
	if out.Primary, err = member(c.Primary, c.HpPrimary); err != nil {
		return pacifica.Config{}, fmt.Errorf("partition %v primary: %w", &out.Pid, err)
	}
	n := max(len(c.Secondaries), len(c.HpSecondaries))
	for i := range n {
		var ra *base.RPCAddress
		var hp *base.HostPort
		if i < len(c.Secondaries) {
			ra = c.Secondaries[i]
		}
		if i < len(c.HpSecondaries) {
			hp = c.HpSecondaries[i]
		}
		s, err := member(ra, hp)
		if err == nil && !s.IsValid() {
			err = errors.New("no address")
		}
		if err != nil {
			return pacifica.Config{}, fmt.Errorf("partition %v secondary %d: %w", &out.Pid, i, err)
		}
		out.Secondaries = append(out.Secondaries, s)
	}
	return out, nil
}

// member reads one member; the zero AddrPort when both forms are empty.
func member(ra *base.RPCAddress, hp *base.HostPort) (netip.AddrPort, error) {
	if !ra.IsZero() {
		return addrPort(ra)
	}
	if hp.Equals(nil) {
		return netip.AddrPort{}, nil
	}
	if ap, ok := hostPortAddr(hp); ok {
		return ap, nil
	}
	return netip.AddrPort{}, fmt.Errorf("host_port %v is not an IPv4 endpoint", hp)
}

// ConfigToPartition builds the partition_configuration of c as the meta
// server would send it: every member in both rpc_address and host_port
// form, an absent primary as the zero value of each, and empty (not
// absent) last drops. Put it in a configuration_update_request; the caller
// sets LastCommittedDecree when it has one. Members that are not IPv4
// endpoints become the zero value (which the meta refuses for a
// secondary).
func ConfigToPartition(c pacifica.Config) *layer2.PartitionConfiguration {
	pid := c.Pid
	pc := &layer2.PartitionConfiguration{
		Pid:             &pid,
		Ballot:          c.Ballot,
		MaxReplicaCount: c.MaxReplicaCount,
		Primary:         FromAddrPort(c.Primary),
		Secondaries:     make([]*base.RPCAddress, len(c.Secondaries)),
		LastDrops:       []*base.RPCAddress{},
		HpPrimary:       hostPort(c.Primary),
		HpSecondaries:   make([]*base.HostPort, len(c.Secondaries)),
		HpLastDrops:     []*base.HostPort{},
	}
	for i, s := range c.Secondaries {
		pc.Secondaries[i], pc.HpSecondaries[i] = FromAddrPort(s), hostPort(s)
	}
	return pc
}
