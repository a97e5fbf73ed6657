package rpc

import (
	"context"
	"net"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// BenchmarkRoundTrip measures pipelined get round trips over loopback from
// many goroutines on one connection (the server echoes a 1 KB value).
func BenchmarkRoundTrip(b *testing.B) {
	value := make([]byte, 1024)
	srv := NewServer(ServerOptions{})
	srv.Handle(rpcGet, func(ctx context.Context, r *Request) Reply {
		return OK(&rrdb.RrdbGetResult{Success: &rrdb.ReadResponse{Value: base.NewBlob(value), Server: "bench"}})
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	c, err := Dial(context.Background(), l.Addr().String(), ConnOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		args := &rrdb.RrdbGetArgs{Key: base.NewBlob([]byte("\x00\x01hk"))}
		for pb.Next() {
			res := rrdb.NewRrdbGetResult()
			if err := c.Call(context.Background(), wire.Header{AppID: 1}, rpcGet, args, res); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRoundTripSerial measures the latency of one call at a time.
func BenchmarkRoundTripSerial(b *testing.B) {
	srv := NewServer(ServerOptions{})
	srv.Handle(rpcGet, func(ctx context.Context, r *Request) Reply {
		return OK(&rrdb.RrdbGetResult{Success: &rrdb.ReadResponse{Value: base.NewBlob(nil), Server: "bench"}})
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	c, err := Dial(context.Background(), l.Addr().String(), ConnOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	args := &rrdb.RrdbGetArgs{Key: base.NewBlob([]byte("\x00\x01hk"))}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.Call(context.Background(), wire.Header{AppID: 1}, rpcGet, args, rrdb.NewRrdbGetResult()); err != nil {
			b.Fatal(err)
		}
	}
}
