package wire

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/thrift/lib/go/thrift"
)

// maxSkipDepth bounds the nesting that Skip follows in unknown fields.
const maxSkipDepth = 64

// Decoder reads thrift binary encoding from a byte slice. It implements
// thrift.TProtocol so generated structs can read themselves from it; the
// write half of the interface is not supported.
//
// ReadBinary returns a copy, so decoded values stay valid after the frame
// buffer is reused. Container sizes are checked against the remaining bytes
// (each element takes at least one byte), so no read allocates more than the
// input could describe.
type Decoder struct {
	// The embedded protocol serves only ReadByte (and a refusing WriteByte)
	// through byteSource; every other method is declared below.
	*thrift.TBinaryProtocol
	buf []byte
	pos int
}

var _ thrift.TProtocol = (*Decoder)(nil)

// NewDecoder returns a decoder reading buf from its start.
func NewDecoder(buf []byte) *Decoder {
	d := &Decoder{buf: buf}
	d.TBinaryProtocol = thrift.NewTBinaryProtocolConf(byteSource{d}, nil)
	return d
}

// Reset makes the decoder read buf from its start.
func (d *Decoder) Reset(buf []byte) { d.buf, d.pos = buf, 0 }

// Pos is the number of bytes consumed so far.
func (d *Decoder) Pos() int { return d.pos }

// Remaining returns the bytes not yet consumed.
func (d *Decoder) Remaining() []byte { return d.buf[d.pos:] }

var errReadOnly = thrift.NewTProtocolExceptionWithType(thrift.NOT_IMPLEMENTED, errorString("wire: Decoder cannot write"))

func errShort(what string, need int, have int) error {
	return thrift.NewTProtocolExceptionWithType(thrift.INVALID_DATA,
		fmt.Errorf("wire: truncated %s: need %d bytes, have %d", what, need, have))
}

func (d *Decoder) take(what string, n int) ([]byte, error) {
	if n < 0 || n > len(d.buf)-d.pos {
		return nil, errShort(what, n, len(d.buf)-d.pos)
	}
	b := d.buf[d.pos : d.pos+n]
	d.pos += n
	return b, nil
}

func (d *Decoder) i32(what string) (int32, error) {
	b, err := d.take(what, 4)
	if err != nil {
		return 0, err
	}
	return int32(binary.BigEndian.Uint32(b)), nil
}

// sized reads an i32 length and returns that many bytes without copying.
func (d *Decoder) sized(what string) ([]byte, error) {
	n, err := d.i32(what)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, thrift.NewTProtocolExceptionWithType(thrift.NEGATIVE_SIZE,
			fmt.Errorf("wire: negative %s length %d", what, n))
	}
	return d.take(what, int(n))
}

// ReadMessageBegin accepts the strict form (version|type, name, seqid) and
// the old non-strict form (name, type byte, seqid).
func (d *Decoder) ReadMessageBegin(context.Context) (string, thrift.TMessageType, int32, error) {
	name, typ, seqid, err := d.readMessageBegin()
	return string(name), typ, seqid, err
}

// readMessageBegin is ReadMessageBegin without allocating the name.
func (d *Decoder) readMessageBegin() ([]byte, thrift.TMessageType, int32, error) {
	first, err := d.i32("message version")
	if err != nil {
		return nil, 0, 0, err
	}
	var name []byte
	var typ thrift.TMessageType
	if first < 0 {
		if uint32(first)&thrift.VERSION_MASK != thrift.VERSION_1 {
			return nil, 0, 0, thrift.NewTProtocolExceptionWithType(thrift.BAD_VERSION,
				fmt.Errorf("wire: bad message version %#x", uint32(first)))
		}
		typ = thrift.TMessageType(uint32(first) & 0xff)
		if name, err = d.sized("message name"); err != nil {
			return nil, 0, 0, err
		}
	} else {
		if name, err = d.take("message name", int(first)); err != nil {
			return nil, 0, 0, err
		}
		b, err := d.take("message type", 1)
		if err != nil {
			return nil, 0, 0, err
		}
		typ = thrift.TMessageType(b[0])
	}
	seqid, err := d.i32("seqid")
	if err != nil {
		return nil, 0, 0, err
	}
	return name, typ, seqid, nil
}

func (d *Decoder) ReadMessageEnd(context.Context) error            { return nil }
func (d *Decoder) ReadStructBegin(context.Context) (string, error) { return "", nil }
func (d *Decoder) ReadStructEnd(context.Context) error             { return nil }
func (d *Decoder) ReadFieldEnd(context.Context) error              { return nil }
func (d *Decoder) ReadMapEnd(context.Context) error                { return nil }
func (d *Decoder) ReadListEnd(context.Context) error               { return nil }
func (d *Decoder) ReadSetEnd(context.Context) error                { return nil }
func (d *Decoder) Flush(context.Context) error                     { return nil }
func (d *Decoder) Transport() thrift.TTransport                    { return nil }

func (d *Decoder) ReadFieldBegin(context.Context) (string, thrift.TType, int16, error) {
	b, err := d.take("field type", 1)
	if err != nil {
		return "", 0, 0, err
	}
	t := thrift.TType(b[0])
	if t == thrift.STOP {
		return "", t, 0, nil
	}
	b, err = d.take("field id", 2)
	if err != nil {
		return "", 0, 0, err
	}
	return "", t, int16(binary.BigEndian.Uint16(b)), nil
}

// containerSize checks a container's element count against the bytes left:
// every element takes at least one byte on the wire.
func (d *Decoder) containerSize(what string) (int, error) {
	n, err := d.i32(what)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, thrift.NewTProtocolExceptionWithType(thrift.NEGATIVE_SIZE,
			fmt.Errorf("wire: negative %s size %d", what, n))
	}
	if int(n) > len(d.buf)-d.pos {
		return 0, thrift.NewTProtocolExceptionWithType(thrift.SIZE_LIMIT,
			fmt.Errorf("wire: %s of %d elements in %d remaining bytes", what, n, len(d.buf)-d.pos))
	}
	return int(n), nil
}

func (d *Decoder) ReadMapBegin(context.Context) (thrift.TType, thrift.TType, int, error) {
	b, err := d.take("map types", 2)
	if err != nil {
		return 0, 0, 0, err
	}
	n, err := d.containerSize("map")
	return thrift.TType(b[0]), thrift.TType(b[1]), n, err
}

func (d *Decoder) ReadListBegin(context.Context) (thrift.TType, int, error) {
	b, err := d.take("list element type", 1)
	if err != nil {
		return 0, 0, err
	}
	n, err := d.containerSize("list")
	return thrift.TType(b[0]), n, err
}

func (d *Decoder) ReadSetBegin(ctx context.Context) (thrift.TType, int, error) {
	return d.ReadListBegin(ctx)
}

func (d *Decoder) ReadBool(context.Context) (bool, error) {
	b, err := d.take("bool", 1)
	if err != nil {
		return false, err
	}
	return b[0] != 0, nil
}

func (d *Decoder) ReadI16(context.Context) (int16, error) {
	b, err := d.take("i16", 2)
	if err != nil {
		return 0, err
	}
	return int16(binary.BigEndian.Uint16(b)), nil
}

func (d *Decoder) ReadI32(context.Context) (int32, error) { return d.i32("i32") }

func (d *Decoder) ReadI64(context.Context) (int64, error) {
	b, err := d.take("i64", 8)
	if err != nil {
		return 0, err
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

func (d *Decoder) ReadDouble(ctx context.Context) (float64, error) {
	v, err := d.ReadI64(ctx)
	return math.Float64frombits(uint64(v)), err
}

func (d *Decoder) ReadString(context.Context) (string, error) {
	b, err := d.sized("string")
	return string(b), err
}

// ReadBinary returns a copy of the bytes; an empty binary reads as a
// non-nil empty slice, as thrift's own protocol does.
func (d *Decoder) ReadBinary(context.Context) ([]byte, error) {
	b, err := d.sized("binary")
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(b))
	copy(out, b)
	return out, nil
}

// skipScalar skips a value of a non-container type without going through
// thrift.Skip (which would make the decoder escape to the heap); containers
// and structs are refused.
func (d *Decoder) skipScalar(t thrift.TType) error {
	var n int
	switch t {
	case thrift.BOOL, thrift.BYTE:
		n = 1
	case thrift.I16:
		n = 2
	case thrift.I32:
		n = 4
	case thrift.I64, thrift.DOUBLE:
		n = 8
	case thrift.STRING:
		_, err := d.sized("skipped string")
		return err
	default:
		return thrift.NewTProtocolExceptionWithType(thrift.INVALID_DATA,
			fmt.Errorf("wire: cannot skip a field of type %d here", t))
	}
	_, err := d.take("skipped field", n)
	return err
}

// Skip skips a value of the given type, bounded in depth.
func (d *Decoder) Skip(ctx context.Context, t thrift.TType) error {
	return thrift.Skip(ctx, d, t, maxSkipDepth)
}

func (d *Decoder) WriteMessageBegin(context.Context, string, thrift.TMessageType, int32) error {
	return errReadOnly
}
func (d *Decoder) WriteMessageEnd(context.Context) error          { return errReadOnly }
func (d *Decoder) WriteStructBegin(context.Context, string) error { return errReadOnly }
func (d *Decoder) WriteStructEnd(context.Context) error           { return errReadOnly }
func (d *Decoder) WriteFieldBegin(context.Context, string, thrift.TType, int16) error {
	return errReadOnly
}
func (d *Decoder) WriteFieldEnd(context.Context) error  { return errReadOnly }
func (d *Decoder) WriteFieldStop(context.Context) error { return errReadOnly }
func (d *Decoder) WriteMapBegin(context.Context, thrift.TType, thrift.TType, int) error {
	return errReadOnly
}
func (d *Decoder) WriteMapEnd(context.Context) error                       { return errReadOnly }
func (d *Decoder) WriteListBegin(context.Context, thrift.TType, int) error { return errReadOnly }
func (d *Decoder) WriteListEnd(context.Context) error                      { return errReadOnly }
func (d *Decoder) WriteSetBegin(context.Context, thrift.TType, int) error  { return errReadOnly }
func (d *Decoder) WriteSetEnd(context.Context) error                       { return errReadOnly }
func (d *Decoder) WriteBool(context.Context, bool) error                   { return errReadOnly }
func (d *Decoder) WriteI16(context.Context, int16) error                   { return errReadOnly }
func (d *Decoder) WriteI32(context.Context, int32) error                   { return errReadOnly }
func (d *Decoder) WriteI64(context.Context, int64) error                   { return errReadOnly }
func (d *Decoder) WriteDouble(context.Context, float64) error              { return errReadOnly }
func (d *Decoder) WriteString(context.Context, string) error               { return errReadOnly }
func (d *Decoder) WriteBinary(context.Context, []byte) error               { return errReadOnly }
