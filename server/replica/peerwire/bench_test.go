package peerwire

import (
	"testing"

	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// The write path: every write is one mutation of up to 64 updates of about
// 1 KB, logged on every member (EncodeMutation, DecodeMutation on replay
// and learning) and sent to every secondary in a prepare.

func BenchmarkEncodeMutation(b *testing.B) {
	m := prepare(64, 1024).Msg.Mutation
	buf := EncodeMutation(nil, m)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = EncodeMutation(buf[:0], m)
	}
}

func BenchmarkDecodeMutation(b *testing.B) {
	m := prepare(64, 1024).Msg.Mutation
	data := EncodeMutation(nil, m)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeMutation(m.Ballot, m.Decree, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodePrepare is Encode plus writing the args' thrift bytes,
// what rpc.Conn.Send does besides framing.
func BenchmarkEncodePrepare(b *testing.B) {
	e := prepare(64, 1024)
	buf := make([]byte, 0, 128<<10)
	b.ReportAllocs()
	for b.Loop() {
		_, args, err := Encode(e)
		if err != nil {
			b.Fatal(err)
		}
		if buf, err = wire.EncodeStruct(buf[:0], args); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodePrepare(b *testing.B) {
	e := prepare(64, 1024)
	name, args, _ := Encode(e)
	data, _ := wire.EncodeStruct(nil, args)
	req := &rpc.Request{Name: name, Args: data, Oneway: true}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(req); err != nil {
			b.Fatal(err)
		}
	}
}
