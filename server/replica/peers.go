package replica

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/server/replica/peerwire"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// peers carries replica-to-replica messages: one queue and one sender
// goroutine per remote server, so that an event loop never waits on the
// network. A queue that is full or a server that cannot be reached drops
// messages; the state machine resends what matters (prepares, group
// checks, learn requests) on its own timers. After a failed dial or send
// the next attempt waits out a short backoff, and messages queued
// meanwhile wait for it rather than being dropped.

const (
	peerQueueLen    = 8192
	peerDialTimeout = 2 * time.Second
	peerSendTimeout = 5 * time.Second
	// After a failed dial or send the next attempt waits peerRedialMin,
	// doubling with each further failure up to peerRedialMax: a peer that
	// is restarting refuses connections for a moment and is then back.
	peerRedialMin = 25 * time.Millisecond
	peerRedialMax = 500 * time.Millisecond
	// peerBatchMax bounds the messages written together.
	peerBatchMax = 256
)

type peers struct {
	log *slog.Logger
	ctx context.Context
	wg  *sync.WaitGroup

	// redialMin and redialMax bound the backoff after a failed attempt
	// (peerRedialMin and peerRedialMax; tests change them).
	redialMin, redialMax time.Duration

	mu     sync.Mutex // guards queues and conns
	queues map[netip.AddrPort]chan peerwire.Envelope
	conns  map[netip.AddrPort]*rpc.Conn
}

func newPeers(ctx context.Context, wg *sync.WaitGroup, log *slog.Logger) *peers {
	return &peers{log: log, ctx: ctx, wg: wg, redialMin: peerRedialMin, redialMax: peerRedialMax, queues: map[netip.AddrPort]chan peerwire.Envelope{}, conns: map[netip.AddrPort]*rpc.Conn{}}
}

// send queues e for its receiver; it never blocks.
func (p *peers) send(e peerwire.Envelope) {
	to := e.Msg.To
	p.mu.Lock()
	q, ok := p.queues[to]
	if !ok {
		if p.ctx.Err() != nil {
			p.mu.Unlock()
			return
		}
		q = make(chan peerwire.Envelope, peerQueueLen)
		p.queues[to] = q
		p.wg.Add(1)
		go p.sender(to, q)
	}
	p.mu.Unlock()
	select {
	case q <- e:
	default:
		p.log.Debug("replica: peer queue full; message dropped", "to", to, "msg", e.Msg.Type)
	}
}

func (p *peers) sender(to netip.AddrPort, q chan peerwire.Envelope) {
	defer p.wg.Done()
	var downUntil time.Time
	var backoff time.Duration
	batch := make([]rpc.OneWay, 0, peerBatchMax)
	for {
		var e peerwire.Envelope
		select {
		case <-p.ctx.Done():
			return
		case e = <-q:
		}
		batch = p.add(batch[:0], e)
		if wait := time.Until(downUntil); wait > 0 {
			// Unreachable a moment ago: the batch waits for the next
			// attempt instead of being dropped. A restarting peer
			// refuses connections only for a moment, and a dropped
			// prepare held its writes until the state machine resent
			// it, a second later. (Only after a failure: a timer per
			// hold costs nothing that matters.)
			select {
			case <-p.ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		// Whatever queued meanwhile goes out in the same write.
		batch = p.drain(batch, q)
		if len(batch) == 0 {
			continue
		}
		c, err := p.conn(p.ctx, to)
		if err == nil {
			ctx, cancel := context.WithTimeout(p.ctx, peerSendTimeout)
			err = c.SendAll(ctx, batch)
			cancel()
			if err != nil {
				p.drop(to, c)
			}
		}
		clear(batch)
		if err == nil {
			backoff = 0
		} else if p.ctx.Err() == nil {
			// The batch is lost, and so is whatever queued during the
			// attempt: only messages sent during the backoff wait for the
			// next one, so a peer that comes back after a long outage
			// is not sent a queue of stale ones first.
			dropped := discard(q)
			backoff = min(max(2*backoff, p.redialMin), p.redialMax)
			p.log.Debug("replica: peer send failed", "to", to, "err", err, "dropped_queued", dropped, "retry_in", backoff)
			downUntil = time.Now().Add(backoff)
		}
	}
}

// discard empties q and returns how many messages it held.
func discard(q chan peerwire.Envelope) int {
	for n := 0; ; n++ {
		select {
		case <-q:
		default:
			return n
		}
	}
}

// drain adds the messages already queued to batch, up to peerBatchMax.
func (p *peers) drain(batch []rpc.OneWay, q chan peerwire.Envelope) []rpc.OneWay {
	for len(batch) < peerBatchMax {
		select {
		case e := <-q:
			batch = p.add(batch, e)
		default:
			return batch
		}
	}
	return batch
}

// add encodes e onto batch (a message that does not encode is logged and
// dropped: a bug, not a network condition).
func (p *peers) add(batch []rpc.OneWay, e peerwire.Envelope) []rpc.OneWay {
	name, args, err := peerwire.Encode(e)
	if err != nil {
		p.log.Error("replica: cannot encode peer message", "msg", e.Msg, "err", err)
		return batch
	}
	h := wire.Header{AppID: e.Msg.Pid.Appid, PartitionIndex: e.Msg.Pid.PartitionIndex}
	return append(batch, rpc.OneWay{Header: h, Name: name, Args: args})
}

// conn returns a connection to a replica server, dialling if needed.
func (p *peers) conn(ctx context.Context, to netip.AddrPort) (*rpc.Conn, error) {
	p.mu.Lock()
	c := p.conns[to]
	p.mu.Unlock()
	if c != nil && c.Err() == nil {
		return c, nil
	}
	dctx, cancel := context.WithTimeout(ctx, peerDialTimeout)
	defer cancel()
	nc, err := rpc.Dial(dctx, to.String(), rpc.ConnOptions{})
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old := p.conns[to]; old != nil && old != c && old.Err() == nil {
		nc.Close()
		return old, nil
	}
	if c != nil {
		c.Close()
	}
	p.conns[to] = nc
	return nc, nil
}

func (p *peers) drop(to netip.AddrPort, c *rpc.Conn) {
	p.mu.Lock()
	if p.conns[to] == c {
		delete(p.conns, to)
	}
	p.mu.Unlock()
	c.Close()
}

// close closes the connections; the senders end with the node's context.
func (p *peers) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for to, c := range p.conns {
		c.Close()
		delete(p.conns, to)
	}
}
