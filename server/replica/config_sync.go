package replica

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/pegasus-go/pegasus/server/replica/peerwire"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
)

func (n *Node) syncLoop() {
	defer n.wg.Done()
	t := time.NewTicker(n.opts.ConfigSyncInterval)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		case <-n.syncNow:
		}
		if n.Connected() {
			n.configSync()
		}
	}
}

// configSync reports every stored replica to the meta and adopts its view.
func (n *Node) configSync() {
	req := &replication.ConfigurationQueryByNodeRequest{Node: n.self, HpNode: n.selfHP}
	hosted := make(map[*Replica]int64) // each hosted replica's ballot when asked
	for _, r := range n.srv.Replicas() {
		info := n.replicaInfo(r)
		hosted[r] = info.Ballot
		req.StoredReplicas = append(req.StoredReplicas, info)
	}
	n.mu.Lock()
	for g, st := range n.closed {
		g := g
		req.StoredReplicas = append(req.StoredReplicas, &replication.ReplicaInfo{
			Pid: &g, Ballot: st.state.Ballot, Status: admin.PartitionStatus_PS_INACTIVE, AppType: st.state.AppType,
		})
	}
	n.mu.Unlock()
	if req.StoredReplicas == nil {
		req.StoredReplicas = []*replication.ReplicaInfo{}
	}
	ctx, cancel := context.WithTimeout(n.ctx, 10*time.Second)
	defer cancel()
	asked := time.Now()
	res := replication.NewReplicationConfigSyncResult()
	addr, errno, err := n.meta.callLeader(ctx, catalog.RPC_CM_CONFIG_SYNC, &replication.ReplicationConfigSyncArgs{Req: req}, res,
		func() *base.ErrorCode { return answerErr(res.Success) })
	if err != nil || errno != base.ERR_OK {
		n.log.Debug("replica node: config sync failed", "meta", addr, "errno", errno, "err", err)
		return
	}
	n.applySync(res.Success, asked, hosted)
}

// applySync hands the meta's view to every replica's state machine: the
// configuration of each partition that lists this node, and "not listed"
// to every other replica that was hosted when the sync was asked (hosted:
// its ballot then) — a learner, or one the meta dropped; the state machine
// says whether it may be closed. A replica opened since the ask is left
// alone: the answer may predate it.
func (n *Node) applySync(resp *replication.ConfigurationQueryByNodeResponse, asked time.Time, hosted map[*Replica]int64) {
	n.hostMu.Lock()
	defer n.hostMu.Unlock()
	mentioned := make(map[base.Gpid]bool)
	listed := make(map[base.Gpid]*replication.ConfigurationUpdateRequest)
	for _, u := range resp.Partitions {
		if u == nil || u.Config == nil || u.Config.Pid == nil || u.Info == nil {
			continue
		}
		gpid := *u.Config.Pid
		mentioned[gpid] = true
		listed[gpid] = u
		status := splitStatusOf(u)
		n.adopt(gpid, u.Info, u.Config, status)
		if r := n.srv.Replica(gpid); r != nil {
			count := u.Info.PartitionCount
			r.post(func() { r.onSplitSync(status, count) })
		}
	}
	n.prunePending(listed, asked)
	for _, r := range n.srv.Replicas() {
		ballot, wasHosted := hosted[r]
		if mentioned[r.Gpid] || !wasHosted {
			continue
		}
		r.post(func() {
			if r.sm.NotListed(ballot) {
				n.closing(r)
			}
		})
	}
	for _, gc := range resp.GcReplicas {
		if gc == nil || gc.Pid == nil {
			continue
		}
		n.removeReplica(*gc.Pid)
	}
}

// adopt hands one partition configuration that lists this node to its
// replica, reopening it from disk if needed.
func (n *Node) adopt(gpid base.Gpid, info *layer2.AppInfo, cfg *layer2.PartitionConfiguration, split *admin.SplitStatus) {
	r := n.srv.Replica(gpid)
	if r == nil {
		var ok bool
		var err error
		n.promotePending(gpid) // a split child the meta now lists: registered
		if r, ok, err = n.reopenClosed(gpid); err != nil {
			n.log.Error("replica node: reopen replica", "gpid", gpidString(gpid), "err", err)
			return
		}
		if !ok {
			if n.isSelf(cfg.Primary) || n.listsSelf(cfg) {
				// The meta counts on data this node does not have: ask to be
				// removed so the partition does not wait on it forever.
				n.log.Error("replica node: the meta lists this node for a replica it does not store",
					"gpid", gpidString(gpid), "ballot", cfg.Ballot)
				n.spawn(func() { n.requestRemoval(gpid, info, cfg) })
			}
			return
		}
	}
	c, err := peerwire.ConfigFromPartition(cfg)
	if err != nil {
		n.log.Warn("replica node: unreadable configuration from the meta", "gpid", gpidString(gpid), "err", err)
		return
	}
	n.updateAppInfo(r, info, split != nil)
	r.post(func() { r.sm.ConfigFromMeta(c) })
}

func (n *Node) listsSelf(cfg *layer2.PartitionConfiguration) bool {
	for _, s := range cfg.Secondaries {
		if n.isSelf(s) {
			return true
		}
	}
	return false
}

// updateAppInfo applies table-level changes (envs, partition count, name).
// With keepCount (the meta reports the partition splitting) the partition
// count a replica serves under stays its own (servingCountFor).
func (n *Node) updateAppInfo(r *Replica, info *layer2.AppInfo, keepCount bool) {
	r.cfgMu.Lock()
	count := servingCountFor(r.state.PartitionCount, info.PartitionCount, keepCount)
	grown := count != r.state.PartitionCount
	changed := r.state.AppName != info.AppName || r.state.PartitionCount != count ||
		r.state.MaxReplicaCount != info.MaxReplicaCount || !sameEnvs(r.state.Envs, info.Envs) ||
		r.state.Duplicating != info.GetDuplicating() || r.state.AtomicIdempotent != info.GetAtomicIdempotent()
	if changed {
		r.state.AppName, r.state.AppType = info.AppName, info.AppType
		r.state.PartitionCount, r.state.MaxReplicaCount = count, info.MaxReplicaCount
		r.state.Envs = copyEnvs(info.Envs)
		r.state.Duplicating, r.state.AtomicIdempotent = info.GetDuplicating(), info.GetAtomicIdempotent()
	}
	st := r.state
	r.cfgMu.Unlock()
	if !changed {
		return
	}
	if grown {
		// The count changed outside this replica's own registration (the
		// meta registered a child elsewhere, or a split was canceled): a
		// split of the old count is moot.
		r.post(func() { r.abortSplit("partition count changed to "+fmt.Sprint(count), false) })
	}
	r.Storage().UpdateEnvs(st.Envs)
	r.Storage().SetPartitionCount(st.PartitionCount)
	if r.dir != "" {
		if err := writeState(r.dir, st); err != nil {
			n.log.Error("replica node: persist app info", "gpid", gpidString(r.Gpid), "err", err)
		}
	}
}

func sameEnvs(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func copyEnvs(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// closeReplica stops hosting r but keeps its data on disk.
func (n *Node) closeReplica(r *Replica, why string) {
	r.cfgMu.Lock()
	st := storedReplica{gpid: r.Gpid, dir: r.dir, state: r.state}
	r.cfgMu.Unlock()
	// Closing flushes storage: what it held before is durable after. It is
	// recorded as closed before it stops being hosted, so that the log's GC
	// always finds it one way or the other.
	st.durable = r.Storage().LastAppliedDecree()
	if st.dir != "" {
		n.mu.Lock()
		n.closed[r.Gpid] = st
		n.mu.Unlock()
	}
	if err := n.srv.CloseReplica(r.Gpid); err != nil {
		n.log.Error("replica node: close replica", "gpid", gpidString(r.Gpid), "err", err)
	}
	n.log.Info("replica node: closed replica", "gpid", gpidString(r.Gpid), "why", why)
}

// removeReplica deletes a replica the meta says is garbage.
func (n *Node) removeReplica(gpid base.Gpid) {
	if r := n.srv.Replica(gpid); r != nil {
		n.closeReplica(r, "garbage collected by the meta")
	}
	n.mu.Lock()
	st, ok := n.closed[gpid]
	delete(n.closed, gpid)
	n.mu.Unlock()
	if !ok {
		return
	}
	if err := os.RemoveAll(st.dir); err != nil {
		n.log.Error("replica node: remove replica data", "gpid", gpidString(gpid), "err", err)
		return
	}
	n.log.Info("replica node: removed replica data", "gpid", gpidString(gpid), "dir", st.dir)
}
