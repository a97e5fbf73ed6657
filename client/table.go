package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/thrift/wire"
)

// Table is one table of the cluster: the data operations route through its
// cached partition configuration. It is safe for concurrent use and lives
// as long as its Client.
type Table struct {
	c    *Client
	name string

	route atomic.Pointer[routeTable]

	mu          sync.Mutex   // guards inflight and refreshedAt
	inflight    *refreshCall // the refresh running now, or nil
	refreshedAt time.Time    // when the last refresh ended
}

// minRefreshInterval spaces out the refreshes that timeouts start (see
// refreshSoon); refreshes that operations wait for are not limited.
const minRefreshInterval = time.Second

// refreshCall is one configuration query shared by every operation that
// asked for a refresh while it ran. err is set before done is closed.
type refreshCall struct {
	done chan struct{}
	err  error
}

func newTable(c *Client, name string, rt *routeTable) *Table {
	t := &Table{c: c, name: name}
	t.route.Store(rt)
	return t
}

// Name is the table's name.
func (t *Table) Name() string { return t.name }

// PartitionCount is the number of partitions in the current configuration.
func (t *Table) PartitionCount() int { return int(t.route.Load().count) }

// refresh makes sure the configuration is newer than snapshot seen,
// starting a query unless one is already running, and waits for it (or for
// ctx). The query runs on a goroutine owned by the Client, so a caller
// giving up does not cancel it for the others waiting.
func (t *Table) refresh(ctx context.Context, seen uint64) error {
	t.mu.Lock()
	if t.route.Load().gen > seen {
		t.mu.Unlock()
		return nil
	}
	rc := t.inflight
	if rc == nil {
		rc = &refreshCall{done: make(chan struct{})}
		if !t.c.goBackground(func() { t.runRefresh(rc, seen) }) {
			t.mu.Unlock()
			return ErrClosed
		}
		t.inflight = rc
	}
	t.mu.Unlock()
	select {
	case <-rc.done:
		return rc.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// freshRoute returns a configuration queried after the call began: it
// waits for a refresh already running (which may have been answered
// before), then refreshes past the snapshot it left.
func (t *Table) freshRoute(ctx context.Context) (*routeTable, error) {
	t.mu.Lock()
	running := t.inflight
	t.mu.Unlock()
	if running != nil {
		select {
		case <-running.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err := t.refresh(ctx, t.route.Load().gen); err != nil {
		return nil, err
	}
	return t.route.Load(), nil
}

// refreshSoon starts a refresh past snapshot seen without waiting for it,
// unless one is running, the snapshot was already replaced, or a refresh
// ended less than minRefreshInterval ago. Operations that time out call
// it: a server that accepts requests but never answers (a stopped
// process) produces no error that would otherwise reveal a new primary.
func (t *Table) refreshSoon(seen uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.inflight != nil || t.route.Load().gen > seen || time.Since(t.refreshedAt) < minRefreshInterval {
		return
	}
	rc := &refreshCall{done: make(chan struct{})}
	if t.c.goBackground(func() { t.runRefresh(rc, seen) }) {
		t.inflight = rc
	}
}

func (t *Table) runRefresh(rc *refreshCall, seen uint64) {
	ctx, cancel := context.WithTimeout(t.c.ctx, t.c.cfg.RefreshTimeout)
	defer cancel()
	rt, err := t.c.fetchRoute(ctx, t.name, seen+1)
	if err != nil {
		rc.err = fmt.Errorf("refresh configuration: %w", err)
	}
	if err != nil && t.c.ctx.Err() == nil {
		t.c.log.Warn("client: refresh of table configuration failed", "table", t.name, "err", err)
	}
	t.mu.Lock()
	if err == nil {
		t.route.Store(rt)
	}
	t.inflight = nil
	t.refreshedAt = time.Now()
	t.mu.Unlock()
	close(rc.done)
}

// request is one RPC of an operation.
type request struct {
	op     string // Table method, for errors
	rpc    string // RPC name
	target target
	kind   opKind
	args   thrift.TStruct
	// regroup: a request about several keys grouped by partition; after a
	// refresh it is not resent but fails with errRegroup, so that the
	// caller groups its keys again under the new configuration.
	regroup bool
}

// errRegroup is wrapped by a grouped request's error when the configuration
// was refreshed and its keys must be grouped again.
var errRegroup = errors.New("the configuration changed: keys must be grouped again")

// call sends req to the primary of its partition and decodes the reply
// into result, retrying (see react) until the context's deadline. Errors
// are wrapped with the operation and table.
func (t *Table) call(ctx context.Context, req request, result thrift.TStruct) error {
	if t.c.isClosed() {
		return opError(req.op, t.name, ErrClosed)
	}
	ctx, cancel := t.c.withTimeout(ctx)
	defer cancel()
	b := t.c.cfg.backoff().start()
	var prev error // the previous attempt's error
	for {
		rt := t.route.Load()
		err := t.attempt(ctx, rt, req, result)
		if err == nil {
			return nil
		}
		if prev != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			// The deadline cut this attempt short: the previous attempt's
			// refusal says why the operation did not succeed.
			return opError(req.op, t.name, deadlineError(ctx, prev))
		}
		prev = err
		if ctx.Err() != nil {
			t.refreshSoon(rt.gen)
		}
		r := react(ctx, err, req.kind)
		if r.refresh {
			// A failed refresh does not end the retries by itself (the meta
			// servers may come back before the deadline) unless the table
			// is gone or the client closed.
			if rerr := t.refresh(ctx, rt.gen); rerr != nil && ctx.Err() == nil {
				err = fmt.Errorf("%w; %w", err, rerr)
				if errors.Is(rerr, ErrTableNotFound) || errors.Is(rerr, ErrClosed) {
					return opError(req.op, t.name, err)
				}
			}
			if req.regroup && r.retry && t.route.Load().gen != rt.gen {
				return fmt.Errorf("%w (after %w)", errRegroup, err)
			}
		}
		if !r.retry {
			if ctx.Err() != nil {
				return opError(req.op, t.name, deadlineError(ctx, err))
			}
			return opError(req.op, t.name, err)
		}
		if !b.pause(ctx, r) {
			return opError(req.op, t.name, deadlineError(ctx, err))
		}
	}
}

// attempt sends req once along snapshot rt.
func (t *Table) attempt(ctx context.Context, rt *routeTable, req request, result thrift.TStruct) error {
	idx, addr, err := rt.locate(req.target)
	if err != nil {
		return err
	}
	conn, err := t.c.pool.get(ctx, addr)
	if err != nil {
		return fmt.Errorf("partition %d.%d: %w", rt.appID, idx, err)
	}
	h := wire.Header{AppID: rt.appID, PartitionIndex: idx, PartitionHash: req.target.hash}
	if err := conn.Call(ctx, h, req.rpc, req.args, result); err != nil {
		return fmt.Errorf("partition %d.%d: %w", rt.appID, idx, err)
	}
	return nil
}

// send sends a one-way request to the partition of tg along the current
// configuration, without retries.
func (t *Table) send(ctx context.Context, tg target, rpcName string, args thrift.TStruct) error {
	rt := t.route.Load()
	idx, addr, err := rt.locate(tg)
	if err != nil {
		return err
	}
	conn, err := t.c.pool.get(ctx, addr)
	if err != nil {
		return err
	}
	h := wire.Header{AppID: rt.appID, PartitionIndex: idx, PartitionHash: tg.hash}
	return conn.Send(ctx, h, rpcName, args)
}
