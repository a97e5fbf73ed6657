package base

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/apache/thrift/lib/go/thrift"
)

// HostType is the address kind carried in the low bits of an rpc_address and
// in the last byte of a host_port.
type HostType uint8

// Host types. Only HostTypeIPv4 is valid in a live address; HostTypeGroup is
// an rDSN-internal kind that must never be sent.
const (
	HostTypeInvalid HostType = 0
	HostTypeIPv4    HostType = 1
	HostTypeGroup   HostType = 2
)

// RPCAddress is dsn.rpc_address, an IPv4 endpoint packed into one i64:
// ip<<32 | port<<16 | type, with type 1 for IPv4 (127.0.0.1:34801 is
// 0x7f00000187f10001). The zero value is the invalid "no address" value.
//
// The wire value is kept as received, so decoding and re-encoding an address
// reproduces the original bytes even if its padding bits are not zero.
type RPCAddress struct {
	raw uint64
}

// RPCAddressFromRaw wraps a wire value.
func RPCAddressFromRaw(v uint64) *RPCAddress { return &RPCAddress{raw: v} }

// NewRPCAddress builds the address of an IPv4 endpoint.
func NewRPCAddress(ip netip.Addr, port uint16) (*RPCAddress, error) {
	ip = ip.Unmap()
	if !ip.Is4() {
		return nil, fmt.Errorf("rpc_address %v: only IPv4 addresses can be encoded", ip)
	}
	b := ip.As4()
	v := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32
	v |= uint64(port)<<16 | uint64(HostTypeIPv4)
	return &RPCAddress{raw: v}, nil
}

// ParseRPCAddress parses "a.b.c.d:port". Host names are not resolved here;
// use HostPort for names.
func ParseRPCAddress(s string) (*RPCAddress, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return nil, fmt.Errorf("parse rpc_address %q: %w", s, err)
	}
	return NewRPCAddress(ap.Addr(), ap.Port())
}

// RPCAddressFromTCPAddr converts an IPv4 TCP address.
func RPCAddressFromTCPAddr(a *net.TCPAddr) (*RPCAddress, error) {
	if a == nil {
		return nil, errors.New("rpc_address from nil TCP address")
	}
	ip, ok := netip.AddrFromSlice(a.IP)
	if !ok || a.Port < 0 || a.Port > 0xffff {
		return nil, fmt.Errorf("rpc_address from %v: not an IPv4 endpoint", a)
	}
	return NewRPCAddress(ip, uint16(a.Port))
}

// Raw returns the wire value; 0 for a nil address.
func (a *RPCAddress) Raw() uint64 {
	if a == nil {
		return 0
	}
	return a.raw
}

// Type returns the address kind from the low two bits.
func (a *RPCAddress) Type() HostType { return HostType(a.Raw() & 3) }

// IsZero reports whether this is the all-zero "no address" value.
func (a *RPCAddress) IsZero() bool { return a.Raw() == 0 }

// IsInvalid reports whether the address is not a usable IPv4 endpoint.
func (a *RPCAddress) IsInvalid() bool { return a.Type() != HostTypeIPv4 }

// Addr returns the IPv4 address.
func (a *RPCAddress) Addr() netip.Addr {
	v := a.Raw()
	return netip.AddrFrom4([4]byte{byte(v >> 56), byte(v >> 48), byte(v >> 40), byte(v >> 32)})
}

// Port returns the TCP port.
func (a *RPCAddress) Port() uint16 { return uint16(a.Raw() >> 16) }

// TCPAddr returns the endpoint as a net.TCPAddr.
func (a *RPCAddress) TCPAddr() *net.TCPAddr {
	return net.TCPAddrFromAddrPort(netip.AddrPortFrom(a.Addr(), a.Port()))
}

// Read decodes the i64 payload.
func (a *RPCAddress) Read(ctx context.Context, iprot thrift.TProtocol) error {
	v, err := iprot.ReadI64(ctx)
	if err != nil {
		return fmt.Errorf("read rpc_address: %w", err)
	}
	a.raw = uint64(v)
	return nil
}

// Write encodes the i64 payload; a nil address is written as 0.
func (a *RPCAddress) Write(ctx context.Context, oprot thrift.TProtocol) error {
	if err := oprot.WriteI64(ctx, int64(a.Raw())); err != nil {
		return fmt.Errorf("write rpc_address: %w", err)
	}
	return nil
}

// Equals compares wire values; nil equals the zero address.
func (a *RPCAddress) Equals(other *RPCAddress) bool { return a.Raw() == other.Raw() }

// String formats an IPv4 address as "a.b.c.d:port" and anything else as
// "invalid address".
func (a *RPCAddress) String() string {
	if a.IsInvalid() {
		return "invalid address"
	}
	return net.JoinHostPort(a.Addr().String(), strconv.Itoa(int(a.Port())))
}
