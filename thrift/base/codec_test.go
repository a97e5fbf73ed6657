package base

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/apache/thrift/lib/go/thrift"
)

// codec is what every placeholder type implements.
type codec interface {
	Read(context.Context, thrift.TProtocol) error
	Write(context.Context, thrift.TProtocol) error
}

func encode(t *testing.T, v codec) []byte {
	t.Helper()
	buf := thrift.NewTMemoryBuffer()
	p := thrift.NewTBinaryProtocolConf(buf, &thrift.TConfiguration{})
	if err := v.Write(context.Background(), p); err != nil {
		t.Fatalf("write %T: %v", v, err)
	}
	return buf.Bytes()
}

func decode(t *testing.T, b []byte, into codec) error {
	t.Helper()
	buf := thrift.NewTMemoryBuffer()
	buf.Write(b)
	p := thrift.NewTBinaryProtocolConf(buf, &thrift.TConfiguration{})
	if err := into.Read(context.Background(), p); err != nil {
		return err
	}
	if buf.Len() != 0 {
		t.Fatalf("read %T left %d bytes unread", into, buf.Len())
	}
	return nil
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// roundTrip checks that v encodes to wire and that wire decodes to a value
// equal to v, using the type's own Equals.
func roundTrip[T any, P interface {
	*T
	codec
	Equals(P) bool
}](t *testing.T, v P, wire string) {
	t.Helper()
	want := unhex(t, wire)
	if got := encode(t, v); !bytes.Equal(got, want) {
		t.Errorf("encode %v = %x, want %x", v, got, want)
	}
	var back T
	if err := decode(t, want, P(&back)); err != nil {
		t.Fatalf("decode %x: %v", want, err)
	}
	if !P(&back).Equals(v) {
		t.Errorf("decode %x = %v, want %v", want, P(&back), v)
	}
}

func TestBlobCodec(t *testing.T) {
	for _, tc := range []struct {
		name string
		blob *Blob
		wire string
	}{
		{"empty", &Blob{}, "00000000"},
		{"nil", nil, "00000000"},
		{"encoded key hk1/sk1", NewBlob([]byte("\x00\x03hk1sk1")), "00000008 0003 686b31 736b31"},
		{"value v1", NewBlob([]byte("v1")), "00000002 7631"},
	} {
		t.Run(tc.name, func(t *testing.T) { roundTrip(t, tc.blob, tc.wire) })
	}
}

func TestBlobBadLength(t *testing.T) {
	for _, tc := range []struct{ name, wire string }{
		{"negative", "ffffffff"},
		{"beyond data", "7fffffff 0102"},
		{"truncated length", "0000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b Blob
			if err := decode(t, unhex(t, tc.wire), &b); err == nil {
				t.Fatalf("decode %s: want error, got %q", tc.wire, b.Data)
			}
		})
	}
}

func TestGpidCodec(t *testing.T) {
	for _, tc := range []struct {
		gpid *Gpid
		wire string
		str  string
	}{
		{NewGpid(2, 5), "0000000500000002", "2.5"},
		{NewGpid(2, 1), "0000000100000002", "2.1"},
		{&Gpid{}, "0000000000000000", "0.0"},
		{NewGpid(-1, -1), "ffffffffffffffff", "-1.-1"},
		{NewGpid(0x7fffffff, 3), "000000037fffffff", "2147483647.3"},
	} {
		t.Run(tc.str, func(t *testing.T) {
			roundTrip(t, tc.gpid, tc.wire)
			if s := tc.gpid.String(); s != tc.str {
				t.Errorf("String = %q, want %q", s, tc.str)
			}
		})
	}
}

func TestRPCAddressCodec(t *testing.T) {
	for _, tc := range []struct {
		addr string
		wire string
	}{
		{"127.0.0.1:34801", "7f00000187f10001"},
		{"127.0.0.1:34802", "7f00000187f20001"},
		{"192.168.1.10:34801", "c0a8010a87f10001"},
		{"10.1.2.3:1", "0a01020300010001"},
		{"255.255.255.255:65535", "ffffffffffff0001"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			a, err := ParseRPCAddress(tc.addr)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, a, tc.wire)
			if a.String() != tc.addr || a.IsInvalid() || a.IsZero() {
				t.Errorf("String=%q IsInvalid=%v IsZero=%v", a.String(), a.IsInvalid(), a.IsZero())
			}
			b, err := RPCAddressFromTCPAddr(a.TCPAddr())
			if err != nil || !b.Equals(a) {
				t.Errorf("TCPAddr round trip: %v, %v", b, err)
			}
		})
	}
}

func TestRPCAddressZeroAndRaw(t *testing.T) {
	var zero RPCAddress
	roundTrip(t, &zero, "0000000000000000")
	if !zero.IsZero() || !zero.IsInvalid() || zero.String() != "invalid address" {
		t.Errorf("zero address: IsZero=%v IsInvalid=%v String=%q", zero.IsZero(), zero.IsInvalid(), zero.String())
	}
	var nilAddr *RPCAddress
	if got := encode(t, nilAddr); !bytes.Equal(got, make([]byte, 8)) {
		t.Errorf("nil address encodes to %x", got)
	}
	// Unusual bits (padding, group type) survive a round trip unchanged.
	odd := RPCAddressFromRaw(0x7f00000187f1fffe)
	roundTrip(t, odd, "7f00000187f1fffe")
	if !odd.IsInvalid() || odd.Type() != HostTypeGroup {
		t.Errorf("group address: type %d, IsInvalid %v", odd.Type(), odd.IsInvalid())
	}
}

func TestRPCAddressParseErrors(t *testing.T) {
	for _, s := range []string{"", "127.0.0.1", "localhost:34801", "[::1]:34801", "127.0.0.1:70000", "1.2.3.4:-1"} {
		if a, err := ParseRPCAddress(s); err == nil {
			t.Errorf("ParseRPCAddress(%q) = %v, want error", s, a)
		}
	}
}

func TestHostPortCodec(t *testing.T) {
	for _, tc := range []struct {
		name string
		hp   *HostPort
		wire string
		str  string
	}{
		{"ipv4", NewHostPort("127.0.0.1", 34801), "00000009 3132372e302e302e31 87f1 01", "127.0.0.1:34801"},
		{"name, port above 32767", NewHostPort("node-1", 65535), "00000006 6e6f64652d31 ffff 01", "node-1:65535"},
		{"empty", &HostPort{}, "00000000 0000 00", "invalid host_port"},
		{"nil", nil, "00000000 0000 00", "invalid host_port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			roundTrip(t, tc.hp, tc.wire)
			if s := tc.hp.String(); s != tc.str {
				t.Errorf("String = %q, want %q", s, tc.str)
			}
		})
	}
}

func TestHostPortParse(t *testing.T) {
	hp, err := ParseHostPort("meta-1.example:34601")
	if err != nil || !hp.Equals(NewHostPort("meta-1.example", 34601)) || hp.IsInvalid() {
		t.Fatalf("ParseHostPort = %v, %v", hp, err)
	}
	for _, s := range []string{"", "host", ":34601", "host:65536", "host:x"} {
		if hp, err := ParseHostPort(s); err == nil {
			t.Errorf("ParseHostPort(%q) = %v, want error", s, hp)
		}
	}
}

func TestHostPortTruncated(t *testing.T) {
	for _, wire := range []string{"00000009 3132372e", "00000001 31 87", "00000001 31 87f1", "fffffff0"} {
		var hp HostPort
		if err := decode(t, unhex(t, wire), &hp); err == nil {
			t.Errorf("decode %s: want error, got %v", wire, &hp)
		}
	}
}

func TestErrorCodeCodec(t *testing.T) {
	roundTrip(t, NewErrorCode(ERR_OK), "00000006 4552525f4f4b")
	roundTrip(t, NewErrorCode(ERR_OBJECT_NOT_FOUND), "00000014 4552525f4f424a4543545f4e4f545f464f554e44")
	// Unknown names are kept verbatim.
	var c ErrorCode
	if err := decode(t, unhex(t, "00000003 414243"), &c); err != nil || c.Errno != "ABC" || c.Errno.Known() {
		t.Errorf("decode unknown name: %v %v", c, err)
	}
	var unset *ErrorCode
	buf := thrift.NewTMemoryBuffer()
	if err := unset.Write(context.Background(), thrift.NewTBinaryProtocolConf(buf, nil)); err == nil {
		t.Errorf("writing an unset error_code succeeded: %x", buf.Bytes())
	}
}

func TestTaskCodeCodec(t *testing.T) {
	roundTrip(t, &TaskCode{Code: "RPC_CM_CONFIG_SYNC"}, "00000012 5250435f434d5f434f4e4649475f53594e43")
	roundTrip(t, (*TaskCode)(nil), "00000000")
}
