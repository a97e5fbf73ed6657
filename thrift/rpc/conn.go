package rpc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// ErrConnClosed is wrapped by the error of every call that was pending, or
// started, after the connection closed.
var ErrConnClosed = errors.New("rpc: connection closed")

// RemoteError is a non-OK transport error sent by the server. errors.Is
// matches it against the base.Errno it carries.
type RemoteError struct {
	Errno base.Errno
	RPC   string
	Addr  string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("rpc %s to %s: %s", e.RPC, e.Addr, e.Errno)
}

// Unwrap exposes the error name, so errors.Is(err, base.ERR_INVALID_STATE) works.
func (e *RemoteError) Unwrap() error { return e.Errno }

// ConnOptions tunes a client connection; zero values take defaults.
type ConnOptions struct {
	MaxReplySize int
	// DialTimeout applies when the dial context has no earlier deadline.
	DialTimeout time.Duration
}

// Conn is a client connection to one server. It is safe for concurrent use;
// calls are pipelined and matched to replies by seqid.
type Conn struct {
	addr string
	nc   net.Conn
	opts ConnOptions

	seq atomic.Int32
	out *frameWriter
	// Recent sizes of request frames and SendAll batches (noteSize): the
	// next one starts in a pooled buffer that size rather than growing
	// into it (each growth is a fresh allocation).
	frameHint, batchHint atomic.Int64

	mu      sync.Mutex // guards pending and err
	pending map[int32]*call
	err     error         // set once, when the connection fails or closes
	done    chan struct{} // closed with err
	wg      sync.WaitGroup
}

type call struct {
	rep   wire.Reply
	frame []byte
	ready chan struct{}
}

// Dial connects to addr ("host:port").
func Dial(ctx context.Context, addr string, opts ConnOptions) (*Conn, error) {
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 3 * time.Second
	}
	if opts.MaxReplySize <= 0 {
		opts.MaxReplySize = wire.DefaultMaxReplySize
	}
	d := net.Dialer{Timeout: opts.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("rpc: dial %s: %w", addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	c := &Conn{
		addr:    addr,
		nc:      nc,
		opts:    opts,
		out:     newFrameWriter(nc),
		pending: make(map[int32]*call),
		done:    make(chan struct{}),
	}
	c.wg.Add(1)
	go c.readLoop()
	return c, nil
}

// Addr is the server address this connection was dialled to.
func (c *Conn) Addr() string { return c.addr }

// LocalAddr is this end's address ("ip:port").
func (c *Conn) LocalAddr() string { return c.nc.LocalAddr().String() }

// Err returns nil while the connection is usable, else why it is not.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the connection, fails pending calls and waits for the
// connection's goroutines to end.
func (c *Conn) Close() error {
	c.fail(ErrConnClosed)
	c.wg.Wait()
	return nil
}

// fail records the first error, closes the socket and fails pending calls.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	if !errors.Is(err, ErrConnClosed) {
		err = fmt.Errorf("%w: %w", ErrConnClosed, err)
	}
	c.err = err
	pending := c.pending
	c.pending = nil
	close(c.done)
	c.mu.Unlock()
	c.nc.Close()
	for _, cl := range pending {
		close(cl.ready) // rep stays zero: the waiter reads c.err
	}
}

// Call sends one request and waits for its reply, decoding the result
// struct into result. h routes the request (AppID, PartitionIndex,
// PartitionHash); its ClientTimeout is filled from ctx's deadline when zero.
// A non-OK transport error is returned as *RemoteError.
func (c *Conn) Call(ctx context.Context, h wire.Header, name string, args, result thrift.TStruct) error {
	rep, frame, err := c.roundTrip(ctx, h, name, args)
	if err != nil {
		return err
	}
	defer putBuf(frame)
	if rep.Err != string(base.ERR_OK) {
		return &RemoteError{Errno: base.Errno(rep.Err), RPC: name, Addr: c.addr}
	}
	if want := wire.ReplyName(name); rep.Name != want {
		return fmt.Errorf("rpc %s to %s: reply named %q", name, c.addr, rep.Name)
	}
	if err := wire.DecodeResult(rep, result); err != nil {
		return fmt.Errorf("rpc %s to %s: decode result: %w", name, c.addr, err)
	}
	return nil
}

// Send sends a one-way request (message type ONEWAY); no reply is read.
func (c *Conn) Send(ctx context.Context, h wire.Header, name string, args thrift.TStruct) error {
	frame, err := c.encode(ctx, h, name, thrift.ONEWAY, c.seq.Add(1), args)
	if err != nil {
		return err
	}
	return c.enqueue(ctx, frame, true)
}

// OneWay is one one-way request for SendAll.
type OneWay struct {
	Header wire.Header
	Name   string
	Args   thrift.TStruct
}

// SendAll sends one-way requests in order, written to the socket together
// (one system call where the kernel takes them all), as a sender with a
// queue of them wants.
func (c *Conn) SendAll(ctx context.Context, reqs []OneWay) error {
	buf := getBufCap(int(c.batchHint.Load()))
	for _, r := range reqs {
		h := r.Header
		if h.ClientTimeout == 0 {
			h.ClientTimeout = timeoutMillis(ctx)
		}
		var err error
		if buf, err = wire.AppendRequest(buf, h, r.Name, thrift.ONEWAY, c.seq.Add(1), r.Args); err != nil {
			putBuf(buf)
			return fmt.Errorf("rpc %s to %s: %w", r.Name, c.addr, err)
		}
	}
	noteSize(&c.batchHint, len(buf))
	return c.enqueue(ctx, buf, false)
}

func (c *Conn) encode(ctx context.Context, h wire.Header, name string, typ thrift.TMessageType, seqid int32, args thrift.TStruct) ([]byte, error) {
	if h.ClientTimeout == 0 {
		h.ClientTimeout = timeoutMillis(ctx)
	}
	frame, err := wire.AppendRequest(getBufCap(int(c.frameHint.Load())), h, name, typ, seqid, args)
	if err != nil {
		return nil, fmt.Errorf("rpc %s to %s: %w", name, c.addr, err)
	}
	noteSize(&c.frameHint, len(frame))
	return frame, nil
}

// enqueue writes frame (from the caller's goroutine, or as part of a
// concurrent caller's write) and recycles it. A caller that gathered a
// batch itself passes gather false: its write does not wait for other
// goroutines' frames.
func (c *Conn) enqueue(ctx context.Context, frame []byte, gather bool) error {
	if err := ctx.Err(); err != nil {
		putBuf(frame)
		return err
	}
	err := c.out.writeFrames(frame, gather)
	putBuf(frame)
	if err != nil {
		c.fail(err)
		return c.Err()
	}
	return nil
}

func (c *Conn) roundTrip(ctx context.Context, h wire.Header, name string, args thrift.TStruct) (wire.Reply, []byte, error) {
	seqid := c.seq.Add(1)
	frame, err := c.encode(ctx, h, name, thrift.CALL, seqid, args)
	if err != nil {
		return wire.Reply{}, nil, err
	}
	cl := &call{ready: make(chan struct{})}
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		putBuf(frame)
		return wire.Reply{}, nil, err
	}
	c.pending[seqid] = cl
	c.mu.Unlock()

	if err := c.enqueue(ctx, frame, true); err != nil {
		c.forget(seqid)
		return wire.Reply{}, nil, fmt.Errorf("rpc %s to %s: %w", name, c.addr, err)
	}
	select {
	case <-cl.ready:
		if cl.frame == nil {
			return wire.Reply{}, nil, fmt.Errorf("rpc %s to %s: %w", name, c.addr, c.Err())
		}
		return cl.rep, cl.frame, nil
	case <-ctx.Done():
		if !c.forget(seqid) {
			// The reply arrived while we gave up; drop it.
			<-cl.ready
			if cl.frame != nil {
				putBuf(cl.frame)
			}
		}
		return wire.Reply{}, nil, fmt.Errorf("rpc %s to %s: %w", name, c.addr, ctx.Err())
	}
}

// forget removes a pending call; false means the reader already took it.
func (c *Conn) forget(seqid int32) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pending[seqid]; !ok {
		return false
	}
	delete(c.pending, seqid)
	return true
}

func (c *Conn) readLoop() {
	defer c.wg.Done()
	br := bufio.NewReaderSize(c.nc, 64<<10)
	for {
		frame, err := wire.ReadReplyFrame(br, getBuf, c.opts.MaxReplySize)
		if err != nil {
			putBuf(frame)
			c.fail(err)
			return
		}
		rep, err := wire.ParseReply(frame)
		if err != nil {
			// The stream can no longer be trusted.
			c.fail(err)
			return
		}
		c.mu.Lock()
		cl, ok := c.pending[rep.Seqid]
		if ok {
			delete(c.pending, rep.Seqid)
		}
		c.mu.Unlock()
		if !ok {
			putBuf(frame) // the caller gave up on it
			continue
		}
		cl.rep, cl.frame = rep, frame
		close(cl.ready)
	}
}

// timeoutMillis is the remaining time of ctx's deadline in milliseconds,
// saturated to the u32 header field; 0 when ctx has no deadline.
func timeoutMillis(ctx context.Context) uint32 {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	ms := time.Until(dl).Milliseconds()
	switch {
	case ms <= 0:
		return 1
	case ms > math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(ms)
}
