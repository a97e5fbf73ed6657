package admin

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// DefaultTimeout bounds one admin call when the caller's context has no
// earlier deadline.
const DefaultTimeout = 10 * time.Second

// Client sends admin RPCs to the meta leader, finding it among the
// configured meta servers.
type Client struct {
	mu     sync.Mutex // guards the fields below
	metas  []string
	leader int
	conns  map[string]*rpc.Conn
}

// New returns a client for the meta servers at metas (host:port).
func New(metas []string) *Client {
	return &Client{metas: append([]string(nil), metas...), conns: make(map[string]*rpc.Conn)}
}

// MetaServers lists the configured meta servers.
func (c *Client) MetaServers() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.metas...)
}

// Close closes every connection.
func (c *Client) Close() {
	c.mu.Lock()
	conns := c.conns
	c.conns = make(map[string]*rpc.Conn)
	c.mu.Unlock()
	for _, cn := range conns {
		cn.Close()
	}
}

// ErrNoMeta is wrapped when no meta server could be reached.
var ErrNoMeta = errors.New("no meta server reachable")

// OpError is an operation the meta server refused; Errno says why.
type OpError struct {
	Op    string
	Errno base.Errno
	Hint  string
}

func (e *OpError) Error() string {
	if e.Hint != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Op, e.Errno, e.Hint)
	}
	return fmt.Sprintf("%s: %s", e.Op, e.Errno)
}

// Unwrap lets errors.Is match the error code.
func (e *OpError) Unwrap() error { return e.Errno }

// errGetter is every meta response: its err field says whether the meta
// served it (ERR_FORWARD_TO_OTHERS: not the leader).
type errGetter interface{ GetErr() *base.ErrorCode }

// call sends one RPC to the leader: it starts with the current guess and
// moves through the other metas on connection failures and on
// ERR_FORWARD_TO_OTHERS. response extracts the response struct from result.
func (c *Client) call(ctx context.Context, name string, args, result thrift.TStruct, response func() errGetter) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	c.mu.Lock()
	n := len(c.metas)
	start := c.leader
	c.mu.Unlock()
	var lastErr error
	for attempt := 0; attempt < 2*n; attempt++ {
		i := (start + attempt) % n
		addr := c.meta(i)
		conn, err := c.conn(ctx, addr)
		if err == nil {
			err = conn.Call(ctx, wire.Header{}, name, args, result)
		}
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: %w", name, ctx.Err())
			}
			lastErr = fmt.Errorf("meta %s: %w", addr, err)
			c.drop(addr, conn)
			continue
		}
		if r := response(); r != nil && r.GetErr().Code() == base.ERR_FORWARD_TO_OTHERS {
			lastErr = fmt.Errorf("meta %s is not the leader", addr)
			continue
		}
		c.mu.Lock()
		c.leader = i
		c.mu.Unlock()
		return nil
	}
	return fmt.Errorf("%s: %w: %v", name, ErrNoMeta, lastErr)
}

func (c *Client) meta(i int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.metas[i]
}

func (c *Client) conn(ctx context.Context, addr string) (*rpc.Conn, error) {
	c.mu.Lock()
	cn := c.conns[addr]
	c.mu.Unlock()
	if cn != nil && cn.Err() == nil {
		return cn, nil
	}
	dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	cn, err := rpc.Dial(dctx, addr, rpc.ConnOptions{})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if old := c.conns[addr]; old != nil {
		old.Close()
	}
	c.conns[addr] = cn
	c.mu.Unlock()
	return cn, nil
}

func (c *Client) drop(addr string, cn *rpc.Conn) {
	if cn == nil {
		return
	}
	var keep bool
	c.mu.Lock()
	if c.conns[addr] == cn && cn.Err() == nil {
		keep = true // a remote error: the connection is fine
	} else if c.conns[addr] == cn {
		delete(c.conns, addr)
	}
	c.mu.Unlock()
	if !keep {
		cn.Close()
	}
}

// check turns a response's err field into an *OpError.
func check(op string, r errGetter, hint string) error {
	if r == nil {
		return &OpError{Op: op, Errno: base.ERR_UNKNOWN, Hint: "empty response"}
	}
	if code := r.GetErr().Code(); code != base.ERR_OK {
		return &OpError{Op: op, Errno: code, Hint: hint}
	}
	return nil
}
