package wire

import (
	"context"
	"io"
)

// byteSink is the transport under an Encoder's embedded TBinaryProtocol: it
// appends to the encoder's buffer and refuses reads.
type byteSink struct{ e *Encoder }

func (s byteSink) Write(p []byte) (int, error) { s.e.Buf = append(s.e.Buf, p...); return len(p), nil }
func (s byteSink) WriteByte(c byte) error      { s.e.Buf = append(s.e.Buf, c); return nil }
func (s byteSink) WriteString(v string) (int, error) {
	s.e.Buf = append(s.e.Buf, v...)
	return len(v), nil
}
func (s byteSink) Read([]byte) (int, error)    { return 0, io.EOF }
func (s byteSink) ReadByte() (byte, error)     { return 0, io.EOF }
func (s byteSink) Flush(context.Context) error { return nil }
func (s byteSink) RemainingBytes() uint64      { return 0 }
func (s byteSink) Open() error                 { return nil }
func (s byteSink) IsOpen() bool                { return true }
func (s byteSink) Close() error                { return nil }

// byteSource is the transport under a Decoder's embedded TBinaryProtocol: it
// reads from the decoder's buffer at the decoder's position.
type byteSource struct{ d *Decoder }

func (s byteSource) Read(p []byte) (int, error) {
	if s.d.pos >= len(s.d.buf) {
		return 0, io.EOF
	}
	n := copy(p, s.d.buf[s.d.pos:])
	s.d.pos += n
	return n, nil
}

func (s byteSource) ReadByte() (byte, error) {
	if s.d.pos >= len(s.d.buf) {
		return 0, io.ErrUnexpectedEOF
	}
	c := s.d.buf[s.d.pos]
	s.d.pos++
	return c, nil
}

func (s byteSource) Write([]byte) (int, error)       { return 0, errReadOnly }
func (s byteSource) WriteByte(byte) error            { return errReadOnly }
func (s byteSource) WriteString(string) (int, error) { return 0, errReadOnly }
func (s byteSource) Flush(context.Context) error     { return nil }
func (s byteSource) RemainingBytes() uint64          { return uint64(len(s.d.buf) - s.d.pos) }
func (s byteSource) Open() error                     { return nil }
func (s byteSource) IsOpen() bool                    { return true }
func (s byteSource) Close() error                    { return nil }
