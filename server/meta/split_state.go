package meta

import (
	"fmt"

	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// A table's partition split lives in App.Split (design notes §8): while
// the table splits from n to 2n partitions, PartitionCount is 2n and Split
// holds one status per parent 0..n-1:
//
//	SPLITTING  the parent's primary builds its child (i+n) and registers it
//	PAUSING    the meta asked the primary to stop; it has not confirmed yet
//	PAUSED     the primary stopped and dropped its unregistered child
//	CANCELING  the meta asked the primary to drop its child for good
//	NOT_SPLIT  the child registered (or, while canceling, the primary
//	           confirmed the cancel)
//
// A child whose parent has not registered it has a configuration at
// ballot -1 without members. The split ends when the last child registers
// (Split becomes nil and PartitionCount stays 2n), or when the last
// canceling parent confirms (PartitionCount goes back to n and the
// children's configurations are removed). Split is persisted in the
// table's record, and the children's configurations in partition records,
// so a meta server that restarts or takes over resumes mid-split.

// splitHashEnv is the table env that makes replicas check each request's
// partition hash (protocol.md §4.2); a split turns it on for good.
const splitHashEnv = "replica.split.validate_partition_hash"

// childBallot is the ballot of a child partition not registered yet.
const childBallot int64 = -1

// Splitting reports whether a partition split is under way.
func (a App) Splitting() bool { return a.Split != nil }

// parentCount is the partition count before the split under way.
func (a App) parentCount() int32 { return int32(len(a.Split)) }

// splitStatus is the status of parent pidx: NOT_SPLIT when the table is
// not splitting or pidx is not a parent.
func (a App) splitStatus(pidx int32) admin.SplitStatus {
	if pidx < 0 || pidx >= a.parentCount() {
		return admin.SplitStatus_NOT_SPLIT
	}
	return a.Split[pidx]
}

// syncSplitStatus is the split status config sync reports for partition
// pidx. While a split is canceled every parent is CANCELING, including
// those that confirmed already: NOT_SPLIT next to the doubled count would
// tell a replica its child registered and its keys are now half of them.
func (a App) syncSplitStatus(pidx int32) admin.SplitStatus {
	if pidx >= 0 && pidx < a.parentCount() && canceling(a.Split) {
		return admin.SplitStatus_CANCELING
	}
	return a.splitStatus(pidx)
}

// splitPending counts the parents whose status is not NOT_SPLIT.
func splitPending(st []admin.SplitStatus) int {
	n := 0
	for _, v := range st {
		if v != admin.SplitStatus_NOT_SPLIT {
			n++
		}
	}
	return n
}

// canceling reports whether the split under way is being canceled: every
// parent is CANCELING or has confirmed the cancel (a cancel is refused
// once a child registered, so no parent is NOT_SPLIT for another reason).
func canceling(st []admin.SplitStatus) bool {
	for _, v := range st {
		if v == admin.SplitStatus_CANCELING {
			return true
		}
	}
	return false
}

func splitNames(st []admin.SplitStatus) []string {
	if st == nil {
		return nil
	}
	out := make([]string, len(st))
	for i, v := range st {
		out[i] = v.String()
	}
	return out
}

// parseSplit reads a stored split status list for a table of count
// partitions: none, or one status per parent with count = 2 × parents and
// at least one parent still pending.
func parseSplit(names []string, count int32) ([]admin.SplitStatus, error) {
	if len(names) == 0 {
		return nil, nil
	}
	if int64(len(names))*2 != int64(count) {
		return nil, fmt.Errorf("split status of %d parents for %d partitions", len(names), count)
	}
	out := make([]admin.SplitStatus, len(names))
	for i, name := range names {
		v, err := admin.SplitStatusFromString(name)
		if err != nil {
			return nil, fmt.Errorf("split status of parent %d: %w", i, err)
		}
		out[i] = v
	}
	if splitPending(out) == 0 {
		return nil, fmt.Errorf("split status lists no pending parent")
	}
	return out, nil
}
