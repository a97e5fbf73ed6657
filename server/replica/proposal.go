package replica

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"time"

	"github.com/pegasus-go/pegasus/server/backup"
	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/server/replica/peerwire"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// handleProposal receives RPC_CONFIG_PROPOSAL (one-way) from the meta.
func (n *Node) handleProposal(ctx context.Context, req *rpc.Request) rpc.Reply {
	args := replication.NewReplicationConfigProposalArgs()
	if err := req.DecodeArgs(args); err != nil || args.Proposal == nil || args.Proposal.Config == nil ||
		args.Proposal.Config.Pid == nil || args.Proposal.Info == nil {
		n.log.Warn("replica node: malformed configuration proposal", "remote", req.Remote, "err", err)
		return rpc.Reply{Silent: true}
	}
	if !n.Connected() {
		// Proposals from a meta whose lease we do not hold are not acted on.
		return rpc.Reply{Silent: true}
	}
	p := args.Proposal
	n.spawn(func() { n.onProposal(p) })
	return rpc.Reply{Silent: true}
}

func (n *Node) onProposal(p *replication.ConfigurationUpdateRequest) {
	gpid := *p.Config.Pid
	cfg, err := peerwire.ConfigFromPartition(p.Config)
	if err != nil {
		n.log.Warn("replica node: unreadable configuration proposal", "gpid", gpidString(gpid), "err", err)
		return
	}
	node := peerwire.AddrPort(p.Node)
	r := n.srv.Replica(gpid)
	if p.Type == admin.ConfigType_CT_ASSIGN_PRIMARY && node == n.addr {
		n.hostMu.Lock()
		r, err = n.replicaForAssignment(p)
		n.hostMu.Unlock()
		if errors.Is(err, errRestoring) {
			return // restore.go proposes again once the data is in
		}
		if err != nil {
			n.log.Error("replica node: cannot take primary", "gpid", gpidString(gpid), "ballot", p.Config.Ballot, "err", err)
			return
		}
	}
	if r == nil {
		return
	}
	n.updateAppInfo(r, p.Info, true) // a proposal never changes the partition count
	prop := pacifica.Proposal{Type: p.Type, Node: node, Config: cfg}
	r.post(func() { r.sm.Proposal(prop) })
}

var errNoData = errors.New("asked to serve a partition that had data elsewhere, but this node stores none")

// neverServed reports whether a partition configuration shows no member,
// now or before (no primary, secondaries or last drops): only then can a
// new, empty replica serve it without losing data. (A table dropped and
// recalled before it was ever assigned has ballot > 0 but no members.)
func neverServed(cfg *layer2.PartitionConfiguration) bool {
	return (cfg.Primary == nil || cfg.Primary.IsZero()) && len(cfg.Secondaries) == 0 && len(cfg.LastDrops) == 0
}

// replicaForAssignment opens (or creates, for a partition that never had a
// member) the replica an assignment names.
func (n *Node) replicaForAssignment(p *replication.ConfigurationUpdateRequest) (*Replica, error) {
	gpid, info, cfg := *p.Config.Pid, p.Info, p.Config
	if r := n.srv.Replica(gpid); r != nil {
		return r, nil
	}
	if r, ok, err := n.reopenClosed(gpid); ok || err != nil {
		return r, err
	}
	if !neverServed(cfg) {
		return nil, errNoData
	}
	if src, ok, err := backup.SourceFromEnvs(info.Envs); ok || err != nil {
		if err != nil {
			return nil, err
		}
		n.startRestore(p, src)
		return nil, errRestoring
	}
	return n.create(gpid, info)
}

// requestRemoval asks the meta to drop this node from a partition it
// cannot serve (listed as a member of a replica it does not store).
func (n *Node) requestRemoval(gpid base.Gpid, info *layer2.AppInfo, cfg *layer2.PartitionConfiguration) {
	c, err := peerwire.ConfigFromPartition(cfg)
	if err != nil {
		n.log.Warn("replica node: unreadable configuration; no removal asked", "gpid", gpidString(gpid), "err", err)
		return
	}
	c.Ballot++
	if c.Primary == n.addr {
		c.Primary = netip.AddrPort{}
	}
	c.Secondaries = slices.DeleteFunc(c.Secondaries, func(s netip.AddrPort) bool { return s == n.addr })
	next := peerwire.ConfigToPartition(c)
	ctx, cancel := context.WithTimeout(n.ctx, 5*time.Second)
	defer cancel()
	addr := n.meta.current()
	res := replication.NewReplicationUpdatePartitionConfigurationResult()
	err = n.meta.call(ctx, addr, catalog.RPC_CM_UPDATE_PARTITION_CONFIGURATION, &replication.ReplicationUpdatePartitionConfigurationArgs{
		Req: &replication.ConfigurationUpdateRequest{Info: info, Config: next, Type: admin.ConfigType_CT_DOWNGRADE_TO_INACTIVE, Node: n.self, HpNode: n.selfHP}}, res)
	if err != nil || res.Success == nil {
		n.log.Debug("replica node: removal request failed", "gpid", gpidString(gpid), "err", err)
		return
	}
	n.log.Info("replica node: asked to be removed from a partition it does not store", "gpid", gpidString(gpid), "err", res.Success.Err.Code())
}
