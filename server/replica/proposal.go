package replica

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// How long a configuration update keeps retrying transport failures.
const (
	updateRetryInterval = time.Second
	updateGiveUpAfter   = time.Minute
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
	switch p.Type {
	case admin.ConfigType_CT_ASSIGN_PRIMARY:
		if !n.isSelf(p.Node) {
			return
		}
		n.hostMu.Lock()
		r, err := n.replicaForAssignment(gpid, p.Info, p.Config)
		n.hostMu.Unlock()
		if err != nil {
			n.log.Error("replica node: cannot take primary", "gpid", gpidString(gpid), "ballot", p.Config.Ballot, "err", err)
			return
		}
		if r.Ballot() > p.Config.Ballot {
			return // stale proposal
		}
		n.startReconfiguration(r, p.Info, p.Config, admin.ConfigType_CT_ASSIGN_PRIMARY)
	default:
		n.log.Debug("replica node: proposal not handled yet", "gpid", gpidString(gpid), "type", p.Type)
	}
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
// primary) the replica an assignment names.
func (n *Node) replicaForAssignment(gpid base.Gpid, info *layer2.AppInfo, cfg *layer2.PartitionConfiguration) (*Replica, error) {
	if r := n.srv.Replica(gpid); r != nil {
		return r, nil
	}
	n.mu.Lock()
	st, onDisk := n.closed[gpid]
	if onDisk {
		delete(n.closed, gpid)
	}
	n.mu.Unlock()
	if onDisk {
		r, err := n.open(gpid, st.dir, st.state)
		if err != nil {
			n.mu.Lock()
			n.closed[gpid] = st
			n.mu.Unlock()
		}
		return r, err
	}
	if !neverServed(cfg) {
		return nil, errNoData
	}
	dir := replicaDir(n.opts.DataDir, gpid)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	state := replicaState{
		AppID: gpid.Appid, PartitionIndex: gpid.PartitionIndex, AppName: info.AppName, AppType: info.AppType,
		PartitionCount: info.PartitionCount, MaxReplicaCount: info.MaxReplicaCount, Envs: copyEnvs(info.Envs),
	}
	if err := writeState(dir, state); err != nil {
		return nil, err
	}
	return n.open(gpid, dir, state)
}

// startReconfiguration asks the meta to make this node primary of r at the
// next ballot, in the background; it does nothing if a change is already in
// flight for r.
func (n *Node) startReconfiguration(r *Replica, info *layer2.AppInfo, cfg *layer2.PartitionConfiguration, typ admin.ConfigType) {
	r.cfgMu.Lock()
	if r.reconfiguring {
		r.cfgMu.Unlock()
		return
	}
	r.reconfiguring = true
	r.cfgMu.Unlock()
	next := copyConfig(cfg)
	next.Ballot = cfg.Ballot + 1
	next.Primary, next.HpPrimary = n.self, n.selfHP
	next.Secondaries, next.HpSecondaries = []*base.RPCAddress{}, []*base.HostPort{}
	req := &replication.ConfigurationUpdateRequest{Info: info, Config: next, Type: typ, Node: n.self, HpNode: n.selfHP}
	n.spawn(func() {
		defer func() {
			r.cfgMu.Lock()
			r.reconfiguring = false
			r.cfgMu.Unlock()
		}()
		stored, ok := n.updateOnMeta(req)
		if ok && n.isSelf(stored.Primary) {
			n.becomePrimary(r, info, stored)
		}
	})
}

// requestRemoval asks the meta to drop this node from a partition it cannot
// serve.
func (n *Node) requestRemoval(gpid base.Gpid, info *layer2.AppInfo, cfg *layer2.PartitionConfiguration) {
	next := copyConfig(cfg)
	next.Ballot = cfg.Ballot + 1
	if n.isSelf(next.Primary) {
		next.Primary, next.HpPrimary = &base.RPCAddress{}, &base.HostPort{}
	}
	n.updateOnMeta(&replication.ConfigurationUpdateRequest{Info: info, Config: next,
		Type: admin.ConfigType_CT_DOWNGRADE_TO_INACTIVE, Node: n.self, HpNode: n.selfHP})
}

// updateOnMeta sends a configuration update until the meta answers it,
// retrying transport failures. It returns the configuration the meta stored
// and whether the update (or a newer configuration) was accepted.
func (n *Node) updateOnMeta(req *replication.ConfigurationUpdateRequest) (*layer2.PartitionConfiguration, bool) {
	gpid := gpidString(*req.Config.Pid)
	deadline := time.Now().Add(updateGiveUpAfter)
	for time.Now().Before(deadline) {
		addr := n.meta.current()
		ctx, cancel := context.WithTimeout(n.ctx, 5*time.Second)
		res := replication.NewReplicationUpdatePartitionConfigurationResult()
		err := n.meta.call(ctx, addr, catalog.RPC_CM_UPDATE_PARTITION_CONFIGURATION,
			&replication.ReplicationUpdatePartitionConfigurationArgs{Req: req}, res)
		cancel()
		if n.ctx.Err() != nil {
			return nil, false
		}
		if err == nil && res.Success != nil {
			switch res.Success.Err.Code() {
			case base.ERR_OK:
				n.log.Info("replica node: configuration accepted", "gpid", gpid, "type", req.Type, "ballot", res.Success.Config.GetBallot())
				return res.Success.Config, res.Success.Config != nil
			case base.ERR_INVALID_VERSION:
				// Someone else's change won; adopt it if it is newer.
				stored := res.Success.Config
				n.log.Info("replica node: configuration update lost to a newer one", "gpid", gpid, "stored_ballot", stored.GetBallot())
				return stored, stored != nil && stored.Ballot >= req.Config.Ballot
			case base.ERR_FORWARD_TO_OTHERS:
				n.meta.next(addr)
			default:
				n.log.Warn("replica node: configuration update refused", "gpid", gpid, "err", res.Success.Err.Code())
				return nil, false
			}
		} else {
			n.log.Debug("replica node: configuration update failed; retrying", "gpid", gpid, "meta", addr, "err", err)
		}
		select {
		case <-n.ctx.Done():
			return nil, false
		case <-time.After(updateRetryInterval):
		}
	}
	n.log.Warn("replica node: gave up on a configuration update", "gpid", gpid)
	return nil, false
}

// becomePrimary records the configuration that names this node primary,
// then starts serving.
func (n *Node) becomePrimary(r *Replica, info *layer2.AppInfo, cfg *layer2.PartitionConfiguration) {
	n.updateAppInfo(r, info)
	r.cfgMu.Lock()
	if cfg.Ballot < r.state.Ballot {
		r.cfgMu.Unlock()
		return
	}
	st := r.state
	st.Ballot, st.Primary = cfg.Ballot, true
	r.cfgMu.Unlock()
	if r.dir != "" {
		if err := writeState(r.dir, st); err != nil {
			// Serving at a ballot we could not record would let a restart
			// come back at an older one.
			n.log.Error("replica node: persist ballot; not serving", "gpid", gpidString(r.Gpid), "err", err)
			r.setStatus(StatusError)
			return
		}
	}
	r.cfgMu.Lock()
	r.state = st
	r.initializing = false
	r.cfgMu.Unlock()
	r.setStatus(StatusPrimary)
	n.log.Info("replica node: serving as primary", "gpid", gpidString(r.Gpid), "ballot", cfg.Ballot)
}

// copyConfig deep-copies a partition configuration through its encoding.
func copyConfig(c *layer2.PartitionConfiguration) *layer2.PartitionConfiguration {
	out := layer2.NewPartitionConfiguration()
	b, err := wire.EncodeStruct(nil, c)
	if err == nil {
		err = wire.DecodeStruct(b, out)
	}
	if err != nil {
		cp := *c
		return &cp
	}
	return out
}
