package base

import (
	"context"
	"fmt"

	"github.com/apache/thrift/lib/go/thrift"
)

// Error makes an Errno usable as a Go error; the message is the wire name.
func (e Errno) Error() string { return string(e) }

// String returns the wire name.
func (e Errno) String() string { return string(e) }

// Known reports whether the name is in the §4.1 catalogue.
func (e Errno) Known() bool {
	_, ok := errnoCatalogue[e]
	return ok
}

// GoClientParses reports whether the Pegasus Go client can decode the name.
// A Go client that receives an unparseable transport error stops reading the
// connection.
func (e Errno) GoClientParses() bool { return errnoCatalogue[e].goClient }

// JavaClientParses reports whether the Pegasus Java client can decode the
// name, as a transport error or inside a response's err field.
func (e Errno) JavaClientParses() bool { return errnoCatalogue[e].javaClient }

// ForClient returns a name that every client can decode: e itself when the
// Go client (and hence also the Java client) parses it, ERR_DISK_INSUFFICIENT
// for ERR_DISK_IO_ERROR (the closest parseable meaning, as §4.1 advises), and
// ERR_UNKNOWN for anything else, including names outside the catalogue.
func (e Errno) ForClient() Errno {
	switch {
	case e.GoClientParses() && e.JavaClientParses():
		return e
	case e == ERR_DISK_IO_ERROR:
		return ERR_DISK_INSUFFICIENT
	default:
		return ERR_UNKNOWN
	}
}

// ErrorCode is dsn.error_code: an error name sent as a thrift string. The name
// is kept exactly as received, also when it is not in the catalogue, so that
// decoding and re-encoding is lossless; callers decide what an unknown name
// means (the C++ server reads it as ERR_UNKNOWN).
type ErrorCode struct {
	Errno Errno
}

// NewErrorCode wraps e.
func NewErrorCode(e Errno) *ErrorCode { return &ErrorCode{Errno: e} }

// Code returns the name; a nil ErrorCode has the empty name.
func (c *ErrorCode) Code() Errno {
	if c == nil {
		return ""
	}
	return c.Errno
}

// Read decodes the name.
func (c *ErrorCode) Read(ctx context.Context, iprot thrift.TProtocol) error {
	s, err := iprot.ReadString(ctx)
	if err != nil {
		return fmt.Errorf("read error_code: %w", err)
	}
	c.Errno = Errno(s)
	return nil
}

// Write encodes the name. Writing a nil or empty ErrorCode is an error: no
// client can parse "" and the generated code would otherwise silently send
// it for an unset err field.
func (c *ErrorCode) Write(ctx context.Context, oprot thrift.TProtocol) error {
	if c.Code() == "" {
		return fmt.Errorf("write error_code: no error name set")
	}
	if err := oprot.WriteString(ctx, string(c.Errno)); err != nil {
		return fmt.Errorf("write error_code %s: %w", c.Errno, err)
	}
	return nil
}

// Equals compares names; nil equals "".
func (c *ErrorCode) Equals(other *ErrorCode) bool { return c.Code() == other.Code() }

// String returns the name.
func (c *ErrorCode) String() string { return string(c.Code()) }
