package base

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/apache/thrift/lib/go/thrift"
)

// HostPort is dsn.host_port, the host-name form of an endpoint. On the wire:
// thrift string host, i16 port (read as unsigned), one byte type. The empty
// value "", 0, HostTypeInvalid means "no endpoint".
type HostPort struct {
	Host string
	Port uint16
	Type HostType
}

// NewHostPort returns a valid (HostTypeIPv4) host_port.
func NewHostPort(host string, port uint16) *HostPort {
	return &HostPort{Host: host, Port: port, Type: HostTypeIPv4}
}

// ParseHostPort parses "host:port" into a valid host_port. The host is not
// resolved.
func ParseHostPort(s string) (*HostPort, error) {
	host, portStr, err := net.SplitHostPort(s)
	if err != nil {
		return nil, fmt.Errorf("parse host_port %q: %w", s, err)
	}
	if host == "" {
		return nil, fmt.Errorf("parse host_port %q: empty host", s)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("parse host_port %q: port: %w", s, err)
	}
	return NewHostPort(host, uint16(port)), nil
}

// IsInvalid reports whether this is not a usable endpoint.
func (h *HostPort) IsInvalid() bool {
	return h == nil || h.Type != HostTypeIPv4 || h.Host == ""
}

// Read decodes host, port and type. The type byte is kept as received; use
// IsInvalid to reject unusable values.
func (h *HostPort) Read(ctx context.Context, iprot thrift.TProtocol) error {
	host, err := iprot.ReadString(ctx)
	if err != nil {
		return fmt.Errorf("read host_port host: %w", err)
	}
	port, err := iprot.ReadI16(ctx)
	if err != nil {
		return fmt.Errorf("read host_port port: %w", err)
	}
	typ, err := iprot.ReadByte(ctx)
	if err != nil {
		return fmt.Errorf("read host_port type: %w", err)
	}
	*h = HostPort{Host: host, Port: uint16(port), Type: HostType(typ)}
	return nil
}

// Write encodes host, port and type; a nil host_port is written as the empty
// value.
func (h *HostPort) Write(ctx context.Context, oprot thrift.TProtocol) error {
	var v HostPort
	if h != nil {
		v = *h
	}
	if err := oprot.WriteString(ctx, v.Host); err != nil {
		return fmt.Errorf("write host_port host: %w", err)
	}
	if err := oprot.WriteI16(ctx, int16(v.Port)); err != nil {
		return fmt.Errorf("write host_port port: %w", err)
	}
	if err := oprot.WriteByte(ctx, int8(v.Type)); err != nil {
		return fmt.Errorf("write host_port type: %w", err)
	}
	return nil
}

// Equals compares all three parts; nil equals the empty value.
func (h *HostPort) Equals(other *HostPort) bool {
	var a, b HostPort
	if h != nil {
		a = *h
	}
	if other != nil {
		b = *other
	}
	return a == b
}

// String formats the endpoint as "host:port", or "invalid host_port".
func (h *HostPort) String() string {
	if h.IsInvalid() {
		return "invalid host_port"
	}
	return net.JoinHostPort(h.Host, strconv.Itoa(int(h.Port)))
}
