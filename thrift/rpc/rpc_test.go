package rpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

const (
	rpcGet   = "RPC_RRDB_RRDB_GET"
	rpcClear = "RPC_RRDB_RRDB_CLEAR_SCANNER"
)

// echoGet answers a get with the key as the value, after an optional delay
// encoded in the key's first byte (milliseconds), so replies can be made to
// overtake each other.
func echoGet(ctx context.Context, r *Request) Reply {
	args := rrdb.NewRrdbGetArgs()
	if err := r.DecodeArgs(args); err != nil || args.Key == nil {
		return Fail(base.ERR_INVALID_DATA)
	}
	key := args.Key.Data
	if len(key) > 0 && key[0] > 0 {
		select {
		case <-time.After(time.Duration(key[0]) * time.Millisecond):
		case <-ctx.Done():
			return Fail(base.ERR_TIMEOUT)
		}
	}
	res := rrdb.NewRrdbGetResult()
	res.Success = &rrdb.ReadResponse{Value: base.NewBlob(key), AppID: r.Header.AppID, PartitionIndex: r.Header.PartitionIndex, Server: "test"}
	return OK(res)
}

type fixture struct {
	srv  *Server
	addr string
	done chan error
}

func startServer(t *testing.T, opts ServerOptions, register func(s *Server)) *fixture {
	t.Helper()
	srv := NewServer(opts)
	register(srv)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{srv: srv, addr: l.Addr().String(), done: make(chan error, 1)}
	go func() { f.done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-f.done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return f
}

func dial(t *testing.T, addr string) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func get(ctx context.Context, c *Conn, key []byte) ([]byte, error) {
	args := rrdb.NewRrdbGetArgs()
	args.Key = base.NewBlob(key)
	res := rrdb.NewRrdbGetResult()
	err := c.Call(ctx, wire.Header{AppID: 2, PartitionIndex: 1}, rpcGet, args, res)
	if err != nil {
		return nil, err
	}
	return res.Success.Value.Data, nil
}

func TestPipelinedCallsMatchRepliesBySeqid(t *testing.T) {
	f := startServer(t, ServerOptions{}, func(s *Server) { s.Handle(rpcGet, echoGet) })
	c := dial(t, f.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Earlier calls sleep longer, so replies come back reordered.
			key := []byte(fmt.Sprintf("%ckey-%d", byte(20-i%20), i))
			v, err := get(ctx, c, key)
			if err != nil {
				errs <- err
				return
			}
			if string(v) != string(key) {
				errs <- fmt.Errorf("call %d got %q", i, v)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestUnknownRPCGetsHandlerNotFound(t *testing.T) {
	f := startServer(t, ServerOptions{}, func(s *Server) {})
	c := dial(t, f.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := get(ctx, c, []byte("k"))
	var re *RemoteError
	if !errors.As(err, &re) || !errors.Is(err, base.ERR_HANDLER_NOT_FOUND) {
		t.Fatalf("got %v, want ERR_HANDLER_NOT_FOUND", err)
	}
	// The connection survives an error reply.
	if _, err := get(ctx, c, []byte("k")); !errors.Is(err, base.ERR_HANDLER_NOT_FOUND) {
		t.Fatalf("second call: %v", err)
	}
}

func TestOnewayAndSilentRepliesSendNothing(t *testing.T) {
	var cleared atomic.Int64
	f := startServer(t, ServerOptions{}, func(s *Server) {
		s.Handle(rpcGet, echoGet)
		s.Handle(rpcClear, func(ctx context.Context, r *Request) Reply {
			args := rrdb.NewRrdbClearScannerArgs()
			if err := r.DecodeArgs(args); err == nil {
				cleared.Add(args.ContextID)
			}
			return Reply{Silent: true}
		})
	})
	c := dial(t, f.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	args := rrdb.NewRrdbClearScannerArgs()
	args.ContextID = 42
	if err := c.Send(ctx, wire.Header{AppID: 2, PartitionIndex: 1}, rpcClear, args); err != nil {
		t.Fatal(err)
	}
	// A CALL-typed clear_scanner (as the Go client sends it) gets no reply
	// either: the call times out while later calls still work.
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	err := c.Call(short, wire.Header{AppID: 2, PartitionIndex: 1}, rpcClear, args, rrdb.NewRrdbGetResult())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("clear_scanner as CALL: %v, want a timeout", err)
	}
	if v, err := get(ctx, c, []byte("after")); err != nil || string(v) != "after" {
		t.Fatalf("get after oneway: %q %v", v, err)
	}
	if cleared.Load() != 84 {
		t.Fatalf("handler saw context ids summing to %d, want 84", cleared.Load())
	}
}

func TestCallHonoursDeadlineAndConnectionStaysUsable(t *testing.T) {
	f := startServer(t, ServerOptions{}, func(s *Server) { s.Handle(rpcGet, echoGet) })
	c := dial(t, f.addr)
	short, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := get(short, c, []byte{250, 'x'}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want deadline exceeded", err)
	}
	ctx, cancel2 := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel2()
	if v, err := get(ctx, c, []byte("ok")); err != nil || string(v) != "ok" {
		t.Fatalf("after timeout: %q %v", v, err)
	}
}

func TestPendingCallsFailWhenConnectionDrops(t *testing.T) {
	f := startServer(t, ServerOptions{}, func(s *Server) {
		s.Handle(rpcGet, func(ctx context.Context, r *Request) Reply {
			<-ctx.Done()
			return Reply{Silent: true} // never answers: only the drop ends the calls
		})
	})
	c := dial(t, f.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := make(chan error, 10)
	for i := 0; i < 10; i++ {
		go func() { _, err := get(ctx, c, []byte("k")); errs <- err }()
	}
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return len(c.pending) == 10 })
	f.srv.Close() // drops the connection under the pending calls
	for i := 0; i < 10; i++ {
		select {
		case err := <-errs:
			if !errors.Is(err, ErrConnClosed) {
				t.Errorf("pending call: %v, want ErrConnClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("pending call did not fail after the connection dropped")
		}
	}
	if _, err := get(ctx, c, []byte("k")); !errors.Is(err, ErrConnClosed) {
		t.Fatalf("call on dead connection: %v", err)
	}
}

func TestHandlerPanicBecomesErrUnknown(t *testing.T) {
	f := startServer(t, ServerOptions{}, func(s *Server) {
		s.Handle(rpcGet, func(ctx context.Context, r *Request) Reply { panic("boom") })
	})
	c := dial(t, f.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	for i := 0; i < 2; i++ {
		if _, err := get(ctx, c, []byte("k")); !errors.Is(err, base.ERR_UNKNOWN) {
			t.Fatalf("got %v, want ERR_UNKNOWN", err)
		}
	}
}

func TestMalformedArgsAreRejectedNotFatal(t *testing.T) {
	f := startServer(t, ServerOptions{}, func(s *Server) { s.Handle(rpcGet, echoGet) })
	c := dial(t, f.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	// A get whose args struct holds an i32 where the blob should be.
	bad := rrdb.NewRrdbClearScannerArgs()
	err := c.Call(ctx, wire.Header{AppID: 2, PartitionIndex: 1}, rpcGet, bad, rrdb.NewRrdbGetResult())
	if !errors.Is(err, base.ERR_INVALID_DATA) {
		t.Fatalf("mistyped args: %v, want ERR_INVALID_DATA", err)
	}
	if v, err := get(ctx, c, []byte("fine")); err != nil || string(v) != "fine" {
		t.Fatalf("after bad args: %q %v", v, err)
	}
}

// Bad frames close that connection only; the server keeps serving others,
// and no goroutine is left behind.
func TestBadFramesCloseOnlyThatConnection(t *testing.T) {
	base0 := runtime.NumGoroutine()
	f := startServer(t, ServerOptions{MaxBodySize: 1 << 16}, func(s *Server) { s.Handle(rpcGet, echoGet) })
	good := dial(t, f.addr)
	frames := map[string][]byte{
		"garbage":         []byte("GET / HTTP/1.1\r\n\r\n"),
		"bad version":     append([]byte("THFT"), 0, 0, 0, 7, 0, 0, 0, 0),
		"oversized":       append(append(append([]byte("THFT"), make([]byte, 12)...), 0x7f, 0, 0, 0), make([]byte, 28)...),
		"truncated":       []byte("THFT\x00\x00\x00\x00\x00\x00\x00\x30"),
		"bad header size": append(append([]byte("THFT"), 0, 0, 0, 0, 0, 0, 0, 47), make([]byte, 40)...),
	}
	frames["oversized"][11] = 48
	for name, b := range frames {
		nc, err := net.Dial("tcp", f.addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.Write(b)
		if name == "truncated" {
			nc.(*net.TCPConn).CloseWrite()
		}
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := nc.Read(make([]byte, 16))
		if err != io.EOF || n != 0 {
			t.Errorf("%s: read %d bytes, err %v; want the server to close", name, n, err)
		}
		nc.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if v, err := get(ctx, good, []byte("still")); err != nil || string(v) != "still" {
		t.Fatalf("healthy connection: %q %v", v, err)
	}
	good.Close()
	f.srv.Close()
	waitFor(t, func() bool { return runtime.NumGoroutine() <= base0+1 })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("condition not met in 5s; goroutines:\n%s", buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSendAllDeliversEveryRequestInOrder: one-way requests written
// together reach the handler each, decoded separately, and the connection
// keeps working for calls.
func TestSendAllDeliversEveryRequestInOrder(t *testing.T) {
	got := make(chan int64, 100)
	f := startServer(t, ServerOptions{}, func(s *Server) {
		s.Handle(rpcGet, echoGet)
		s.Handle(rpcClear, func(ctx context.Context, r *Request) Reply {
			args := rrdb.NewRrdbClearScannerArgs()
			if err := r.DecodeArgs(args); err == nil {
				got <- args.ContextID
			}
			return Reply{Silent: true}
		})
	})
	c := dial(t, f.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var reqs []OneWay
	for i := int64(1); i <= 50; i++ {
		reqs = append(reqs, OneWay{Header: wire.Header{AppID: 2, PartitionIndex: 1}, Name: rpcClear, Args: &rrdb.RrdbClearScannerArgs{ContextID: i}})
	}
	if err := c.SendAll(ctx, reqs); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for len(seen) < 50 {
		select {
		case id := <-got:
			if id < 1 || id > 50 || seen[id] {
				t.Fatalf("context id %d delivered twice or unknown", id)
			}
			seen[id] = true
		case <-ctx.Done():
			t.Fatalf("%d of 50 one-way requests arrived", len(seen))
		}
	}
	if v, err := get(ctx, c, []byte("after")); err != nil || string(v) != "after" {
		t.Fatalf("get after SendAll: %q %v", v, err)
	}
}
