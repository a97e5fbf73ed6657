package replica

import (
	"time"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/server/replica/peerwire"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
)

// The split as the parent's primary drives it: started by config sync,
// carried to the secondaries by group checks, ended by the registration
// step (split.go says how the children are made).

// onSplitSync takes the meta's split status of this partition from a
// config sync (nil: not splitting) with the table's partition count.
func (r *Replica) onSplitSync(status *admin.SplitStatus, count int32) {
	if r.broken {
		return
	}
	sp := r.split
	if status == nil {
		if sp != nil && !sp.registerSent {
			r.abortSplit("the meta reports no split", false)
		}
		return
	}
	primary := r.sm.Status() == pacifica.StatusPrimary
	switch *status {
	case admin.SplitStatus_SPLITTING:
		if sp != nil || !primary || r.sm.Reconfiguring() || count != 2*r.servingCount() {
			return
		}
		cfg := r.sm.Config()
		if len(cfg.Secondaries)+1 < int(cfg.MaxReplicaCount) {
			return // the group is not complete: wait for the cure
		}
		if !r.preflushed(func() { r.onSplitSync(status, count) }) {
			return
		}
		if err := r.startSplit(count, r.sm.Ballot()); err != nil {
			r.log.Warn("replica: cannot start split", "err", err)
			return
		}
		r.sm.CheckGroupNow()
	case admin.SplitStatus_PAUSING, admin.SplitStatus_CANCELING, admin.SplitStatus_PAUSED:
		if sp != nil && sp.registerSent {
			// A registration is in flight and may still land (a retry after
			// a pause and restart would register a child whose data was
			// dropped): its answer decides, and the meta refuses either the
			// registration or the pause.
			return
		}
		if sp != nil {
			// The meta pauses or cancels only a parent not registered yet.
			r.abortSplit("the meta "+status.String(), true)
		}
		if primary && *status != admin.SplitStatus_PAUSED {
			r.links.stopSplit(r, *status, r.servingCount())
		}
	}
}

// splitTick moves the primary's split on at each tick: repeats the split
// group checks and bounds the registration step.
func (r *Replica) splitTick() {
	sp := r.split
	if sp == nil || r.sm.Status() != pacifica.StatusPrimary {
		return
	}
	sp.checkTicks++
	if sp.registering {
		if sp.registerSent {
			// The registration's answer (or, failing that, the child's state
			// queried from the meta) always comes back, bounded by the RPC
			// timeouts: resuming before would lose writes to a registered
			// child.
			return
		}
		sp.pauseTicks++
		if sp.pauseTicks > splitPauseLimitTicks {
			r.abortSplit("registration step took too long", true)
			return
		}
		r.sm.CheckGroupNow()
		return
	}
	if sp.checkTicks%splitCheckEveryTicks == 0 {
		r.sm.CheckGroupNow()
	}
}

// splitProgress runs after each round: it aborts a split whose ballot or
// role changed, and on the primary moves the registration step on.
func (r *Replica) splitProgress() {
	sp := r.split
	if sp == nil {
		return
	}
	st := r.sm.Status()
	if r.broken || r.sm.Ballot() != sp.ballot || (st != pacifica.StatusPrimary && st != pacifica.StatusSecondary) {
		r.abortSplit("ballot or role changed", false)
		return
	}
	if st != pacifica.StatusPrimary {
		return
	}
	cfg := r.sm.Config()
	if !sp.registering {
		if sp.hold || len(cfg.Secondaries)+1 < int(cfg.MaxReplicaCount) {
			return
		}
		for _, s := range cfg.Secondaries {
			if !sp.ready[s] {
				return
			}
		}
		sp.registering, sp.pauseStart, sp.pauseTicks = true, time.Now(), 0
		r.splitPaused.Store(true)
		r.log.Info("replica: split registration step: pausing requests", "child", gpidString(sp.child))
	}
	if sp.freezeAt == 0 {
		c := r.sm.Committed()
		if len(r.proposals) > 0 || r.sm.QueuedWrites() > 0 || r.sm.MaxDecree() != c || c == 0 ||
			r.store.Load().LastAppliedDecree() != c {
			return // writes still in flight
		}
		// The secondaries hear first; this replica freezes its own child
		// once the checks left (process).
		sp.freezeAt, sp.drainedAt = c, time.Now()
		r.sm.CheckGroupNow()
		return
	}
	if !sp.frozen || sp.registerSent {
		return
	}
	for _, s := range cfg.Secondaries {
		if !sp.confirmed[s] {
			return
		}
	}
	sp.registerSent, sp.confirmedAt = true, time.Now()
	r.links.registerChild(r, r.registerRequest(cfg))
}

// registerRequest is RPC_CM_REGISTER_CHILD_REPLICA for the split: the
// child gets the parent's members at the parent's ballot plus one.
func (r *Replica) registerRequest(cfg pacifica.Config) *replication.RegisterChildRequest {
	sp := r.split
	parent := peerwire.ConfigToPartition(cfg)
	parent.LastCommittedDecree = sp.freezeAt
	ccfg := cfg.Clone()
	ccfg.Pid = sp.child
	ccfg.Ballot = sp.ballot + 1
	child := peerwire.ConfigToPartition(ccfg)
	child.LastCommittedDecree = sp.freezeAt
	info := r.appInfo()
	info.PartitionCount = sp.count
	return &replication.RegisterChildRequest{
		App: info, ParentConfig: parent, ChildConfig: child,
		PrimaryAddress: peerwire.FromAddrPort(r.self), HpPrimary: hostPortOf(r.self),
	}
}

// onRegistered takes the meta's answer to the registration (errno, and
// the child's stored configuration on success).
func (r *Replica) onRegistered(errno base.Errno, child *layer2.PartitionConfiguration) {
	sp := r.split
	if sp == nil || !sp.registerSent {
		return
	}
	switch errno {
	case base.ERR_OK, base.ERR_CHILD_REGISTERED:
		r.closeFrozenChild()
		r.split = nil
		r.splitPaused.Store(false)
		r.setServingCount(sp.count)
		pause := time.Since(sp.pauseStart)
		r.lastSplitPause.Store(int64(pause))
		r.log.Info("replica: split child registered; requests resume", "child", gpidString(sp.child),
			"decree", sp.freezeAt, "pause", pause, "drain", sp.drainedAt.Sub(sp.pauseStart),
			"freeze", sp.confirmedAt.Sub(sp.drainedAt), "register", time.Since(sp.confirmedAt), "split_took", time.Since(sp.started))
		r.links.childReleased(r, storedReplica{gpid: sp.child, dir: sp.dir, state: sp.childState, durable: sp.freezeAt}, child)
		r.links.syncSoon()
	case base.ERR_INVALID_VERSION, base.ERR_INVALID_STATE:
		r.abortSplit("the meta refused the registration: "+string(errno), true)
	default:
		r.abortSplit("registration outcome unknown: "+string(errno), false)
	}
}

// LastSplitPause is how long this replica's last split registration step
// paused its requests (zero if it never registered a child).
func (r *Replica) LastSplitPause() time.Duration { return time.Duration(r.lastSplitPause.Load()) }
