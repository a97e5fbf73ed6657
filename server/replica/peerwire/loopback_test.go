package peerwire

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// startPeer serves the peer RPCs on 127.0.0.1 and hands every decoded
// message (or decode error) to the returned channel.
func startPeer(t *testing.T, register func(s *rpc.Server)) (string, <-chan any) {
	t.Helper()
	got := make(chan any, 64)
	srv := rpc.NewServer(rpc.ServerOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, name := range Names() {
		srv.Handle(name, func(_ context.Context, req *rpc.Request) rpc.Reply {
			e, err := Decode(req)
			if err != nil {
				got <- err
			} else {
				got <- e
			}
			return rpc.Reply{Silent: true}
		})
	}
	if register != nil {
		register(srv)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, rpc.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return l.Addr().String(), got
}

// TestLoopback sends messages of every type as one-way RPCs over TCP and
// checks what the receiving server decodes.
func TestLoopback(t *testing.T) {
	addr, got := startPeer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := rpc.Dial(ctx, addr, rpc.ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	envs := []Envelope{prepare(64, 1024)}
	for seed := range uint64(3 * len(msgTypes)) {
		envs = append(envs, newGen(seed).envelope(msgTypes[seed%uint64(len(msgTypes))]))
	}
	for i, e := range envs {
		name, args, err := Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		h := wire.Header{AppID: e.Msg.Pid.Appid, PartitionIndex: e.Msg.Pid.PartitionIndex}
		if err := c.Send(ctx, h, name, args); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		select {
		case v := <-got:
			if err, ok := v.(error); ok {
				t.Fatalf("message %d (%s): %v", i, name, err)
			}
			if !reflect.DeepEqual(v, e) {
				t.Fatalf("message %d (%s):\n got %#v\nwant %#v", i, name, v, e)
			}
		case <-ctx.Done():
			t.Fatalf("message %d (%s) never arrived", i, name)
		}
	}
}

// TestLearnCheckpointCall runs RPC_LEARN_CHECKPOINT, the one two-way peer
// RPC, through its catalogue entry.
func TestLearnCheckpointCall(t *testing.T) {
	e, ok := catalog.Lookup(catalog.RPC_LEARN_CHECKPOINT)
	if !ok || e.Oneway || e.Reserved {
		t.Fatalf("catalogue entry %+v, %v", e, ok)
	}
	addr, _ := startPeer(t, func(s *rpc.Server) {
		s.Handle(e.Name, func(_ context.Context, req *rpc.Request) rpc.Reply {
			args := e.NewArgs()
			if err := req.DecodeArgs(args); err != nil {
				return rpc.Fail(base.ERR_INVALID_DATA)
			}
			v, _ := e.Request(args)
			q := v.(*replication.LearnCheckpointRequest)
			resp := &replication.LearnCheckpointResponse{Err: base.NewErrorCode(base.ERR_OK),
				Session: q.Pid.String() + "/learn", Decree: q.MinDecree + int64(q.Signature)}
			res, _ := e.NewResultWith(resp)
			return rpc.OK(res)
		})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := rpc.Dial(ctx, addr, rpc.ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	args, _ := e.NewArgsWith(&replication.LearnCheckpointRequest{Pid: base.NewGpid(3, 1), Signature: 5, MinDecree: 100})
	res := e.NewResult()
	if err := c.Call(ctx, wire.Header{AppID: 3, PartitionIndex: 1}, e.Name, args, res); err != nil {
		t.Fatal(err)
	}
	v, _ := e.Response(res)
	if r := v.(*replication.LearnCheckpointResponse); r.Err.Code() != base.ERR_OK || r.Session != "3.1/learn" || r.Decree != 105 {
		t.Errorf("response %+v", r)
	}
}
