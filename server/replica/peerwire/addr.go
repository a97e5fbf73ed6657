package peerwire

import (
	"fmt"
	"net/netip"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// Replica servers are named by IPv4 endpoints: dsn.rpc_address can carry
// nothing else. The zero netip.AddrPort ("no node", e.g. a partition
// without primary) travels as the all-zero rpc_address.

// AddrPort returns the endpoint of an IPv4 rpc_address, or the zero
// AddrPort for nil, the zero address and any invalid one.
func AddrPort(a *base.RPCAddress) netip.AddrPort {
	ap, err := addrPort(a)
	if err != nil {
		return netip.AddrPort{}
	}
	return ap
}

// FromAddrPort returns the rpc_address of an IPv4 endpoint (an IPv4-mapped
// IPv6 one is unmapped), and the zero rpc_address for the zero AddrPort
// and anything that is not IPv4.
func FromAddrPort(ap netip.AddrPort) *base.RPCAddress {
	return base.RPCAddressFromRaw(rpcRaw(ap))
}

// rpcRaw is the wire value of ap's rpc_address; 0 when ap is not IPv4.
func rpcRaw(ap netip.AddrPort) uint64 {
	ip := ap.Addr().Unmap()
	if !ap.IsValid() || !ip.Is4() {
		return 0
	}
	b := ip.As4()
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(ap.Port())<<16 | uint64(base.HostTypeIPv4)
}

// addrPort reads an rpc_address strictly: nil and the zero address are
// "none"; anything else must be a usable IPv4 endpoint with no stray bits.
func addrPort(a *base.RPCAddress) (netip.AddrPort, error) {
	raw := a.Raw()
	if raw == 0 {
		return netip.AddrPort{}, nil
	}
	if raw&0xffff != uint64(base.HostTypeIPv4) {
		return netip.AddrPort{}, fmt.Errorf("rpc_address %#x is not an IPv4 endpoint", raw)
	}
	ap := netip.AddrPortFrom(a.Addr(), a.Port())
	if !usable(ap) {
		return netip.AddrPort{}, fmt.Errorf("rpc_address %v is not a usable endpoint", ap)
	}
	return ap, nil
}

// usable reports whether ap can name a replica server: IPv4, a specified
// address and a non-zero port.
func usable(ap netip.AddrPort) bool {
	ip := ap.Addr().Unmap()
	return ap.IsValid() && ip.Is4() && !ip.IsUnspecified() && ap.Port() != 0
}

// node reads an rpc_address that must name a replica server.
func node(a *base.RPCAddress, what string) (netip.AddrPort, error) {
	ap, err := addrPort(a)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%s: %w", what, err)
	}
	if !ap.IsValid() {
		return netip.AddrPort{}, fmt.Errorf("%s: no address", what)
	}
	return ap, nil
}

// hostPort is the host_port form of an IPv4 endpoint, as the meta server
// fills it: the address literal as host. Anything else is the empty value.
func hostPort(ap netip.AddrPort) *base.HostPort {
	if rpcRaw(ap) == 0 {
		return &base.HostPort{}
	}
	return base.NewHostPort(ap.Addr().Unmap().String(), ap.Port())
}

// hostPortAddr reads a host_port whose host is an IPv4 literal; ok is false
// for the empty value and host names.
func hostPortAddr(hp *base.HostPort) (netip.AddrPort, bool) {
	if hp.IsInvalid() {
		return netip.AddrPort{}, false
	}
	ip, err := netip.ParseAddr(hp.Host)
	if err != nil {
		return netip.AddrPort{}, false
	}
	ap := netip.AddrPortFrom(ip.Unmap(), hp.Port)
	return ap, usable(ap)
}
