package client

import (
	"context"
	"fmt"
	"sync"

	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// connPool holds one connection per server address (meta and replica
// servers alike). A connection that reports an error is replaced by a new
// dial the next time it is asked for; dials of one address are shared by
// every caller waiting for it.
type connPool struct {
	opts rpc.ConnOptions

	mu     sync.Mutex // guards conns and closed
	conns  map[string]*poolEntry
	closed bool
}

// poolEntry is one address's connection, or the dial producing it.
// ready is closed when the dial has finished; conn and err are set before.
type poolEntry struct {
	ready chan struct{}
	conn  *rpc.Conn
	err   error
}

func newConnPool(opts rpc.ConnOptions) *connPool {
	return &connPool{opts: opts, conns: make(map[string]*poolEntry)}
}

// dialError marks an error from establishing a connection: the request that
// wanted it was never sent.
type dialError struct {
	err error
}

// Error is the dial's own error, which already names the address.
func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// get returns a usable connection to addr, dialling if there is none.
func (p *connPool) get(ctx context.Context, addr string) (*rpc.Conn, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrClosed
		}
		e := p.conns[addr]
		if e == nil {
			e = &poolEntry{ready: make(chan struct{})}
			p.conns[addr] = e
			p.mu.Unlock()
			p.dial(ctx, addr, e)
			if e.err != nil {
				return nil, e.err
			}
			return e.conn, nil
		}
		p.mu.Unlock()

		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, &dialError{err: fmt.Errorf("wait for connection to %s: %w", addr, ctx.Err())}
		}
		if e.err == nil && e.conn.Err() == nil {
			return e.conn, nil
		}
		// The connection broke, or somebody else's dial failed (perhaps
		// only because their context ended): dial afresh.
		p.drop(addr, e)
	}
}

// dial fills e and wakes everyone waiting for it. A failed entry is left in
// the map until the next get replaces it. The outcome is published under
// mu, so that close either sees the connection or the dial sees closed.
func (p *connPool) dial(ctx context.Context, addr string, e *poolEntry) {
	conn, err := rpc.Dial(ctx, addr, p.opts)
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err != nil:
		e.err = &dialError{err: err}
	case p.closed:
		conn.Close()
		e.err = ErrClosed
	default:
		e.conn = conn
	}
	close(e.ready)
}

// drop removes e from the map if it is still addr's entry, and closes its
// connection.
func (p *connPool) drop(addr string, e *poolEntry) {
	p.mu.Lock()
	if p.conns[addr] == e {
		delete(p.conns, addr)
	}
	p.mu.Unlock()
	if e.conn != nil {
		e.conn.Close()
	}
}

// close closes every connection; later gets fail with ErrClosed, and dials
// in progress close their connection when they finish.
func (p *connPool) close() {
	p.mu.Lock()
	p.closed = true
	var conns []*rpc.Conn
	for _, e := range p.conns {
		select {
		case <-e.ready:
			if e.conn != nil {
				conns = append(conns, e.conn)
			}
		default: // still dialling: dial sees closed
		}
	}
	p.conns = make(map[string]*poolEntry)
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}
