package meta

import (
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// Cross-cluster duplication on the meta server (design notes §7,
// docs/duplication.md). A duplication streams one table ("master") to a
// table of another cluster ("follower"). This file holds the pure parts:
// the record, its status machine, and per-partition progress with lag
// tracking. The State methods are in dup_state.go (records, add, modify),
// dup_query.go (query, list) and dup_sync.go (duplication sync, the
// follower work of the loop); dup_persist.go has the store layout,
// dup_remote.go what the loop needs of a remote cluster, and dup_run.go
// the leader's loop itself.

// Duplication is one duplication as the store keeps it.
type Duplication struct {
	ID    int32
	AppID int32
	// Remote is the follower cluster's name ([duplication.clusters]).
	Remote             string
	RemoteAppName      string
	RemoteReplicaCount int32
	Status             admin.DuplicationStatus
	FailMode           admin.DuplicationFailMode
	// Checkpoint: the duplication starts with a copy of every live row
	// (DS_PREPARE → DS_APP → DS_LOG); without it, only later writes ship.
	Checkpoint bool
	// FollowerReady: the follower table exists and every partition of it
	// had a primary when last checked.
	FollowerReady bool
	CreateMs      int64
}

// dupEvent is something that moves a duplication between statuses.
type dupEvent int

const (
	// dupStart: an admin sets status DS_LOG (start_dup).
	dupStart dupEvent = iota + 1
	// dupPause: an admin sets status DS_PAUSE (pause_dup).
	dupPause
	// dupRemove: an admin sets status DS_REMOVED (remove_dup).
	dupRemove
	// dupFollowerReady: the follower table serves every partition.
	dupFollowerReady
	// dupCheckpointsDone: every master partition reported
	// checkpoint_prepared (its snapshot has shipped).
	dupCheckpointsDone
)

func (e dupEvent) String() string {
	switch e {
	case dupStart:
		return "start"
	case dupPause:
		return "pause"
	case dupRemove:
		return "remove"
	case dupFollowerReady:
		return "follower ready"
	case dupCheckpointsDone:
		return "checkpoints done"
	}
	return "unknown event"
}

// nextDupStatus is the status machine of a duplication:
//
//	DS_PREPARE --follower ready--> DS_APP (with checkpoint) or DS_LOG
//	DS_APP --every partition's checkpoint shipped--> DS_LOG
//	DS_LOG <--pause / start--> DS_PAUSE
//	any --remove--> DS_REMOVED
//
// Events that do not apply to a status leave it unchanged, except an
// admin's start or pause before the duplication has reached DS_LOG, which
// is refused with ERR_INVALID_STATE.
func nextDupStatus(cur admin.DuplicationStatus, checkpoint bool, ev dupEvent) (admin.DuplicationStatus, error) {
	switch cur {
	case admin.DuplicationStatus_DS_PREPARE, admin.DuplicationStatus_DS_APP:
		switch ev {
		case dupRemove:
			return admin.DuplicationStatus_DS_REMOVED, nil
		case dupStart, dupPause:
			return cur, refuse(base.ERR_INVALID_STATE, "the duplication is in %v (preparing the follower); it can %s only once it reaches DS_LOG", cur, ev)
		case dupFollowerReady:
			if cur == admin.DuplicationStatus_DS_PREPARE {
				if checkpoint {
					return admin.DuplicationStatus_DS_APP, nil
				}
				return admin.DuplicationStatus_DS_LOG, nil
			}
		case dupCheckpointsDone:
			if cur == admin.DuplicationStatus_DS_APP {
				return admin.DuplicationStatus_DS_LOG, nil
			}
		}
		return cur, nil
	case admin.DuplicationStatus_DS_LOG, admin.DuplicationStatus_DS_PAUSE:
		switch ev {
		case dupRemove:
			return admin.DuplicationStatus_DS_REMOVED, nil
		case dupStart:
			return admin.DuplicationStatus_DS_LOG, nil
		case dupPause:
			return admin.DuplicationStatus_DS_PAUSE, nil
		}
		return cur, nil
	}
	return cur, refuse(base.ERR_INVALID_STATE, "the duplication is in %v", cur)
}

// statusEvent maps the status of a modify request to its event.
func statusEvent(st admin.DuplicationStatus) (dupEvent, error) {
	switch st {
	case admin.DuplicationStatus_DS_LOG:
		return dupStart, nil
	case admin.DuplicationStatus_DS_PAUSE:
		return dupPause, nil
	case admin.DuplicationStatus_DS_REMOVED:
		return dupRemove, nil
	}
	return 0, refuse(base.ERR_INVALID_PARAMETERS, "status %v cannot be set: use DS_LOG (start), DS_PAUSE or DS_REMOVED", st)
}

// validFailMode reports whether m is a fail mode a duplication can have.
func validFailMode(m admin.DuplicationFailMode) bool {
	switch m {
	case admin.DuplicationFailMode_FAIL_SLOW, admin.DuplicationFailMode_FAIL_SKIP, admin.DuplicationFailMode_FAIL_FAST:
		return true
	}
	return false
}

// invalidDecree is a decree not known yet.
const invalidDecree = -1

// maxLagMarks bounds the commit observations kept per partition for lag.
const maxLagMarks = 64

// lagMark records that the meta first saw decree committed at at.
type lagMark struct {
	decree int64
	at     time.Time
}

// dupProgress is one master partition's progress in one duplication.
// Only stored and storedPrepared are durable; the rest is what the
// partition's primary reported through duplication sync in this term.
type dupProgress struct {
	// stored is the confirmed decree in the store (invalidDecree: none).
	stored         int64
	storedPrepared bool
	// storedAt is when stored was last written in this term (zero: not
	// yet); progress is written at most every Config.DupProgressInterval.
	storedAt time.Time
	// confirmed is the highest decree the follower is known to have; it
	// only rises.
	confirmed int64
	// prepared: the partition's checkpoint has shipped.
	prepared bool
	// committed is the last committed decree the primary reported.
	committed int64
	// marks are increasing commit observations above confirmed, oldest
	// first, at most maxLagMarks.
	marks []lagMark
}

func newDupProgress() *dupProgress {
	return &dupProgress{stored: invalidDecree, confirmed: invalidDecree, committed: invalidDecree}
}

// raise takes a reported confirmed decree; lower ones are ignored.
func (p *dupProgress) raise(confirmed int64) {
	if confirmed > p.confirmed {
		p.confirmed = confirmed
		p.trimMarks()
	}
}

// observeCommitted notes the primary's last committed decree at now.
func (p *dupProgress) observeCommitted(committed int64, now time.Time) {
	if committed <= p.committed {
		return
	}
	p.committed = committed
	if committed <= p.confirmed {
		return
	}
	if n := len(p.marks); n == maxLagMarks {
		// Full: fold the newest decrees into the last mark, which makes the
		// lag of those decrees look longer, never shorter.
		p.marks[n-1].decree = committed
		return
	}
	p.marks = append(p.marks, lagMark{decree: committed, at: now})
}

func (p *dupProgress) trimMarks() {
	i := 0
	for i < len(p.marks) && p.marks[i].decree <= p.confirmed {
		i++
	}
	p.marks = p.marks[i:]
}

// lag is how long the oldest write the follower has not confirmed has been
// committed, as far as the meta saw: 0 when nothing is pending.
func (p *dupProgress) lag(now time.Time) time.Duration {
	if p.committed <= p.confirmed || len(p.marks) == 0 {
		return 0
	}
	return max(0, now.Sub(p.marks[0].at))
}

// needsStore says whether the partition's progress should be written now:
// a newly shipped checkpoint at once, a higher confirmed decree when the
// last write is at least interval old (or force).
func (p *dupProgress) needsStore(now time.Time, interval time.Duration, force bool) bool {
	if p.prepared && !p.storedPrepared {
		return true
	}
	return p.confirmed > p.stored && (force || p.storedAt.IsZero() || now.Sub(p.storedAt) >= interval)
}
