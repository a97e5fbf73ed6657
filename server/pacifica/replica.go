package pacifica

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// Replica is the state machine of one replica of one partition. It is not
// safe for concurrent use: its host calls it from one goroutine.
type Replica struct {
	self netip.AddrPort
	pid  base.Gpid
	opts Options

	now    int64 // ticks since creation
	status Status
	// transient: INACTIVE but expected back at the same ballot (design
	// notes §3.2).
	transient bool
	// initializing: restored from disk and not yet confirmed by the meta.
	initializing bool
	leaseValid   bool
	ballot       int64
	config       Config // the configuration accepted at ballot

	list *prepareList
	// commitHint is the highest decree this replica has been told is
	// committed; it commits up to there as far as it holds logged entries.
	commitHint int64
	// applied is the highest decree the host has applied (confirmed by
	// Advance, or installed by learning).
	applied         int64
	lastTimestampUs int64

	primary primaryState
	learn   learnerState
	// pending is the configuration change asked of the meta, awaiting its
	// answer; sentAt is when it was last sent.
	pending       *ConfigRequest
	pendingSentAt int64

	out Ready
	log *slog.Logger
}

// debug logs a decision with the replica's identity, when a logger is set.
func (r *Replica) debug(msg string, args ...any) {
	if r.log == nil || !r.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	r.log.Debug(msg, append([]any{"node", r.self, "gpid", fmt.Sprintf("%d.%d", r.pid.Appid, r.pid.PartitionIndex),
		"ballot", r.ballot, "status", r.status}, args...)...)
}

// Persisted is what a host finds on disk when it reopens a replica.
type Persisted struct {
	HardState HardState
	// Applied is the decree storage holds (its last applied decree).
	Applied int64
	// Log holds the logged mutations beyond Applied, in log order. A
	// decree may appear more than once; the highest ballot wins.
	Log []Mutation
}

// New returns the state machine of a replica that has no data: INACTIVE at
// ballot 0, waiting to be assigned primary or invited as a learner.
func New(self netip.AddrPort, pid base.Gpid, opts Options) (*Replica, error) {
	r, err := Restore(self, pid, opts, Persisted{})
	if err != nil {
		return nil, err
	}
	r.transient, r.initializing = false, false
	return r, nil
}

// Restore rebuilds a replica from what the host found on disk: it replays
// the log into the prepare list, commits what the log shows committed
// (the host applies it from the first Ready) and waits, transient
// INACTIVE, for the meta's view of its partition (ConfigFromMeta). A host
// whose log is too large to hold in memory uses a Restorer instead.
func Restore(self netip.AddrPort, pid base.Gpid, opts Options, p Persisted) (*Replica, error) {
	x, err := NewRestorer(self, pid, opts, p.HardState, p.Applied)
	if err != nil {
		return nil, err
	}
	for _, m := range p.Log {
		if err := x.add(m); err != nil {
			return nil, err
		}
	}
	return x.Replica(), nil
}

// Restorer is Restore one log entry at a time: the host reads its log in
// order and hands each entry of the partition to Add, applies to storage
// what Add returns as committed (in order), and ends with Replica. Only
// the uncommitted tail stays in memory, however long the log.
type Restorer struct {
	r         *Replica
	persisted int64 // the ballot the host persisted
}

// NewRestorer starts restoring a replica whose storage holds decrees up to
// applied, with the ballot the host persisted.
func NewRestorer(self netip.AddrPort, pid base.Gpid, opts Options, hs HardState, applied int64) (*Restorer, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Replica{
		self: self, pid: pid, opts: opts, status: StatusInactive, transient: true, initializing: true,
		leaseValid: true, ballot: hs.Ballot, applied: applied, commitHint: applied,
		config: Config{Pid: pid}, log: opts.Logger,
	}
	// Replay without the in-flight bound: the log may hold more than one
	// window of mutations; commits along the way keep the list small.
	r.list = newPrepareList(applied, opts.PrepareListCapacity, 1<<62)
	return &Restorer{r: r, persisted: hs.Ballot}, nil
}

// Skips reports whether Add would ignore a mutation of this decree (the
// host need not decode it): storage, or the log before it, holds it
// committed.
func (x *Restorer) Skips(decree int64) bool { return decree <= x.r.list.committed }

// Add replays the next logged mutation and returns the mutations that it
// made committed, in decree order; the host applies them before those of
// the next Add.
func (x *Restorer) Add(m Mutation) ([]Mutation, error) {
	if err := x.add(m); err != nil {
		return nil, err
	}
	cs := x.r.out.Committed
	if len(cs) == 0 {
		return nil, nil
	}
	x.r.out.Committed = nil
	out := make([]Mutation, len(cs))
	for i, c := range cs {
		out[i] = c.Mutation
	}
	x.r.applied = out[len(out)-1].Decree
	return out, nil
}

func (x *Restorer) add(m Mutation) error {
	r := x.r
	if m.Decree <= r.list.committed {
		return nil
	}
	r.ballot = max(r.ballot, m.Ballot)
	r.lastTimestampUs = max(r.lastTimestampUs, m.TimestampUs)
	r.commitHint = max(r.commitHint, m.LastCommitted)
	if _, _, err := r.list.put(&entry{mu: m, logged: true}); err != nil && err != errStaleBallot {
		return fmt.Errorf("restore replica %d.%d: decree %d: %w", r.pid.Appid, r.pid.PartitionIndex, m.Decree, err)
	}
	r.hand(r.list.commit(r.commitHint, nil))
	return nil
}

// Replica ends the replay. Everything Add returned must be applied by now
// (Restore leaves what it committed to the first Ready instead); the rest
// of the log waits in the prepare list for the meta's view.
func (x *Restorer) Replica() *Replica {
	r := x.r
	r.list.limit = int64(r.opts.PrepareListCapacity) * 4
	r.config.Ballot = r.ballot
	if r.ballot != x.persisted {
		r.out.HardState = &HardState{Ballot: r.ballot}
	}
	return r
}

// Status is the replica's current role.
func (r *Replica) Status() Status { return r.status }

// Transient reports whether an INACTIVE replica expects to come back at
// its ballot (restarted, lease lost, or waiting for a change it asked for).
func (r *Replica) Transient() bool { return r.status == StatusInactive && r.transient }

// Ballot is the ballot of the configuration the replica last accepted.
func (r *Replica) Ballot() int64 { return r.ballot }

// Config is the configuration the replica last accepted.
func (r *Replica) Config() Config { return r.config.Clone() }

// Committed is the replica's commit point.
func (r *Replica) Committed() int64 { return r.list.committed }

// Applied is the highest decree the host has confirmed applied.
func (r *Replica) Applied() int64 { return r.applied }

// LastPrepared is the highest decree reached from the commit point over
// logged entries (replica_info.last_prepared_decree).
func (r *Replica) LastPrepared() int64 { return r.list.lastPrepared() }

// MaxDecree is the highest decree in the prepare list.
func (r *Replica) MaxDecree() int64 { return r.list.maxDecree() }

// Reconfiguring reports whether a change asked of the meta awaits its
// answer.
func (r *Replica) Reconfiguring() bool { return r.pending != nil }

// Learning is the learner's phase (LearnNone unless POTENTIAL_SECONDARY).
func (r *Replica) Learning() LearnPhase { return r.learn.phase }

// CanRead reports whether the host may serve a read from its storage now:
// only a primary whose server holds its lease with the meta, once every
// decree it held when it became primary is committed and applied — the
// fence that keeps a new primary from reading before reconciliation has
// committed what its predecessor may have acknowledged (design notes
// §3.7). The host serves reads only after applying every Committed handed
// out.
func (r *Replica) CanRead() bool {
	if r.status != StatusPrimary || !r.leaseValid {
		return false
	}
	return r.opts.bugs.noReadFence || r.applied >= r.primary.readFence
}

// Tick advances the replica's clock by one tick: timeouts, resends, group
// checks, empty writes and retries run from here.
func (r *Replica) Tick() {
	r.now++
	switch r.status {
	case StatusPrimary:
		r.tickPrimary()
	case StatusPotentialSecondary:
		r.tickLearner()
	}
	if r.pending != nil && r.now-r.pendingSentAt >= int64(r.opts.ConfigRetryTicks) {
		r.pendingSentAt = r.now
		r.out.ConfigRequests = append(r.out.ConfigRequests, *r.pending)
	}
}

// Step hands the replica a message from another replica.
func (r *Replica) Step(m Message) error {
	if m.Pid != r.pid {
		return fmt.Errorf("replica %d.%d: message for %d.%d", r.pid.Appid, r.pid.PartitionIndex, m.Pid.Appid, m.Pid.PartitionIndex)
	}
	if r.status == StatusError {
		return nil
	}
	switch m.Type {
	case MsgPrepare:
		r.onPrepare(m)
	case MsgPrepareAck:
		r.onPrepareAck(m)
	case MsgGroupCheck:
		r.onGroupCheck(m)
	case MsgGroupCheckReply:
		r.onGroupCheckReply(m)
	case MsgLearn:
		r.onLearn(m)
	case MsgLearnReply:
		r.onLearnReply(m)
	case MsgLearnCompleted:
		r.onLearnCompleted(m)
	default:
		return fmt.Errorf("replica %d.%d: unknown message type %v", r.pid.Appid, r.pid.PartitionIndex, m.Type)
	}
	return nil
}

// Fail moves the replica to ERROR after a local failure the host saw (a
// log write or apply error). Nothing leaves ERROR; the host closes it.
func (r *Replica) Fail() { r.setStatus(StatusError, false) }

// LeaseExpired tells the replica its server lost the meta's lease: a
// primary or secondary stops serving until the meta confirms it again
// (ConfigFromMeta after LeaseRenewed). A learner gives up, unless it had
// completed: the meta may have made it a secondary meanwhile, and it holds
// what a secondary must, so it waits like one.
func (r *Replica) LeaseExpired() {
	r.leaseValid = false
	switch r.status {
	case StatusPrimary, StatusSecondary:
		r.setStatus(StatusInactive, true)
	case StatusPotentialSecondary:
		r.setStatus(StatusInactive, r.learn.phase == LearnSucceeded)
	}
}

// LeaseRenewed tells the replica its server holds the lease again.
func (r *Replica) LeaseRenewed() { r.leaseValid = true }

// setBallot moves to a higher ballot, to be persisted before anything is
// sent under it.
func (r *Replica) setBallot(b int64) {
	if b <= r.ballot {
		return
	}
	r.ballot = b
	r.out.HardState = &HardState{Ballot: b}
}

// setStatus changes the local role, doing what leaving the old role and
// entering the new one require. It does not check the transition rules;
// adopt does.
func (r *Replica) setStatus(s Status, transient bool) {
	old := r.status
	if old != s || r.transient != (transient && s == StatusInactive) {
		r.debug("status change", "to", s, "transient", transient && s == StatusInactive)
	}
	r.status, r.transient = s, transient && s == StatusInactive
	if old == StatusPrimary && s != StatusPrimary {
		r.stopPrimary()
	}
	if s != StatusPrimary && !r.Transient() {
		// Not coming back as this primary: what it kept for that goes.
		r.forgetPrimary()
	}
	if old == StatusPotentialSecondary && s != StatusPotentialSecondary {
		r.learn = learnerState{}
	}
	if s != StatusInactive {
		r.initializing = false
	}
	if s == StatusError {
		r.pending = nil
	}
}

// adopt takes on configuration cfg with status st for this replica, if the
// transition rules allow it.
func (r *Replica) adopt(cfg Config, st Status) error {
	if err := canMove(localState{r.status, r.ballot, r.transient}, st, cfg.Ballot); err != nil {
		return err
	}
	if r.pending != nil && cfg.Ballot >= r.pending.Config.Ballot {
		r.pending = nil // the meta moved on past our request, or took it
	}
	higher := cfg.Ballot > r.ballot
	r.setBallot(cfg.Ballot)
	if higher || st != StatusPotentialSecondary {
		r.config = cfg.Clone()
	}
	if st == r.status && !higher && !(st == StatusInactive && r.transient) {
		return nil
	}
	if st == StatusPrimary && !r.leaseValid {
		// Accepted by the meta, but this server cannot serve before its
		// lease is back; the next config sync brings it back at this ballot.
		r.setStatus(StatusInactive, true)
		return nil
	}
	wasPrimary := r.status == StatusPrimary
	r.setStatus(st, false)
	switch st {
	case StatusPrimary:
		r.becomePrimary(wasPrimary)
	case StatusSecondary:
		r.commitFollower()
	}
	return nil
}
