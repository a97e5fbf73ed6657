package replica

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// metaLink is a replica server's connection to the meta servers: it keeps
// a guess of the leader, one connection per meta, and moves its guess when
// a call fails or a meta names another leader.
type metaLink struct {
	mu     sync.Mutex // guards the fields below
	addrs  []string
	leader int // index into addrs of the current guess
	conns  map[string]*rpc.Conn
	closed bool
}

func newMetaLink(addrs []string) *metaLink {
	return &metaLink{addrs: append([]string(nil), addrs...), conns: make(map[string]*rpc.Conn)}
}

// current is the meta the next call goes to.
func (m *metaLink) current() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.addrs[m.leader]
}

// size is the number of meta servers known.
func (m *metaLink) size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.addrs)
}

// follow makes addr the leader guess, adding it to the list if unknown.
func (m *metaLink) follow(addr string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, a := range m.addrs {
		if a == addr {
			m.leader = i
			return
		}
	}
	m.addrs = append(m.addrs, addr)
	m.leader = len(m.addrs) - 1
}

// next moves the guess to the following meta after a failure at addr.
func (m *metaLink) next(addr string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.addrs[m.leader] == addr {
		m.leader = (m.leader + 1) % len(m.addrs)
	}
}

func (m *metaLink) conn(ctx context.Context, addr string) (*rpc.Conn, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, errors.New("meta link closed")
	}
	if c := m.conns[addr]; c != nil && c.Err() == nil {
		m.mu.Unlock()
		return c, nil
	}
	m.mu.Unlock()
	c, err := rpc.Dial(ctx, addr, rpc.ConnOptions{})
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		c.Close()
		return nil, errors.New("meta link closed")
	}
	if old := m.conns[addr]; old != nil {
		old.Close()
	}
	m.conns[addr] = c
	return c, nil
}

// call sends one RPC to addr; a connection-level failure moves the leader
// guess on.
func (m *metaLink) call(ctx context.Context, addr, name string, args, result thrift.TStruct) error {
	c, err := m.conn(ctx, addr)
	if err == nil {
		err = c.Call(ctx, wire.Header{}, name, args, result)
	}
	if err != nil {
		var re *rpc.RemoteError
		if !errors.As(err, &re) {
			m.next(addr)
		}
		return fmt.Errorf("meta %s: %w", addr, err)
	}
	return nil
}

// callLeader sends one RPC to the meta server taken for the leader and
// returns the address asked and the answer's error code, which errOf reads
// from result (nil: the answer carried none, an error here). A follower's
// ERR_FORWARD_TO_OTHERS moves the leader guess on and comes back as the
// error code, for the caller to retry or leave to its next round.
func (m *metaLink) callLeader(ctx context.Context, name string, args, result thrift.TStruct, errOf func() *base.ErrorCode) (string, base.Errno, error) {
	addr := m.current()
	if err := m.call(ctx, addr, name, args, result); err != nil {
		return addr, "", err
	}
	e := errOf()
	if e == nil {
		return addr, "", fmt.Errorf("meta %s: %s: answer without an error code", addr, name)
	}
	if e.Code() == base.ERR_FORWARD_TO_OTHERS {
		m.next(addr)
	}
	return addr, e.Code(), nil
}

// answerErr is the error code of an RPC result's answer (its Success),
// nil when there is no answer; for callLeader's errOf.
func answerErr[R interface {
	*S
	GetErr() *base.ErrorCode
}, S any](success R) *base.ErrorCode {
	if success == nil {
		return nil
	}
	return success.GetErr()
}

func (m *metaLink) close() {
	m.mu.Lock()
	m.closed = true
	conns := m.conns
	m.conns = nil
	m.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}
