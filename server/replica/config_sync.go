package replica

import (
	"context"
	"os"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
)

// A replica opened on the meta's request is not closed by a config sync
// that does not mention it yet, for this long: the sync may have been
// answered before the meta persisted the assignment.
const assignmentGrace = time.Minute

func partitionStatus(s Status) admin.PartitionStatus {
	switch s {
	case StatusPrimary:
		return admin.PartitionStatus_PS_PRIMARY
	case StatusSecondary:
		return admin.PartitionStatus_PS_SECONDARY
	case StatusError:
		return admin.PartitionStatus_PS_ERROR
	}
	return admin.PartitionStatus_PS_INACTIVE
}

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
	for _, r := range n.srv.Replicas() {
		req.StoredReplicas = append(req.StoredReplicas, n.replicaInfo(r))
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
	addr := n.meta.current()
	res := replication.NewReplicationConfigSyncResult()
	if err := n.meta.call(ctx, addr, catalog.RPC_CM_CONFIG_SYNC, &replication.ReplicationConfigSyncArgs{Req: req}, res); err != nil {
		n.log.Debug("replica node: config sync failed", "meta", addr, "err", err)
		return
	}
	resp := res.Success
	if resp == nil || resp.Err.Code() != base.ERR_OK {
		if resp != nil && resp.Err.Code() == base.ERR_FORWARD_TO_OTHERS {
			n.meta.next(addr)
		}
		n.log.Debug("replica node: config sync refused", "meta", addr, "err", resp.GetErr())
		return
	}
	n.applySync(resp)
}

// applySync adopts the meta's view of this node's replicas.
func (n *Node) applySync(resp *replication.ConfigurationQueryByNodeResponse) {
	n.hostMu.Lock()
	defer n.hostMu.Unlock()
	mentioned := make(map[base.Gpid]bool)
	for _, u := range resp.Partitions {
		if u == nil || u.Config == nil || u.Config.Pid == nil || u.Info == nil {
			continue
		}
		gpid := *u.Config.Pid
		mentioned[gpid] = true
		n.adopt(gpid, u.Info, u.Config)
	}
	for _, r := range n.srv.Replicas() {
		if mentioned[r.Gpid] {
			continue
		}
		r.cfgMu.Lock()
		busy := r.reconfiguring || (!r.initializing && time.Since(r.openedAt) < assignmentGrace && r.Status() != StatusPrimary)
		r.cfgMu.Unlock()
		if busy {
			continue
		}
		n.closeReplica(r, "the meta does not list this node for it")
	}
	for _, gc := range resp.GcReplicas {
		if gc == nil || gc.Pid == nil {
			continue
		}
		n.removeReplica(*gc.Pid)
	}
}

// adopt applies one partition configuration that names this node.
func (n *Node) adopt(gpid base.Gpid, info *layer2.AppInfo, cfg *layer2.PartitionConfiguration) {
	r := n.srv.Replica(gpid)
	if r == nil {
		n.mu.Lock()
		st, onDisk := n.closed[gpid]
		n.mu.Unlock()
		if !onDisk {
			if n.isSelf(cfg.Primary) {
				// The meta counts on data this node does not have: ask to be
				// removed so the partition does not wait on it forever.
				n.log.Error("replica node: the meta lists this node as primary of a replica it does not store",
					"gpid", gpidString(gpid), "ballot", cfg.Ballot)
				n.spawn(func() { n.requestRemoval(gpid, info, cfg) })
			}
			return
		}
		var err error
		if r, err = n.open(gpid, st.dir, st.state); err != nil {
			n.log.Error("replica node: reopen replica", "gpid", gpidString(gpid), "err", err)
			return
		}
		r.cfgMu.Lock()
		r.initializing = true
		r.cfgMu.Unlock()
		n.mu.Lock()
		delete(n.closed, gpid)
		n.mu.Unlock()
	}
	r.cfgMu.Lock()
	if r.reconfiguring {
		r.cfgMu.Unlock()
		return
	}
	local := r.state.Ballot
	initializing := r.initializing
	r.cfgMu.Unlock()
	n.updateAppInfo(r, info)
	if !n.isSelf(cfg.Primary) {
		return // secondaries arrive with replication
	}
	switch {
	case initializing:
		// Restarted while the meta lists us as primary: take the ballot up
		// before serving, so nothing of the previous incarnation is mistaken
		// for current — also when our recorded ballot is older than the
		// meta's (an accepted update whose reply we never saw).
		n.startReconfiguration(r, info, cfg, admin.ConfigType_CT_PRIMARY_FORCE_UPDATE_BALLOT)
	case cfg.Ballot > local:
		// The meta accepted a change naming us primary whose reply we missed.
		n.becomePrimary(r, info, cfg)
	case cfg.Ballot == local && r.Status() != StatusPrimary:
		// Back from a lost lease at the same ballot: nothing changed meanwhile.
		r.setStatus(StatusPrimary)
		n.log.Info("replica node: serving again as primary", "gpid", gpidString(gpid), "ballot", local)
	}
}

// updateAppInfo applies table-level changes (envs, partition count, name).
func (n *Node) updateAppInfo(r *Replica, info *layer2.AppInfo) {
	r.cfgMu.Lock()
	changed := r.state.AppName != info.AppName || r.state.PartitionCount != info.PartitionCount ||
		r.state.MaxReplicaCount != info.MaxReplicaCount || !sameEnvs(r.state.Envs, info.Envs)
	if changed {
		r.state.AppName, r.state.AppType = info.AppName, info.AppType
		r.state.PartitionCount, r.state.MaxReplicaCount = info.PartitionCount, info.MaxReplicaCount
		r.state.Envs = copyEnvs(info.Envs)
	}
	st := r.state
	r.cfgMu.Unlock()
	if !changed {
		return
	}
	r.store.UpdateEnvs(st.Envs)
	r.store.SetPartitionCount(st.PartitionCount)
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
	if err := n.srv.CloseReplica(r.Gpid); err != nil {
		n.log.Error("replica node: close replica", "gpid", gpidString(r.Gpid), "err", err)
	}
	if st.dir != "" {
		n.mu.Lock()
		n.closed[r.Gpid] = st
		n.mu.Unlock()
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
