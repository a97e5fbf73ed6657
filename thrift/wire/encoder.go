package wire

import (
	"context"
	"encoding/binary"
	"math"

	"github.com/apache/thrift/lib/go/thrift"
)

// Encoder appends thrift binary encoding (strict) to Buf. It implements
// thrift.TProtocol so generated structs can write themselves into it; the
// read half of the interface is not supported.
type Encoder struct {
	// The embedded protocol serves only WriteByte (and a refusing ReadByte),
	// through byteSink; every other method is declared below. This keeps
	// vet's check of io.ByteWriter-style signatures quiet for our own types.
	*thrift.TBinaryProtocol
	Buf []byte
}

var _ thrift.TProtocol = (*Encoder)(nil)

// NewEncoder returns an encoder that appends to buf.
func NewEncoder(buf []byte) *Encoder {
	e := &Encoder{Buf: buf}
	e.TBinaryProtocol = thrift.NewTBinaryProtocolConf(byteSink{e}, nil)
	return e
}

// Reset makes the encoder append to buf from now on.
func (e *Encoder) Reset(buf []byte) { e.Buf = buf }

// Bytes returns everything written so far.
func (e *Encoder) Bytes() []byte { return e.Buf }

func (e *Encoder) putI16(v int16) { e.Buf = binary.BigEndian.AppendUint16(e.Buf, uint16(v)) }
func (e *Encoder) putI32(v int32) { e.Buf = binary.BigEndian.AppendUint32(e.Buf, uint32(v)) }
func (e *Encoder) putI64(v int64) { e.Buf = binary.BigEndian.AppendUint64(e.Buf, uint64(v)) }

// WriteMessageBegin writes the strict form: version|type, name, seqid.
func (e *Encoder) WriteMessageBegin(_ context.Context, name string, typeID thrift.TMessageType, seqid int32) error {
	e.putI32(int32(uint32(thrift.VERSION_1) | uint32(typeID)))
	e.appendString(name)
	e.putI32(seqid)
	return nil
}

func (e *Encoder) WriteMessageEnd(context.Context) error          { return nil }
func (e *Encoder) WriteStructBegin(context.Context, string) error { return nil }
func (e *Encoder) WriteStructEnd(context.Context) error           { return nil }
func (e *Encoder) WriteFieldEnd(context.Context) error            { return nil }
func (e *Encoder) WriteMapEnd(context.Context) error              { return nil }
func (e *Encoder) WriteListEnd(context.Context) error             { return nil }
func (e *Encoder) WriteSetEnd(context.Context) error              { return nil }
func (e *Encoder) Flush(context.Context) error                    { return nil }
func (e *Encoder) Transport() thrift.TTransport                   { return nil }
func (e *Encoder) WriteFieldStop(context.Context) error {
	e.Buf = append(e.Buf, thrift.STOP)
	return nil
}
func (e *Encoder) WriteI16(_ context.Context, v int16) error     { e.putI16(v); return nil }
func (e *Encoder) WriteI32(_ context.Context, v int32) error     { e.putI32(v); return nil }
func (e *Encoder) WriteI64(_ context.Context, v int64) error     { e.putI64(v); return nil }
func (e *Encoder) WriteString(_ context.Context, v string) error { e.appendString(v); return nil }
func (e *Encoder) WriteBinary(_ context.Context, v []byte) error { e.appendBinary(v); return nil }
func (e *Encoder) WriteDouble(_ context.Context, v float64) error {
	e.putI64(int64(math.Float64bits(v)))
	return nil
}

func (e *Encoder) WriteFieldBegin(_ context.Context, _ string, typeID thrift.TType, id int16) error {
	e.Buf = append(e.Buf, byte(typeID))
	e.putI16(id)
	return nil
}

func (e *Encoder) WriteMapBegin(_ context.Context, keyType, valueType thrift.TType, size int) error {
	e.Buf = append(e.Buf, byte(keyType), byte(valueType))
	e.putI32(int32(size))
	return nil
}

func (e *Encoder) WriteListBegin(_ context.Context, elemType thrift.TType, size int) error {
	e.Buf = append(e.Buf, byte(elemType))
	e.putI32(int32(size))
	return nil
}

func (e *Encoder) WriteSetBegin(ctx context.Context, elemType thrift.TType, size int) error {
	return e.WriteListBegin(ctx, elemType, size)
}

func (e *Encoder) WriteBool(_ context.Context, v bool) error {
	if v {
		e.Buf = append(e.Buf, 1)
	} else {
		e.Buf = append(e.Buf, 0)
	}
	return nil
}

func (e *Encoder) appendString(s string) {
	e.putI32(int32(len(s)))
	e.Buf = append(e.Buf, s...)
}

func (e *Encoder) appendBinary(b []byte) {
	e.putI32(int32(len(b)))
	e.Buf = append(e.Buf, b...)
}

var errWriteOnly = thrift.NewTProtocolExceptionWithType(thrift.NOT_IMPLEMENTED, errorString("wire: Encoder cannot read"))

type errorString string

func (e errorString) Error() string { return string(e) }

func (e *Encoder) ReadMessageBegin(context.Context) (string, thrift.TMessageType, int32, error) {
	return "", 0, 0, errWriteOnly
}
func (e *Encoder) ReadMessageEnd(context.Context) error            { return errWriteOnly }
func (e *Encoder) ReadStructBegin(context.Context) (string, error) { return "", errWriteOnly }
func (e *Encoder) ReadStructEnd(context.Context) error             { return errWriteOnly }
func (e *Encoder) ReadFieldBegin(context.Context) (string, thrift.TType, int16, error) {
	return "", 0, 0, errWriteOnly
}
func (e *Encoder) ReadFieldEnd(context.Context) error { return errWriteOnly }
func (e *Encoder) ReadMapBegin(context.Context) (thrift.TType, thrift.TType, int, error) {
	return 0, 0, 0, errWriteOnly
}
func (e *Encoder) ReadMapEnd(context.Context) error { return errWriteOnly }
func (e *Encoder) ReadListBegin(context.Context) (thrift.TType, int, error) {
	return 0, 0, errWriteOnly
}
func (e *Encoder) ReadListEnd(context.Context) error                       { return errWriteOnly }
func (e *Encoder) ReadSetBegin(context.Context) (thrift.TType, int, error) { return 0, 0, errWriteOnly }
func (e *Encoder) ReadSetEnd(context.Context) error                        { return errWriteOnly }
func (e *Encoder) ReadBool(context.Context) (bool, error)                  { return false, errWriteOnly }
func (e *Encoder) ReadI16(context.Context) (int16, error)                  { return 0, errWriteOnly }
func (e *Encoder) ReadI32(context.Context) (int32, error)                  { return 0, errWriteOnly }
func (e *Encoder) ReadI64(context.Context) (int64, error)                  { return 0, errWriteOnly }
func (e *Encoder) ReadDouble(context.Context) (float64, error)             { return 0, errWriteOnly }
func (e *Encoder) ReadString(context.Context) (string, error)              { return "", errWriteOnly }
func (e *Encoder) ReadBinary(context.Context) ([]byte, error)              { return nil, errWriteOnly }
func (e *Encoder) Skip(context.Context, thrift.TType) error                { return errWriteOnly }
