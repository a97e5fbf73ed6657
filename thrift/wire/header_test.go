package wire

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/apache/thrift/lib/go/thrift"
)

func putRequest(t *testing.T) []byte {
	t.Helper()
	for _, v := range loadVectors(t, ".request.hex") {
		if v.name == "rrdb_put.request" {
			return v.bytes
		}
	}
	t.Fatal("rrdb_put vector missing")
	return nil
}

func TestReadRequestRejectsBadFrames(t *testing.T) {
	good := putRequest(t)
	mutate := func(f func(b []byte) []byte) []byte {
		b := append([]byte(nil), good...)
		return f(b)
	}
	cases := []struct {
		name  string
		frame []byte
		want  error
	}{
		{"bad signature", mutate(func(b []byte) []byte { b[0] = 'R'; return b }), ErrBadSignature},
		{"version 2", mutate(func(b []byte) []byte { b[7] = 2; return b }), ErrBadVersion},
		{"header length 47", mutate(func(b []byte) []byte { b[11] = 47; return b }), ErrBadHeaderLength},
		{"body too large", mutate(func(b []byte) []byte { binary.BigEndian.PutUint32(b[16:], 1<<30); return b }), ErrFrameTooLarge},
		{"truncated header", good[:20], io.ErrUnexpectedEOF},
		{"truncated body", good[:len(good)-3], io.ErrUnexpectedEOF},
		{"reply type", mutate(func(b []byte) []byte { b[51] = byte(thrift.REPLY); return b }), ErrBadMessageType},
		{"exception type", mutate(func(b []byte) []byte { b[51] = byte(thrift.EXCEPTION); return b }), ErrBadMessageType},
		{"bad message version", mutate(func(b []byte) []byte { b[49] = 2; return b }), ErrBadMessage},
		{"name longer than body", mutate(func(b []byte) []byte { binary.BigEndian.PutUint32(b[52:], 1<<20); return b }), ErrBadMessage},
		{"empty", nil, io.EOF},
	}
	for _, c := range cases {
		_, _, err := ReadRequest(bytes.NewReader(c.frame), nil, 1<<20)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestReadRequestAcceptsAnyCRCAndOneway(t *testing.T) {
	b := append([]byte(nil), putRequest(t)...)
	binary.BigEndian.PutUint32(b[12:], 0xdeadbeef)
	binary.BigEndian.PutUint32(b[20:], 0xfeedface)
	b[51] = byte(thrift.ONEWAY)
	req, err := ParseRequest(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	if req.Type != thrift.ONEWAY || string(req.Name) != "RPC_RRDB_RRDB_PUT" || req.Seqid != 3 {
		t.Fatalf("got %+v", req)
	}
}

func TestReadRequestNonStrictMessageBegin(t *testing.T) {
	e := NewEncoder(nil)
	e.appendString("RPC_RRDB_RRDB_GET")
	e.Buf = append(e.Buf, byte(thrift.CALL))
	e.putI32(77)
	e.Buf = append(e.Buf, 0)
	frame := make([]byte, HeaderV0Size)
	copy(frame, Signature[:])
	binary.BigEndian.PutUint32(frame[8:], HeaderV0Size)
	binary.BigEndian.PutUint32(frame[16:], uint32(len(e.Buf)))
	frame = append(frame, e.Buf...)
	req, err := ParseRequest(frame, 0)
	if err != nil {
		t.Fatal(err)
	}
	if string(req.Name) != "RPC_RRDB_RRDB_GET" || req.Seqid != 77 || req.Type != thrift.CALL {
		t.Fatalf("got %+v", req)
	}
}

func TestReadRequestVersion1(t *testing.T) {
	ctx := context.Background()
	meta := NewEncoder(nil)
	_ = meta.WriteFieldBegin(ctx, "", thrift.I32, 1)
	_ = meta.WriteI32(ctx, 3)
	_ = meta.WriteFieldBegin(ctx, "", thrift.I32, 2)
	_ = meta.WriteI32(ctx, 5)
	_ = meta.WriteFieldBegin(ctx, "", thrift.I32, 3)
	_ = meta.WriteI32(ctx, 900)
	_ = meta.WriteFieldBegin(ctx, "", thrift.I64, 4)
	_ = meta.WriteI64(ctx, 12345)
	_ = meta.WriteFieldBegin(ctx, "", thrift.BOOL, 5)
	_ = meta.WriteBool(ctx, true)
	_ = meta.WriteFieldBegin(ctx, "", thrift.STRING, 9) // unknown: skipped
	_ = meta.WriteString(ctx, "future")
	_ = meta.WriteFieldStop(ctx)
	body := NewEncoder(nil)
	_ = body.WriteMessageBegin(ctx, "RPC_RRDB_RRDB_TTL", thrift.CALL, 9)
	_ = body.WriteFieldStop(ctx)
	frame := append([]byte("THFT"), 0, 0, 0, 1)
	frame = binary.BigEndian.AppendUint32(frame, uint32(len(meta.Buf)))
	frame = binary.BigEndian.AppendUint32(frame, uint32(len(body.Buf)))
	frame = append(frame, meta.Buf...)
	frame = append(frame, body.Buf...)
	req, err := ParseRequest(frame, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := Header{Version: 1, AppID: 3, PartitionIndex: 5, ClientTimeout: 900, ThreadHash: 3*7919 + 5, PartitionHash: 12345, BackupRequest: true}
	if req.Header != want || string(req.Name) != "RPC_RRDB_RRDB_TTL" || req.Seqid != 9 {
		t.Fatalf("got %+v", req)
	}
}

func TestReadRequestStream(t *testing.T) {
	// Several frames back to back on one stream, read with one reused buffer.
	good := putRequest(t)
	var stream []byte
	for i := 0; i < 5; i++ {
		stream = append(stream, good...)
	}
	r := bytes.NewReader(stream)
	var buf []byte
	for i := 0; i < 5; i++ {
		var req Request
		var err error
		req, buf, err = ReadRequest(r, buf, 0)
		if err != nil || req.Seqid != 3 {
			t.Fatalf("frame %d: %v %+v", i, err, req)
		}
	}
	if _, _, err := ReadRequest(r, buf, 0); err != io.EOF {
		t.Fatalf("after last frame: %v, want io.EOF", err)
	}
}

func TestDecoderRejectsBadLengths(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		b    []byte
		read func(d *Decoder) error
	}{
		"negative binary": {[]byte{0xff, 0xff, 0xff, 0xff}, func(d *Decoder) error { _, err := d.ReadBinary(ctx); return err }},
		"binary past end": {[]byte{0, 0, 0, 9, 1, 2}, func(d *Decoder) error { _, err := d.ReadBinary(ctx); return err }},
		"huge list":       {[]byte{8, 0x7f, 0xff, 0xff, 0xff}, func(d *Decoder) error { _, _, err := d.ReadListBegin(ctx); return err }},
		"negative map":    {[]byte{11, 11, 0xff, 0, 0, 0}, func(d *Decoder) error { _, _, _, err := d.ReadMapBegin(ctx); return err }},
		"short i64":       {[]byte{1, 2, 3}, func(d *Decoder) error { _, err := d.ReadI64(ctx); return err }},
		"short byte":      {nil, func(d *Decoder) error { _, err := d.ReadByte(ctx); return err }},
		"deep skip": {bytes.Repeat([]byte{12, 0, 1}, 200), func(d *Decoder) error {
			return d.Skip(ctx, thrift.STRUCT)
		}},
	}
	for name, c := range cases {
		if err := c.read(NewDecoder(c.b)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestEncoderDecoderRoundTrip(t *testing.T) {
	ctx := context.Background()
	e := NewEncoder(nil)
	_ = e.WriteBool(ctx, true)
	_ = e.WriteByte(ctx, -3)
	_ = e.WriteI16(ctx, -2)
	_ = e.WriteI32(ctx, 1<<30)
	_ = e.WriteI64(ctx, -1<<60)
	_ = e.WriteDouble(ctx, 2.5)
	_ = e.WriteString(ctx, "hé")
	_ = e.WriteBinary(ctx, []byte{0, 1})
	_ = e.WriteMapBegin(ctx, thrift.STRING, thrift.I32, 0)
	_ = e.WriteListBegin(ctx, thrift.STRUCT, 0)
	d := NewDecoder(e.Buf)
	b, _ := d.ReadBool(ctx)
	i8, _ := d.ReadByte(ctx)
	i16, _ := d.ReadI16(ctx)
	i32, _ := d.ReadI32(ctx)
	i64, _ := d.ReadI64(ctx)
	f, _ := d.ReadDouble(ctx)
	s, _ := d.ReadString(ctx)
	bin, _ := d.ReadBinary(ctx)
	kt, vt, n, _ := d.ReadMapBegin(ctx)
	et, m, err := d.ReadListBegin(ctx)
	if err != nil || !b || i8 != -3 || i16 != -2 || i32 != 1<<30 || i64 != -1<<60 || f != 2.5 || s != "hé" ||
		!bytes.Equal(bin, []byte{0, 1}) || kt != thrift.STRING || vt != thrift.I32 || n != 0 || et != thrift.STRUCT || m != 0 {
		t.Fatalf("round trip mismatch: err=%v", err)
	}
	if len(d.Remaining()) != 0 {
		t.Fatalf("%d bytes left", len(d.Remaining()))
	}
	// Empty map and list headers keep their declared types (protocol.md §0).
	if !bytes.HasSuffix(e.Buf, []byte{11, 8, 0, 0, 0, 0, 12, 0, 0, 0, 0}) {
		t.Fatalf("container headers %x", e.Buf[len(e.Buf)-11:])
	}
}
