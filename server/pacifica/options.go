package pacifica

import (
	"fmt"
	"log/slog"
)

// Options are the knobs of one replica's state machine. Durations are in
// ticks: the host calls Tick at a fixed interval (the replica server uses
// 100 ms), and the defaults below assume that.
type Options struct {
	// MinReplicaCount is mutation_2pc_min_replica_count: a primary with
	// fewer members (itself included) refuses writes with
	// ERR_NOT_ENOUGH_MEMBER. Reconciliation is exempt. Default 2.
	MinReplicaCount int
	// StalenessForCommit bounds the mutations in two-phase commit at once
	// (last prepared − last committed). Writes beyond it wait in the queue.
	// Default 20.
	StalenessForCommit int
	// PrepareListCapacity is max_mutation_count_in_prepare_list: how many
	// entries, committed ones included, the prepare list keeps. Must be ≥
	// StalenessForCommit. Default 110.
	PrepareListCapacity int
	// MaxQueuedWrites bounds the write queue; a write beyond it is refused
	// with ERR_CAPACITY_EXCEEDED. Default 4096.
	MaxQueuedWrites int
	// MaxBatchWrites and MaxBatchBytes bound one mutation's batch of
	// batchable writes. Defaults 64 and 1 MiB.
	MaxBatchWrites int
	MaxBatchBytes  int
	// PrepareTimeoutTicks: a secondary that has not acked a prepare by then
	// is removed from the configuration (prepare_timeout_ms_for_secondaries,
	// 3 s). LearnerPrepareTimeoutTicks is the same for learners, which are
	// only dropped from learning (5 s).
	PrepareTimeoutTicks        int
	LearnerPrepareTimeoutTicks int
	// ResendTicks: an unacknowledged prepare is sent again this often (for
	// answers ERR_INACTIVE_STATE / ERR_TRY_AGAIN, and lost messages).
	// Default 10.
	ResendTicks int
	// GroupCheckTicks is the group check period. Upstream uses 100 s; the
	// default here is 10 s, as the group check is also how an idle
	// partition's secondaries learn the commit point (design notes §13.2).
	// GroupCheckTimeoutTicks bounds the wait for a reply (default: the
	// prepare timeout).
	GroupCheckTicks        int
	GroupCheckTimeoutTicks int
	// EmptyWriteDisabled turns off the empty write a primary proposes
	// when nothing was prepared during a group check period.
	EmptyWriteDisabled bool
	// ConfigRetryTicks: a configuration request to the meta is repeated this
	// often until answered. Default 10.
	ConfigRetryTicks int
	// LearnRetryTicks: a learn request without an answer is repeated this
	// often. Default 10.
	LearnRetryTicks int

	// Logger receives the replica's decisions (role changes, requests to
	// the meta, failures of other members) at debug level; nil discards
	// them.
	Logger *slog.Logger

	// Deliberate bugs, settable only by this package's tests, to show the
	// simulator catches them.
	bugs plantedBugs
}

type plantedBugs struct {
	commitOnMajority bool // commit once a majority has logged, not all members
	noReconciliation bool // a new primary drops its uncommitted entries instead of re-preparing them
	learnerSkips     bool // a learner takes the commit point of a learn reply without its mutations
	noReadFence      bool // serve reads before reconciliation committed
}

// withDefaults fills zero fields and checks the rest.
func (o Options) withDefaults() (Options, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.MinReplicaCount, 2)
	def(&o.StalenessForCommit, 20)
	def(&o.PrepareListCapacity, 110)
	def(&o.MaxQueuedWrites, 4096)
	def(&o.MaxBatchWrites, 64)
	def(&o.MaxBatchBytes, 1<<20)
	def(&o.PrepareTimeoutTicks, 30)
	def(&o.LearnerPrepareTimeoutTicks, 50)
	def(&o.ResendTicks, 10)
	def(&o.GroupCheckTicks, 100)
	def(&o.GroupCheckTimeoutTicks, o.PrepareTimeoutTicks)
	def(&o.ConfigRetryTicks, 10)
	def(&o.LearnRetryTicks, 10)
	switch {
	case o.MinReplicaCount < 1:
		return o, fmt.Errorf("pacifica: MinReplicaCount %d < 1", o.MinReplicaCount)
	case o.StalenessForCommit < 1:
		return o, fmt.Errorf("pacifica: StalenessForCommit %d < 1", o.StalenessForCommit)
	case o.PrepareListCapacity < o.StalenessForCommit:
		return o, fmt.Errorf("pacifica: PrepareListCapacity %d < StalenessForCommit %d", o.PrepareListCapacity, o.StalenessForCommit)
	}
	for _, v := range []int{o.MaxQueuedWrites, o.MaxBatchWrites, o.MaxBatchBytes, o.PrepareTimeoutTicks,
		o.LearnerPrepareTimeoutTicks, o.ResendTicks, o.GroupCheckTicks, o.GroupCheckTimeoutTicks, o.ConfigRetryTicks, o.LearnRetryTicks} {
		if v < 0 {
			return o, fmt.Errorf("pacifica: negative option in %+v", o)
		}
	}
	return o, nil
}
