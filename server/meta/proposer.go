package meta

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// proposer sends RPC_CONFIG_PROPOSAL (one-way) to replica servers. Each
// replica server has its own sender goroutine with a bounded queue and one
// connection, redialled after a failure, so a dead server delays nobody
// else. Proposals that do not fit the queue are dropped: cure sends them
// again.
type proposer struct {
	log   *slog.Logger
	queue int
	ctx   context.Context
	wg    sync.WaitGroup

	mu      sync.Mutex // guards senders and closed
	senders map[netip.AddrPort]chan *replication.ConfigurationUpdateRequest
	closed  bool
}

func newProposer(ctx context.Context, log *slog.Logger, queue int) *proposer {
	return &proposer{log: log, queue: queue, ctx: ctx, senders: map[netip.AddrPort]chan *replication.ConfigurationUpdateRequest{}}
}

// send queues a proposal for target; it never blocks.
func (p *proposer) send(target netip.AddrPort, req *replication.ConfigurationUpdateRequest) {
	p.mu.Lock()
	q, ok := p.senders[target]
	if !ok {
		if p.closed {
			p.mu.Unlock()
			return
		}
		q = make(chan *replication.ConfigurationUpdateRequest, p.queue)
		p.senders[target] = q
		p.wg.Add(1)
		go p.run(target, q)
	}
	p.mu.Unlock()
	select {
	case q <- req:
	default:
		p.log.Warn("meta: proposal queue full, dropping proposal", "node", target, "gpid", req.Config.Pid)
	}
}

func (p *proposer) run(target netip.AddrPort, q chan *replication.ConfigurationUpdateRequest) {
	defer p.wg.Done()
	var conn *rpc.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	for {
		var req *replication.ConfigurationUpdateRequest
		select {
		case <-p.ctx.Done():
			return
		case req = <-q:
		}
		if conn != nil && conn.Err() != nil {
			conn.Close()
			conn = nil
		}
		if conn == nil {
			ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
			c, err := rpc.Dial(ctx, target.String(), rpc.ConnOptions{})
			cancel()
			if err != nil {
				p.log.Debug("meta: cannot reach replica server for a proposal", "node", target, "err", err)
				continue
			}
			conn = c
		}
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		err := conn.Send(ctx, wire.Header{}, catalog.RPC_CONFIG_PROPOSAL,
			&replication.ReplicationConfigProposalArgs{Proposal: req})
		cancel()
		if err != nil {
			p.log.Debug("meta: send proposal", "node", target, "err", err)
			conn.Close()
			conn = nil
			continue
		}
		p.log.Debug("meta: sent proposal", "node", target, "gpid", req.Config.Pid, "type", req.Type, "ballot", req.Config.Ballot)
	}
}

// close stops taking proposals and waits until every sender has stopped;
// the caller cancels ctx first.
func (p *proposer) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.wg.Wait()
}
