package wire

import (
	"bytes"
	"context"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

func benchPutFrame(b *testing.B) []byte {
	key := append([]byte{0, 8}, "hashkey1sortkey1"...)
	value := make([]byte, 1024)
	args := &rrdb.RrdbPutArgs{Update: &rrdb.UpdateRequest{Key: base.NewBlob(key), Value: base.NewBlob(value)}}
	frame, err := AppendRequest(nil, Header{AppID: 2, PartitionIndex: 1, PartitionHash: 7}, "RPC_RRDB_RRDB_PUT", 1, 1, args)
	if err != nil {
		b.Fatal(err)
	}
	return frame
}

// BenchmarkEncodePutRequest measures a client framing a 1 KB put.
func BenchmarkEncodePutRequest(b *testing.B) {
	key := append([]byte{0, 8}, "hashkey1sortkey1"...)
	args := &rrdb.RrdbPutArgs{Update: &rrdb.UpdateRequest{Key: base.NewBlob(key), Value: base.NewBlob(make([]byte, 1024))}}
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var err error
		buf, err = AppendRequest(buf[:0], Header{AppID: 2, PartitionIndex: 1}, "RPC_RRDB_RRDB_PUT", 1, int32(i), args)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePutRequest measures a server parsing a 1 KB put frame
// (header, message begin) and decoding its args with the generated code.
func BenchmarkDecodePutRequest(b *testing.B) {
	frame := benchPutFrame(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for i := 0; i < b.N; i++ {
		req, err := ParseRequest(frame, 0)
		if err != nil {
			b.Fatal(err)
		}
		args := rrdb.NewRrdbPutArgs()
		if err := DecodeStruct(req.Args, args); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePutRequestFast is the server's hot path: a frame read from
// the connection into a reused buffer, then the hand-written put decoder.
func BenchmarkDecodePutRequestFast(b *testing.B) {
	frame := benchPutFrame(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	var put PutRequest
	r := bytes.NewReader(frame)
	var buf []byte
	for i := 0; i < b.N; i++ {
		r.Reset(frame)
		req, nb, err := ReadRequest(r, buf, 0)
		if err != nil {
			b.Fatal(err)
		}
		buf = nb
		if err := put.Decode(req.Args); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeGetReply measures a server framing a 1 KB get reply.
func BenchmarkEncodeGetReply(b *testing.B) {
	res := &rrdb.RrdbGetResult{Success: &rrdb.ReadResponse{Value: base.NewBlob(make([]byte, 1024)), AppID: 2, PartitionIndex: 1, Server: "127.0.0.1:34801"}}
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var err error
		buf, err = AppendReply(buf[:0], "ERR_OK", "RPC_RRDB_RRDB_GET", int32(i), res)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeGetReply measures a client parsing and decoding it.
func BenchmarkDecodeGetReply(b *testing.B) {
	res := &rrdb.RrdbGetResult{Success: &rrdb.ReadResponse{Value: base.NewBlob(make([]byte, 1024)), AppID: 2, PartitionIndex: 1, Server: "127.0.0.1:34801"}}
	frame, _ := AppendReply(nil, "ERR_OK", "RPC_RRDB_RRDB_GET", 1, res)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rep, err := ParseReply(frame[4:])
		if err != nil {
			b.Fatal(err)
		}
		out := rrdb.NewRrdbGetResult()
		if err := DecodeResult(rep, out); err != nil {
			b.Fatal(err)
		}
	}
}

var _ = context.Background
