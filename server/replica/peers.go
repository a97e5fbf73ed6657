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
// checks, learn requests) on its own timers.

const (
	peerQueueLen     = 8192
	peerDialTimeout  = 2 * time.Second
	peerSendTimeout  = 5 * time.Second
	peerRedialBackof = 500 * time.Millisecond
	// peerBatchMax bounds the messages written together.
	peerBatchMax = 256
)

type peers struct {
	log *slog.Logger
	ctx context.Context
	wg  *sync.WaitGroup

	mu     sync.Mutex // guards queues and conns
	queues map[netip.AddrPort]chan peerwire.Envelope
	conns  map[netip.AddrPort]*rpc.Conn
}

func newPeers(ctx context.Context, wg *sync.WaitGroup, log *slog.Logger) *peers {
	return &peers{log: log, ctx: ctx, wg: wg, queues: map[netip.AddrPort]chan peerwire.Envelope{}, conns: map[netip.AddrPort]*rpc.Conn{}}
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
	batch := make([]rpc.OneWay, 0, peerBatchMax)
	for {
		var e peerwire.Envelope
		select {
		case <-p.ctx.Done():
			return
		case e = <-q:
		}
		// Whatever queued meanwhile goes out in the same write.
		batch = p.add(batch[:0], e)
	drain:
		for len(batch) < peerBatchMax {
			select {
			case e = <-q:
				batch = p.add(batch, e)
			default:
				break drain
			}
		}
		if len(batch) == 0 || time.Now().Before(downUntil) {
			continue // unreachable a moment ago: drop rather than pile up
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
		if err != nil && p.ctx.Err() == nil {
			p.log.Debug("replica: peer send failed", "to", to, "err", err)
			downUntil = time.Now().Add(peerRedialBackof)
		}
	}
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
