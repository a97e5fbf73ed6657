package replica

import (
	"context"
	"net/netip"
	"time"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/server/replica/peerwire"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// The node's side of the replica-to-replica protocol: incoming peer
// messages go to their replica's event loop; outgoing ones to peers; the
// state machine's requests to the meta go out as
// RPC_CM_UPDATE_PARTITION_CONFIGURATION and their answers come back to
// the loop.

// handlePeer receives one peer message (all peer RPCs are one-way).
func (n *Node) handlePeer(_ context.Context, req *rpc.Request) rpc.Reply {
	e, err := peerwire.Decode(req)
	if err != nil {
		n.log.Debug("replica node: malformed peer message", "rpc", req.Name, "remote", req.Remote, "err", err)
		return rpc.Reply{Silent: true}
	}
	m := e.Msg
	if m.To != n.addr {
		n.log.Debug("replica node: peer message for another node", "to", m.To, "msg", m.Type)
		return rpc.Reply{Silent: true}
	}
	r := n.srv.Replica(m.Pid)
	if r == nil && m.Type == pacifica.MsgGroupCheck && m.ReceiverStatus == pacifica.StatusPotentialSecondary && e.App != nil {
		// Invited to learn: open the stored replica or create an empty one.
		var err error
		if r, err = n.replicaForLearning(m.Pid, e); err != nil {
			n.log.Warn("replica node: cannot host a learner", "gpid", gpidString(m.Pid), "err", err)
			return rpc.Reply{Silent: true}
		}
	}
	if r == nil {
		// A message for a frozen split child can only come from a member of
		// the registered child: the meta took it.
		r = n.hostRegisteredChild(m)
	}
	if r == nil {
		return rpc.Reply{Silent: true} // the sender times out and reports us
	}
	if m.Type == pacifica.MsgGroupCheck {
		r.takeDupConfirmed(e)
	}
	r.post(func() {
		switch m.Type {
		case pacifica.MsgGroupCheck:
			r.onSplitCheck(e)
		case pacifica.MsgGroupCheckReply:
			r.onSplitReply(e)
		}
		if m.Type == pacifica.MsgPrepareAck && (m.Err == "" || m.Err == base.ERR_OK) {
			if took, ok := r.acks.acked(m.Decree, m.From, time.Now()); ok {
				r.links.prepareAcked(m.From, took)
			}
		}
		if err := r.sm.Step(m); err != nil {
			r.log.Debug("replica: peer message refused", "msg", m, "err", err)
		}
	})
	return rpc.Reply{Silent: true}
}

func (n *Node) replicaForLearning(pid base.Gpid, e peerwire.Envelope) (*Replica, error) {
	n.hostMu.Lock()
	defer n.hostMu.Unlock()
	if r := n.srv.Replica(pid); r != nil {
		return r, nil
	}
	if r, ok, err := n.reopenClosed(pid); ok || err != nil {
		return r, err
	}
	return n.create(pid, e.App)
}

func (n *Node) sendPeer(e peerwire.Envelope) { n.peers.send(e) }

func (n *Node) syncSoon() { n.triggerSync() }

func (n *Node) prepareAcked(peer netip.AddrPort, took time.Duration) {
	if n.opts.PrepareAckObserver != nil {
		n.opts.PrepareAckObserver(peer, took)
	}
}

// closing closes a replica the state machine let go (config sync did not
// list it), outside its loop.
func (n *Node) closing(r *Replica) {
	n.spawn(func() {
		n.hostMu.Lock()
		defer n.hostMu.Unlock()
		if n.srv.Replica(r.Gpid) == r {
			n.closeReplica(r, "the meta does not list this node for it")
		}
	})
}

// askMeta sends one copy of a configuration request; the state machine
// repeats it until it gets an answer.
func (n *Node) askMeta(r *Replica, req pacifica.ConfigRequest) {
	if !n.Connected() {
		return
	}
	n.spawn(func() {
		ctx, cancel := context.WithTimeout(n.ctx, 5*time.Second)
		defer cancel()
		cfg := peerwire.ConfigToPartition(req.Config)
		cfg.LastCommittedDecree = req.Committed
		node := peerwire.FromAddrPort(req.Node)
		q := &replication.ConfigurationUpdateRequest{Info: r.appInfo(), Config: cfg, Type: req.Type, Node: node, HpNode: hostPortOf(req.Node)}
		res := replication.NewReplicationUpdatePartitionConfigurationResult()
		addr, errno, err := n.meta.callLeader(ctx, catalog.RPC_CM_UPDATE_PARTITION_CONFIGURATION, &replication.ReplicationUpdatePartitionConfigurationArgs{Req: q}, res,
			func() *base.ErrorCode { return answerErr(res.Success) })
		if err != nil || errno == base.ERR_FORWARD_TO_OTHERS {
			n.log.Debug("replica node: configuration request failed; the replica retries", "gpid", gpidString(r.Gpid), "meta", addr, "errno", errno, "err", err)
			return
		}
		var stored pacifica.Config
		if res.Success.Config != nil {
			if stored, err = peerwire.ConfigFromPartition(res.Success.Config); err != nil {
				n.log.Warn("replica node: meta answered a configuration it cannot read", "err", err)
				return
			}
		}
		n.log.Info("replica node: meta answered a configuration request", "gpid", gpidString(r.Gpid), "type", req.Type,
			"node", req.Node, "err", errno, "ballot", stored.Ballot)
		r.post(func() { r.sm.ConfigReply(req, errno, stored) })
	})
}
