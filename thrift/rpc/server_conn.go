package rpc

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// serverConn serves one client connection: a reader (the serve goroutine)
// that parses frames and starts a goroutine per request, and a writer that
// batches encoded replies into the socket.
type serverConn struct {
	s      *Server
	nc     net.Conn
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	inflight chan struct{} // one token per request being served
	out      *frameWriter
	handlers sync.WaitGroup
}

func newServerConn(s *Server, nc net.Conn) *serverConn {
	ctx, cancel := context.WithCancel(s.ctx)
	return &serverConn{
		s:        s,
		nc:       nc,
		log:      s.opts.Logger.With("remote", nc.RemoteAddr().String()),
		ctx:      ctx,
		cancel:   cancel,
		inflight: make(chan struct{}, s.opts.MaxInFlight),
		out:      newFrameWriter(nc),
	}
}

func (c *serverConn) serve() {
	err := c.read()
	if errors.Is(err, errHandedToHTTP) {
		c.cancel()
		return // the HTTP server owns and closes the connection
	}
	if err != nil && !errors.Is(err, io.EOF) && c.ctx.Err() == nil {
		c.log.Warn("rpc: closing connection", "err", err)
	}
	// Let in-flight requests finish and their replies go out, then stop.
	c.handlers.Wait()
	c.cancel()
	c.nc.Close()
}

// errHandedToHTTP ends the thrift reader of a connection that turned out
// to be HTTP; the connection then belongs to the HTTP server.
var errHandedToHTTP = errors.New("rpc: connection handed to the HTTP server")

func (c *serverConn) read() error {
	br := bufio.NewReaderSize(c.nc, 64<<10)
	if c.s.http != nil {
		first, err := br.Peek(4)
		if err != nil {
			return err
		}
		if isHTTP(first) {
			if c.s.http.ln.hand(&peekedConn{Conn: c.nc, r: br}) {
				return errHandedToHTTP
			}
			return ErrServerClosed
		}
	}
	var scratch []byte
	for {
		req, buf, err := wire.ReadRequest(br, scratch, c.s.opts.MaxBodySize)
		scratch = buf
		if err != nil {
			return err
		}
		select {
		case c.inflight <- struct{}{}:
		case <-c.ctx.Done():
			return c.ctx.Err()
		}
		body := getBuf(len(req.Body))
		copy(body, req.Body)
		r := &Request{
			Header: req.Header,
			Seqid:  req.Seqid,
			Oneway: req.Type == thrift.ONEWAY,
			Args:   body[len(req.Body)-len(req.Args):],
			Remote: c.nc.RemoteAddr(),
		}
		rt, ok := c.s.handlers[string(req.Name)]
		if ok {
			r.Name = rt.name
		} else {
			r.Name = string(req.Name)
		}
		c.handlers.Add(1)
		go c.handle(rt.h, r, body)
	}
}

func (c *serverConn) handle(h Handler, r *Request, body []byte) {
	defer c.handlers.Done()
	defer func() { <-c.inflight }()
	rep := c.call(h, r)
	putBuf(body)
	if rep.Silent || r.Oneway {
		return
	}
	errName := rep.Err
	if errName == "" {
		errName = base.ERR_OK
	}
	frame, err := wire.AppendReply(getBuf(0), string(errName.ForClient()), r.Name, r.Seqid, rep.Result)
	if err != nil {
		c.log.Error("rpc: encode reply", "rpc", r.Name, "err", err)
		frame, _ = wire.AppendReply(frame[:0], string(base.ERR_UNKNOWN), r.Name, r.Seqid, nil)
	}
	err = c.out.write(frame)
	putBuf(frame)
	if err != nil {
		c.writeFailed(err)
	}
}

// call runs the handler, turning an unknown name into ERR_HANDLER_NOT_FOUND
// and a handler panic into ERR_UNKNOWN so one bad request cannot take the
// process down.
func (c *serverConn) call(h Handler, r *Request) (rep Reply) {
	if h == nil {
		c.log.Debug("rpc: no handler", "rpc", r.Name)
		return Fail(base.ERR_HANDLER_NOT_FOUND)
	}
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("rpc: handler panicked", "rpc", r.Name, "panic", p, "stack", string(debug.Stack()))
			rep = Fail(base.ERR_UNKNOWN)
		}
	}()
	return h(c.ctx, r)
}

func (c *serverConn) writeFailed(err error) {
	if c.ctx.Err() == nil {
		c.log.Debug("rpc: write failed", "err", err)
	}
	c.cancel()
	c.nc.Close() // unblocks the reader
}
