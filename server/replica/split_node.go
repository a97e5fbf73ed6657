package replica

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
)

// The node's side of partition split: the frozen children it keeps on disk
// until the meta's word (pending children), their promotion to ordinary
// replicas once the meta lists them, the removal of those the meta did not
// register, and the split RPCs to the meta.

// pendingChild is a frozen split child on disk that the meta has not yet
// been seen to register. owner is the parent replica whose split still
// holds it (nil once that split ended).
type pendingChild struct {
	stored storedReplica
	owner  *Replica
	// registered: its parent's primary got the meta's registration (the
	// node is opening it); never pruned.
	registered bool
	// released is when its split let go of it (zero: found at start-up);
	// only a config sync asked after that may prune it, as an older answer
	// may predate the registration.
	released time.Time
}

// ownerGone reports whether no running split holds the child.
func (pc *pendingChild) ownerGone() bool { return pc.owner == nil || pc.owner.ctx.Err() != nil }

// splitSlot readies the way for a new child of a split: refused when this
// node hosts the child partition already; a leftover pending child of an
// earlier attempt is forgotten (the caller clears its directory).
func (n *Node) splitSlot(child base.Gpid, dir string) error {
	if n.srv.Replica(child) != nil {
		return fmt.Errorf("child %s is hosted here already", gpidString(child))
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.closed[child]; ok {
		return fmt.Errorf("child %s is stored here already", gpidString(child))
	}
	if pc := n.pending[child]; pc != nil {
		if !pc.ownerGone() {
			return fmt.Errorf("child %s is held by a split under way", gpidString(child))
		}
		delete(n.pending, child)
	}
	return nil
}

// dropStalePending removes a pending child no running split holds, before
// the node hosts that partition another way (a learner starting afresh).
func (n *Node) dropStalePending(gpid base.Gpid) {
	n.mu.Lock()
	pc := n.pending[gpid]
	if pc == nil || !pc.ownerGone() {
		n.mu.Unlock()
		return
	}
	delete(n.pending, gpid)
	n.mu.Unlock()
	n.log.Info("replica node: removing a split child to host the partition afresh", "gpid", gpidString(gpid), "dir", pc.stored.dir)
	os.RemoveAll(pc.stored.dir)
}

// childFrozen records a frozen child its parent still holds.
func (n *Node) childFrozen(parent *Replica, c storedReplica) {
	n.mu.Lock()
	n.pending[c.gpid] = &pendingChild{stored: c, owner: parent}
	n.mu.Unlock()
}

// childReleased takes a frozen child from its parent's ended split: with
// cfg (the meta registered it) it becomes a replica at once; without, it
// waits on disk for the meta's word.
func (n *Node) childReleased(parent *Replica, c storedReplica, cfg *layer2.PartitionConfiguration) {
	n.mu.Lock()
	_, closed := n.closed[c.gpid]
	if !closed && n.srv.Replica(c.gpid) == nil {
		n.pending[c.gpid] = &pendingChild{stored: c, registered: cfg != nil, released: time.Now()}
	}
	n.mu.Unlock()
	if cfg == nil {
		return
	}
	info := appInfoOf(c.state)
	n.spawn(func() {
		n.hostMu.Lock()
		defer n.hostMu.Unlock()
		n.adopt(c.gpid, info, cfg, nil)
	})
}

// childDropped removes a frozen child the meta surely did not register.
func (n *Node) childDropped(child base.Gpid, dir string) {
	n.mu.Lock()
	delete(n.pending, child)
	n.mu.Unlock()
	if err := os.RemoveAll(dir); err != nil {
		n.log.Error("replica node: remove split child", "gpid", gpidString(child), "err", err)
	}
}

// promotePending turns a pending child into a stored replica (closed, to
// be opened by the caller) once the meta shows it registered. The caller
// holds hostMu. It reports false when there is no such child.
func (n *Node) promotePending(gpid base.Gpid) bool {
	n.mu.Lock()
	pc := n.pending[gpid]
	if pc == nil {
		n.mu.Unlock()
		return false
	}
	delete(n.pending, gpid)
	n.mu.Unlock()
	st := pc.stored
	if st.state.Ballot <= 0 {
		// It never froze: no registered child can hold its data.
		n.log.Info("replica node: removing a split child that never froze", "gpid", gpidString(gpid), "dir", st.dir)
		os.RemoveAll(st.dir)
		return false
	}
	st.state.SplitPending = false
	if err := writeState(st.dir, st.state); err != nil {
		n.log.Error("replica node: promote split child", "gpid", gpidString(gpid), "err", err)
		n.mu.Lock()
		n.pending[gpid] = pc
		n.mu.Unlock()
		return false
	}
	n.mu.Lock()
	n.closed[gpid] = st
	n.mu.Unlock()
	if o := pc.owner; o != nil {
		o.post(func() { o.childTaken(gpid, st.state.PartitionCount) })
	}
	n.log.Info("replica node: split child registered; hosting it", "gpid", gpidString(gpid), "decree", st.durable)
	return true
}

// hostRegisteredChild opens a pending split child that a peer message at
// the child's ballot or later names; nil when there is none.
func (n *Node) hostRegisteredChild(m pacifica.Message) *Replica {
	n.mu.Lock()
	pc := n.pending[m.Pid]
	n.mu.Unlock()
	if pc == nil || m.Ballot < pc.stored.state.Ballot {
		return nil
	}
	n.hostMu.Lock()
	defer n.hostMu.Unlock()
	if r := n.srv.Replica(m.Pid); r != nil {
		return r
	}
	if !n.promotePending(m.Pid) {
		return nil
	}
	r, _, err := n.reopenClosed(m.Pid)
	if err != nil {
		n.log.Error("replica node: open registered split child", "gpid", gpidString(m.Pid), "err", err)
		return nil
	}
	return r
}

// prunePending removes the pending children whose parent the meta reports
// still in the same split (splitting, paused, canceling) or back at the old
// partition count: none of those was registered.
func (n *Node) prunePending(parents map[base.Gpid]*replication.ConfigurationUpdateRequest, asked time.Time) {
	var drop []storedReplica
	n.mu.Lock()
	for g, pc := range n.pending {
		if !pc.ownerGone() || pc.registered || !pc.released.Before(asked) {
			continue
		}
		half := pc.stored.state.PartitionCount / 2
		u := parents[base.Gpid{Appid: g.Appid, PartitionIndex: g.PartitionIndex - half}]
		if u == nil {
			continue
		}
		// The same split still under way, or canceled. A table already past
		// the child's count is in a later split: this child registered.
		count := pc.stored.state.PartitionCount
		if splitStatusOf(u) != nil && u.Info.PartitionCount == count || u.Info.PartitionCount < count {
			delete(n.pending, g)
			drop = append(drop, pc.stored)
		}
	}
	n.mu.Unlock()
	for _, c := range drop {
		n.log.Info("replica node: removing a split child the meta did not register", "gpid", gpidString(c.gpid), "dir", c.dir)
		if err := os.RemoveAll(c.dir); err != nil {
			n.log.Error("replica node: remove split child", "gpid", gpidString(c.gpid), "err", err)
		}
	}
}

// splitStatusOf is a config sync entry's split status; nil when the
// partition is not splitting.
func splitStatusOf(u *replication.ConfigurationUpdateRequest) *admin.SplitStatus {
	if u.MetaSplitStatus == nil || *u.MetaSplitStatus == admin.SplitStatus_NOT_SPLIT {
		return nil
	}
	s := *u.MetaSplitStatus
	return &s
}

// servingCountFor is the partition count a replica serving own partitions
// serves under after the meta reports the table at count: during a split
// (keep) it keeps its own until its child registers. A split to count
// starts from count/2 partitions, so a replica still below that missed an
// earlier split's end (its child registered while it was not listening)
// and serves count/2.
func servingCountFor(own, count int32, keep bool) int32 {
	if own > 0 && keep {
		return max(own, count/2)
	}
	return count
}

func appInfoOf(st replicaState) *layer2.AppInfo {
	return &layer2.AppInfo{
		Status: layer2.AppStatus_AS_AVAILABLE, AppType: st.AppType, AppName: st.AppName, AppID: st.AppID,
		PartitionCount: st.PartitionCount, Envs: copyEnvs(st.Envs), IsStateful: true, MaxReplicaCount: st.MaxReplicaCount,
	}
}

// registerChild sends RPC_CM_REGISTER_CHILD_REPLICA and posts the answer
// to the parent. When the call itself fails, RPC_CM_QUERY_CHILD_STATE
// tells whether the meta registered the child anyway.
func (n *Node) registerChild(r *Replica, req *replication.RegisterChildRequest) {
	n.spawn(func() {
		errno, child := n.callRegisterChild(req)
		if errno == base.ERR_TIMEOUT {
			errno, child = n.queryChildState(req)
		}
		r.post(func() { r.onRegistered(errno, child) })
	})
}

func (n *Node) callRegisterChild(req *replication.RegisterChildRequest) (base.Errno, *layer2.PartitionConfiguration) {
	for attempt := 0; attempt < 3; attempt++ {
		ctx, cancel := context.WithTimeout(n.ctx, 5*time.Second)
		res := replication.NewSplitRegisterChildResult()
		addr, errno, err := n.meta.callLeader(ctx, catalog.RPC_CM_REGISTER_CHILD_REPLICA, &replication.SplitRegisterChildArgs{Req: req}, res,
			func() *base.ErrorCode { return answerErr(res.Success) })
		cancel()
		if err != nil {
			n.log.Warn("replica node: register split child failed", "meta", addr, "err", err)
			n.meta.next(addr)
			continue
		}
		if errno == base.ERR_FORWARD_TO_OTHERS {
			continue
		}
		return errno, res.Success.ChildConfig
	}
	return base.ERR_TIMEOUT, nil
}

// queryChildState asks whether the child of req's split is registered:
// ERR_OK with its configuration if so, ERR_TIMEOUT when unknown.
func (n *Node) queryChildState(req *replication.RegisterChildRequest) (base.Errno, *layer2.PartitionConfiguration) {
	addr := n.meta.current()
	ctx, cancel := context.WithTimeout(n.ctx, 5*time.Second)
	defer cancel()
	q := &replication.QueryChildStateRequest{AppName: req.App.AppName, Pid: req.ParentConfig.Pid, PartitionCount: req.App.PartitionCount / 2}
	res := replication.NewSplitQueryChildStateResult()
	if err := n.meta.call(ctx, addr, catalog.RPC_CM_QUERY_CHILD_STATE, &replication.SplitQueryChildStateArgs{Req: q}, res); err != nil || res.Success == nil {
		return base.ERR_TIMEOUT, nil
	}
	if res.Success.Err.Code() == base.ERR_OK && res.Success.ChildConfig != nil && res.Success.ChildConfig.Ballot > 0 {
		return base.ERR_OK, res.Success.ChildConfig
	}
	if res.Success.Err.Code() == base.ERR_OK {
		return base.ERR_INVALID_STATE, nil // not registered
	}
	return base.ERR_TIMEOUT, nil
}

// stopSplit confirms a pause or cancel of this parent's split to the
// meta; config sync repeats it while the meta still asks.
func (n *Node) stopSplit(r *Replica, status admin.SplitStatus, count int32) {
	r.cfgMu.Lock()
	name := r.state.AppName
	r.cfgMu.Unlock()
	pid := r.Gpid
	n.spawn(func() {
		addr := n.meta.current()
		ctx, cancel := context.WithTimeout(n.ctx, 5*time.Second)
		defer cancel()
		q := &replication.NotifyStopSplitRequest{AppName: name, ParentGpid: &pid, MetaSplitStatus: status, PartitionCount: count}
		res := replication.NewSplitNotifyStopSplitResult()
		err := n.meta.call(ctx, addr, catalog.RPC_CM_NOTIFY_STOP_SPLIT, &replication.SplitNotifyStopSplitArgs{Req: q}, res)
		if err != nil || res.Success == nil {
			n.log.Debug("replica node: notify stop split failed; config sync repeats it", "gpid", gpidString(pid), "err", err)
			return
		}
		n.log.Info("replica node: split stop confirmed to the meta", "gpid", gpidString(pid), "status", status, "err", res.Success.Err.Code())
	})
}
