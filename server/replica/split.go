package replica

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/server/replica/peerwire"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
)

// Partition split, the parent replica's side (design notes §8,
// docs/replication.md "Partition split"). Everything here runs on the
// parent's event loop, which owns its storage:
//
//  1. The loop checkpoints the parent's storage (hard links, after a
//     flush) into the child's replica directory and opens it: the child
//     holds exactly the parent's applied decree. From then on every
//     committed batch the loop applies to the parent it also applies to the
//     child, so the child never lags and needs no catch-up of its own.
//  2. Secondaries do the same when a group check carries the new partition
//     count, and say so in their ack.
//  3. Once every member's child follows, the primary pauses (requests get
//     ERR_SPLITTING), waits until nothing is in flight, and picks the
//     decree D every child stops at; group checks carry D, each member
//     closes its child at D (durable, flushed) and confirms; the primary
//     registers the child with the meta and resumes under the doubled
//     partition count.
//
// A child that still follows is dropped on any ballot or role change. A
// frozen child (closed at D) may already be registered, so it waits on disk
// for the meta's word (split_node.go).

// splitState is a split under way on a parent replica.
type splitState struct {
	count  int32 // the table's new partition count, twice the parent's
	ballot int64 // the parent's ballot the split belongs to
	child  base.Gpid
	dir    string             // the child's replica directory
	store  *storage.Partition // the child's storage while it follows
	// freezeAt is the decree the child stops at (0 while it follows);
	// frozen: closed there, durable, its state written.
	freezeAt   int64
	frozen     bool
	childState replicaState
	started    time.Time

	// The primary's bookkeeping.
	ready        map[netip.AddrPort]bool // secondaries whose child follows
	confirmed    map[netip.AddrPort]bool // secondaries whose child is frozen at freezeAt
	registering  bool                    // the registration step: requests get ERR_SPLITTING
	pauseStart   time.Time
	pauseTicks   int
	registerSent bool
	// Phases of the registration step, for the log: nothing in flight
	// (the freeze decree picked), every member's child frozen.
	drainedAt, confirmedAt time.Time
	checkTicks             int
	// hold keeps the child following without starting the registration
	// step (tests watch it follow).
	hold bool
}

// Split timing, in ticks.
const (
	// splitCheckEveryTicks: while secondaries have not reported a child,
	// the primary repeats its split group check this often.
	splitCheckEveryTicks = 10
	// splitPreflushTicks: a flush of the parent this recent lets the
	// checkpoint go ahead.
	splitPreflushTicks = 20
	// splitPauseLimitTicks bounds the registration step: past it the
	// primary gives up, resumes, and tries again from the next config sync.
	splitPauseLimitTicks = 50
)

// servingCount is the partition count this replica serves under: the
// table's count before a split, until the child registers.
func (r *Replica) servingCount() int32 {
	r.cfgMu.Lock()
	defer r.cfgMu.Unlock()
	return r.state.PartitionCount
}

// setServingCount records a new serving count (after the child
// registered) durably and tells storage, whose partition-hash checks and
// compaction filter follow it.
func (r *Replica) setServingCount(n int32) {
	r.cfgMu.Lock()
	if r.state.PartitionCount == n {
		r.cfgMu.Unlock()
		return
	}
	r.state.PartitionCount = n
	st := r.state
	r.cfgMu.Unlock()
	r.Storage().SetPartitionCount(n)
	if r.dir != "" {
		if err := writeState(r.dir, st); err != nil {
			r.log.Error("replica: persist partition count after split", "count", n, "err", err)
		}
	}
}

// childDir is where the child of a split keeps its data: the child's
// normal replica directory on a clustered server, beside the parent's
// storage for a standalone one.
func (r *Replica) childDir(child base.Gpid) string {
	name := fmt.Sprintf("%d.%d%s", child.Appid, child.PartitionIndex, replicaDirTail)
	if r.dir != "" {
		return filepath.Join(filepath.Dir(r.dir), name)
	}
	return r.rdbDir + ".split." + name
}

// startSplit creates the child of a split to count partitions from a
// checkpoint of the parent's storage, at ballot (the parent's).
func (r *Replica) startSplit(count int32, ballot int64) error {
	if r.split != nil {
		return fmt.Errorf("split to %d: a split is under way already", count)
	}
	if r.broken {
		return fmt.Errorf("split to %d: replica in error", count)
	}
	own := r.servingCount()
	if own <= 0 || count != 2*own {
		return fmt.Errorf("split to %d: the replica serves %d partitions; only doubling is supported", count, own)
	}
	child := base.Gpid{Appid: r.Gpid.Appid, PartitionIndex: r.Gpid.PartitionIndex + own}
	dir := r.childDir(child)
	if err := r.links.splitSlot(child, dir); err != nil {
		return fmt.Errorf("split to %d: %w", count, err)
	}
	start := time.Now()
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("split to %d: clear child directory: %w", count, err)
	}
	rdb := rdbDir(dir)
	if err := os.MkdirAll(filepath.Dir(rdb), 0o755); err != nil {
		return fmt.Errorf("split to %d: %w", count, err)
	}
	parent := r.store.Load()
	decree, err := parent.Checkpoint(rdb)
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("split to %d: checkpoint: %w", count, err)
	}
	// Marked pending at ballot 0 (never frozen) from the start, so that a
	// restart finds it as a split child, never promotes it, and removes it
	// once the meta shows it was not registered (split_node.go).
	if err := writeState(dir, r.childStateOf(child, count, 0)); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("split to %d: %w", count, err)
	}
	so := r.storeOpts
	so.Dir = rdb
	so.PartitionIndex = child.PartitionIndex
	so.PartitionCount = count
	store, err := storage.Open(so)
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("split to %d: open child storage: %w", count, err)
	}
	if got, want := store.LastAppliedDecree(), parent.LastAppliedDecree(); got != want || got != decree {
		store.Close()
		os.RemoveAll(dir)
		return fmt.Errorf("split to %d: child checkpoint at decree %d, parent at %d", count, got, want)
	}
	r.split = &splitState{
		count: count, ballot: ballot, child: child, dir: dir, store: store, started: time.Now(),
		ready: map[netip.AddrPort]bool{}, confirmed: map[netip.AddrPort]bool{},
	}
	r.log.Info("replica: split started; child created from a checkpoint", "child", gpidString(child),
		"decree", decree, "new_partition_count", count, "ballot", ballot, "took", time.Since(start))
	return nil
}

// preflushed reports whether the parent's storage was flushed lately, so
// that the checkpoint on the loop (which flushes again) has little to
// write. If not it flushes in the background, without stopping the loop,
// and then runs then on the loop.
func (r *Replica) preflushed(then func()) bool {
	if r.preflushedAt > 0 && r.ticks-r.preflushedAt <= splitPreflushTicks {
		return true
	}
	if r.preflushing {
		return false
	}
	r.preflushing = true
	store := r.store.Load()
	go func() {
		_, err := store.Flush()
		r.post(func() {
			r.preflushing = false
			if err != nil {
				r.log.Warn("replica: flush before a split checkpoint", "err", err)
				return
			}
			r.preflushedAt = max(r.ticks, 1)
			then()
		})
	}()
	return false
}

// splitApply applies a batch the parent has just applied to its following
// child too, up to the freeze decree, and freezes the child once it holds
// that decree.
func (r *Replica) splitApply(batch []*storage.Mutation) {
	sp := r.split
	if sp == nil || sp.store == nil {
		return
	}
	if sp.freezeAt > 0 {
		n := 0
		for n < len(batch) && batch[n].Decree <= sp.freezeAt {
			n++
		}
		batch = batch[:n]
	}
	if len(batch) > 0 {
		if _, err := sp.store.ApplyAll(batch); err != nil {
			r.log.Error("replica: split child apply failed", "child", gpidString(sp.child), "err", err)
			r.abortSplit("child apply failed", true)
			return
		}
	}
	r.maybeFreeze()
}

// maybeFreeze freezes a following child that holds its freeze decree: a
// flush makes it durable on disk at exactly that decree (the child has no
// log), and its state marks it pending until the meta lists it. It is
// closed after this round's messages left (closeFrozenChild).
func (r *Replica) maybeFreeze() {
	sp := r.split
	if sp == nil || sp.store == nil || sp.freezeAt == 0 {
		return
	}
	switch at := sp.store.LastAppliedDecree(); {
	case at < sp.freezeAt:
		return
	case at > sp.freezeAt:
		r.abortSplit(fmt.Sprintf("child at decree %d is past its freeze decree %d", at, sp.freezeAt), true)
		return
	}
	flushStart := time.Now()
	if _, err := sp.store.Flush(); err != nil {
		r.abortSplit("flush child: "+err.Error(), true)
		return
	}
	st := r.childStateOf(sp.child, sp.count, sp.ballot+1)
	if err := writeState(sp.dir, st); err != nil {
		r.abortSplit("write child state: "+err.Error(), true)
		return
	}
	syncDir(sp.dir)
	sp.frozen, sp.childState = true, st
	r.frozenChild, sp.store = sp.store, nil
	r.links.childFrozen(r, storedReplica{gpid: sp.child, dir: sp.dir, state: st, durable: sp.freezeAt})
	r.log.Info("replica: split child frozen", "child", gpidString(sp.child), "decree", sp.freezeAt, "flush", time.Since(flushStart))
}

// childStateOf is the state a split child keeps on disk until the meta
// lists it: pending, at ballot (0 while it has not frozen).
func (r *Replica) childStateOf(child base.Gpid, count int32, ballot int64) replicaState {
	r.cfgMu.Lock()
	st := r.state
	r.cfgMu.Unlock()
	st.PartitionIndex = child.PartitionIndex
	st.PartitionCount = count
	st.Ballot = ballot
	st.Envs = copyEnvs(st.Envs)
	st.SplitPending = true
	return st
}

// closeFrozenChild closes the storage of a child frozen this round, once
// the round's messages (a member's confirmation) have left.
func (r *Replica) closeFrozenChild() {
	if c := r.frozenChild; c != nil {
		r.frozenChild = nil
		if err := c.Close(); err != nil {
			r.log.Warn("replica: close frozen split child", "err", err)
		}
	}
}

// abortSplit ends the split: a following child is dropped; a frozen one
// too when drop is set (the meta surely did not register it), otherwise it
// stays on disk for the meta's word.
func (r *Replica) abortSplit(why string, drop bool) {
	sp := r.split
	if sp == nil {
		return
	}
	r.split = nil
	r.splitPaused.Store(false)
	r.closeFrozenChild()
	switch {
	case sp.store != nil:
		sp.store.Close()
		os.RemoveAll(sp.dir)
	case sp.frozen && drop:
		r.links.childDropped(sp.child, sp.dir)
	case sp.frozen:
		r.links.childReleased(r, storedReplica{gpid: sp.child, dir: sp.dir, state: sp.childState, durable: sp.freezeAt}, nil)
	default:
		os.RemoveAll(sp.dir)
	}
	r.log.Info("replica: split stopped", "child", gpidString(sp.child), "why", why, "child_kept", sp.frozen && !drop)
}

// childTaken tells the parent that the meta registered its frozen child
// and the node now hosts it: the split is over here.
func (r *Replica) childTaken(child base.Gpid, count int32) {
	if sp := r.split; sp != nil && sp.child == child && sp.frozen {
		r.split = nil
		r.splitPaused.Store(false)
	}
	if r.servingCount()*2 == count {
		r.setServingCount(count)
	}
}

// onSplitCheck handles the split fields of a primary's group check on a
// secondary, before the state machine sees the check.
func (r *Replica) onSplitCheck(e peerwire.Envelope) {
	m := e.Msg
	sp := r.split
	if e.SplitPartitionCount == 0 {
		if sp != nil && !sp.frozen && m.Ballot >= sp.ballot {
			r.abortSplit("the primary's group check carries no split", true)
		}
		return
	}
	if sp != nil && m.Ballot > sp.ballot {
		r.abortSplit("a newer ballot", false)
		sp = nil
	}
	if sp != nil && sp.freezeAt > 0 && m.Ballot == sp.ballot && e.SplitChildDecree != sp.freezeAt {
		// The primary is in another attempt at the same ballot: the one this
		// child froze for ended unregistered (a registered split sends no
		// more split checks).
		r.abortSplit("the primary started the split again", true)
		sp = nil
	}
	if sp == nil {
		if m.Ballot != r.sm.Ballot() || r.sm.Status() != pacifica.StatusSecondary {
			return // not a secondary at this ballot yet: the primary repeats the check
		}
		count, ballot := e.SplitPartitionCount, m.Ballot
		start := func() {
			if r.split != nil || r.sm.Ballot() != ballot || r.sm.Status() != pacifica.StatusSecondary {
				return
			}
			if err := r.startSplit(count, ballot); err != nil {
				r.log.Warn("replica: cannot start split", "err", err)
			}
		}
		if !r.preflushed(start) {
			return // the child comes once the parent flushed; the primary repeats its check
		}
		start()
		if sp = r.split; sp == nil {
			return
		}
	}
	if e.SplitChildDecree > 0 && sp.ballot == m.Ballot && sp.freezeAt == 0 {
		sp.freezeAt = e.SplitChildDecree
		r.maybeFreeze()
	}
}

// onSplitReply records a secondary's split fields on the primary.
func (r *Replica) onSplitReply(e peerwire.Envelope) {
	sp := r.split
	m := e.Msg
	if sp == nil || r.sm.Status() != pacifica.StatusPrimary || m.AckBallot != sp.ballot || m.Err != base.ERR_OK {
		return
	}
	if e.SplitPartitionCount == sp.count {
		sp.ready[m.From] = true
	}
	if sp.freezeAt > 0 && e.SplitChildDecree == sp.freezeAt {
		sp.confirmed[m.From] = true
	}
}

// splitFields fills in the split fields of an outgoing group check or ack.
func (r *Replica) splitFields(e *peerwire.Envelope) {
	sp := r.split
	if sp == nil {
		return
	}
	switch e.Msg.Type {
	case pacifica.MsgGroupCheck:
		if r.sm.Status() == pacifica.StatusPrimary && e.Msg.Ballot == sp.ballot {
			e.SplitPartitionCount, e.SplitChildDecree = sp.count, sp.freezeAt
		}
	case pacifica.MsgGroupCheckReply:
		if e.Msg.AckBallot == sp.ballot {
			e.SplitPartitionCount = sp.count
			if sp.frozen {
				e.SplitChildDecree = sp.freezeAt
			}
		}
	}
}

// splitHoldsMessages reports whether this round's messages must wait for
// the apply: a member freezing its child acks only once the child holds
// the freeze decree.
func (r *Replica) splitHoldsMessages() bool {
	return r.split != nil && r.split.freezeAt > 0 && !r.split.frozen
}
