package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// metaResolver sends configuration queries to the meta server leader,
// discovering it as protocol.md §6.1 describes: ask the current guess; a
// non-leader answers ERR_FORWARD_TO_OTHERS, usually naming the leader, which
// is asked next; a meta that cannot be reached, does not answer within the
// per-call timeout, or is not serving yet makes the resolver try the other
// configured metas. When every meta has been tried it waits (backoff) and
// starts over, until the context ends.
type metaResolver struct {
	pool        *connPool
	callTimeout time.Duration
	backoff     backoffPolicy

	mu     sync.Mutex // guards addrs and leader
	addrs  []string   // configured metas plus leaders learned from forwards
	leader string     // current leader guess
}

func newMetaResolver(pool *connPool, addrs []string, callTimeout time.Duration, bp backoffPolicy) *metaResolver {
	m := &metaResolver{pool: pool, callTimeout: callTimeout, backoff: bp, addrs: slices.Clone(addrs)}
	if len(addrs) > 0 {
		m.leader = addrs[0]
	}
	return m
}

// order is the sequence in which one round asks the metas: the leader guess
// first, then the others in configuration order.
func (m *metaResolver) order() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.addrs))
	if m.leader != "" {
		out = append(out, m.leader)
	}
	for _, a := range m.addrs {
		if a != m.leader {
			out = append(out, a)
		}
	}
	return out
}

func (m *metaResolver) setLeader(addr string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.leader = addr
	if !slices.Contains(m.addrs, addr) {
		m.addrs = append(m.addrs, addr)
	}
}

// queryConfig returns the leader's answer to a partition configuration
// query for table. Any answer other than ERR_FORWARD_TO_OTHERS and "not
// serving yet" is the leader's and is returned for the caller to interpret.
func (m *metaResolver) queryConfig(ctx context.Context, table string) (*layer2.QueryCfgResponse, error) {
	var lastErr error
	b := m.backoff.start()
	for {
		queue := m.order()
		if len(queue) == 0 {
			return nil, fmt.Errorf("%w: no meta server configured", ErrMetaUnavailable)
		}
		tried := make(map[string]bool, len(queue))
		for len(queue) > 0 {
			addr := queue[0]
			queue = queue[1:]
			if tried[addr] {
				continue
			}
			tried[addr] = true
			resp, err := m.call(ctx, addr, table)
			if ctx.Err() != nil {
				return nil, metaUnavailable(ctx, lastErr, err)
			}
			if err != nil {
				lastErr = fmt.Errorf("meta %s: %w", addr, err)
				continue
			}
			switch code := resp.GetErr().Code(); code {
			case base.ERR_FORWARD_TO_OTHERS:
				lastErr = fmt.Errorf("meta %s: not the leader", addr)
				if fwd := forwardAddress(resp); fwd != "" && !tried[fwd] {
					m.mu.Lock()
					if !slices.Contains(m.addrs, fwd) {
						m.addrs = append(m.addrs, fwd)
					}
					m.mu.Unlock()
					queue = append([]string{fwd}, queue...)
				}
			case base.ERR_SERVICE_NOT_ACTIVE, base.ERR_UNDER_RECOVERY:
				lastErr = fmt.Errorf("meta %s: %w", addr, code)
			default:
				m.setLeader(addr)
				return resp, nil
			}
		}
		if !b.wait(ctx) {
			return nil, metaUnavailable(ctx, lastErr, nil)
		}
	}
}

// metaUnavailable is the error once the context ends before any meta
// answered as leader.
func metaUnavailable(ctx context.Context, lastErr, callErr error) error {
	if lastErr == nil {
		lastErr = callErr
	}
	if lastErr == nil {
		return fmt.Errorf("%w: %w", ErrMetaUnavailable, ctx.Err())
	}
	return fmt.Errorf("%w: %w (last error: %v)", ErrMetaUnavailable, ctx.Err(), lastErr)
}

// call sends one query to one meta, bounded by the per-call timeout.
func (m *metaResolver) call(ctx context.Context, addr, table string) (*layer2.QueryCfgResponse, error) {
	cctx, cancel := context.WithTimeout(ctx, m.callTimeout)
	defer cancel()
	conn, err := m.pool.get(cctx, addr)
	if err != nil {
		return nil, err
	}
	args := &admin.MetaQueryConfigArgs{Query: &layer2.QueryCfgRequest{AppName: table, PartitionIndices: []int32{}}}
	res := admin.NewMetaQueryConfigResult()
	if err := conn.Call(cctx, wire.Header{}, catalog.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX, args, res); err != nil {
		return nil, err
	}
	if res.Success == nil {
		return nil, errors.New("reply has no query_cfg_response")
	}
	return res.Success, nil
}

// forwardAddress is the leader a non-leader meta names in its answer: the
// primary of its single partition entry (protocol.md §6.3), or "".
func forwardAddress(resp *layer2.QueryCfgResponse) string {
	if len(resp.Partitions) != 1 || resp.Partitions[0] == nil {
		return ""
	}
	p := resp.Partitions[0].Primary
	if p.IsInvalid() {
		return ""
	}
	return p.String()
}
