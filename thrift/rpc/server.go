package rpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// Request is one call as a handler sees it. Args aliases a buffer that is
// recycled when the handler returns: decode it (wire.DecodeStruct copies
// binaries) and do not keep the slice.
type Request struct {
	Header wire.Header
	Name   string
	Seqid  int32
	Oneway bool // sent with message type ONEWAY: the client reads no reply
	Args   []byte
	Remote net.Addr
}

// DecodeArgs decodes the request's args struct into args.
func (r *Request) DecodeArgs(args thrift.TStruct) error {
	if err := wire.DecodeStruct(r.Args, args); err != nil {
		return fmt.Errorf("decode %s args: %w", r.Name, err)
	}
	return nil
}

// Reply is a handler's answer. Err is the transport error (ERR_OK when the
// operation reached the handler's service; the operation's own outcome
// belongs in Result). Result is the thrift result struct whose field 0 holds
// the response; it is written only with ERR_OK. Silent sends nothing, as for
// one-way RPCs.
type Reply struct {
	Err    base.Errno
	Result thrift.TStruct
	Silent bool
}

// OK is a successful reply carrying result.
func OK(result thrift.TStruct) Reply { return Reply{Err: base.ERR_OK, Result: result} }

// Fail is a transport-error reply with no result body.
func Fail(err base.Errno) Reply { return Reply{Err: err} }

// Handler serves one RPC. ctx is cancelled when the connection closes or
// the server shuts down.
type Handler func(ctx context.Context, req *Request) Reply

// ServerOptions tunes a Server; zero values take defaults.
type ServerOptions struct {
	// MaxBodySize caps a request body; larger frames close the connection.
	MaxBodySize int
	// MaxInFlight bounds concurrently served requests per connection; the
	// reader stops reading (TCP back-pressure) while the bound is reached.
	MaxInFlight int
	// HTTP, when set, serves connections that start with an HTTP request
	// on the same port (status pages, metrics, pprof).
	HTTP   http.Handler
	Logger *slog.Logger
}

func (o *ServerOptions) defaults() {
	if o.MaxBodySize <= 0 {
		o.MaxBodySize = wire.DefaultMaxBodySize
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 4096
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Server serves thrift RPCs. Register handlers with Handle before Serve.
type Server struct {
	opts     ServerOptions
	handlers map[string]route
	http     *httpFront // nil without ServerOptions.HTTP

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // accept loops and connections

	mu        sync.Mutex // guards listeners, conns, closed
	listeners map[net.Listener]struct{}
	conns     map[*serverConn]struct{}
	closed    bool
}

// NewServer returns a server with no handlers.
func NewServer(opts ServerOptions) *Server {
	opts.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:      opts,
		handlers:  make(map[string]route),
		ctx:       ctx,
		cancel:    cancel,
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*serverConn]struct{}),
	}
	if opts.HTTP != nil {
		s.http = startHTTP(opts.HTTP)
	}
	return s
}

// Handle registers h for the RPC name. It must not be called once Serve runs.
func (s *Server) Handle(name string, h Handler) { s.handlers[name] = route{name, h} }

// route is a registered handler with its name, so a request can reuse the
// name's string instead of allocating one.
type route struct {
	name string
	h    Handler
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("rpc: server closed")

// Serve accepts connections on l until Close; it closes l on return.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.ctx.Err() != nil {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("rpc: accept on %v: %w", l.Addr(), err)
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return ErrServerClosed
		}
		c := newServerConn(s, nc)
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// Close stops accepting, closes every connection, and waits until all
// handlers have returned and every goroutine of the server has ended.
func (s *Server) Close() error {
	s.cancel() // first, so accept and read loops see shutdown, not failure
	s.mu.Lock()
	s.closed = true
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if s.http != nil {
		s.http.close()
	}
	return nil
}

// ConnCount is the number of open client connections.
func (s *Server) ConnCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}
