package meta

import (
	"maps"
	"net/netip"
	"slices"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// DupConfirm is one duplication's progress on one partition, as its
// primary reports it.
type DupConfirm struct {
	ID        int32
	Confirmed int64
	Prepared  bool
	// Committed is the partition's last committed decree (invalidDecree:
	// not reported).
	Committed int64
}

// DupReport is one partition's report in RPC_CM_DUPLICATION_SYNC.
type DupReport struct {
	Pid      base.Gpid
	Confirms []DupConfirm
}

// DuplicationSync takes a replica server's progress reports (in place: the
// highest confirmed decrees, commit points, lag) and returns the change
// that stores what must be stored now: progress at most every
// Config.DupProgressInterval per partition, a shipped checkpoint at once,
// and DS_APP → DS_LOG once every partition's checkpoint has shipped.
// Reports for partitions the node is not the primary of, and for unknown
// duplications, are ignored; so are confirmed decrees in DS_PREPARE, and
// in DS_APP those not reported with checkpoint_prepared (a partition's
// first progress is its checkpoint's decree).
func (s *State) DuplicationSync(n netip.AddrPort, reports []DupReport, now time.Time) (Change, error) {
	if !s.Known(n) {
		return Change{}, refuse(base.ERR_OBJECT_NOT_FOUND, "replica server %v is unknown", n)
	}
	var c Change
	touched := map[DupKey]bool{}
	for _, r := range reports {
		t, p, ok := s.partition(r.Pid)
		if !ok || !t.app.Available() || p.Primary != n {
			continue
		}
		for _, cf := range r.Confirms {
			k := DupKey{r.Pid.Appid, cf.ID}
			d := s.dups[k]
			if d == nil {
				continue
			}
			dp := d.part(r.Pid.PartitionIndex)
			switch d.rec.Status {
			case admin.DuplicationStatus_DS_PREPARE:
				// Nothing ships before the follower is ready.
			case admin.DuplicationStatus_DS_APP:
				// A partition's first confirmed decree is its shipped
				// checkpoint's; replica servers rely on that.
				if cf.Prepared {
					dp.prepared = true
					dp.raise(cf.Confirmed)
				}
			default:
				dp.raise(cf.Confirmed)
			}
			if cf.Committed != invalidDecree {
				dp.observeCommitted(cf.Committed, now)
			}
			if dp.needsStore(now, s.cfg.DupProgressInterval, false) {
				c.Dup.Progress = append(c.Dup.Progress, DupProgress{Key: k, Index: r.Pid.PartitionIndex,
					Confirmed: dp.confirmed, Prepared: dp.prepared, At: now})
			}
			touched[k] = true
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(touched), DupKey.compare) {
		d, t := s.dups[k], s.tables[k.App]
		if d.rec.Status != admin.DuplicationStatus_DS_APP {
			continue
		}
		done := true
		for i := range t.app.PartitionCount {
			if p := d.parts[i]; p == nil || !p.prepared {
				done = false
				break
			}
		}
		if !done {
			continue
		}
		rec := d.rec
		rec.Status, _ = nextDupStatus(rec.Status, rec.Checkpoint, dupCheckpointsDone)
		c.Dup.Records = append(c.Dup.Records, rec)
	}
	return c, nil
}

// DupMap is the duplication part of a sync reply: for every available
// table the node is the primary of a partition of, its duplications.
func (s *State) DupMap(n netip.AddrPort, now time.Time) map[int32][]DupView {
	out := map[int32][]DupView{}
	for _, id := range s.tableIDs() {
		t := s.tables[id]
		if !t.app.Available() {
			continue
		}
		dups := s.dupsOf(id)
		if len(dups) == 0 || !slices.ContainsFunc(t.parts, func(p Partition) bool { return p.Primary == n }) {
			continue
		}
		for _, d := range dups {
			out[id] = append(out[id], s.dupView(t, d, now))
		}
	}
	return out
}

// FollowerTask is a duplication whose follower table the leader must
// create or check on the remote cluster.
type FollowerTask struct {
	Key                DupKey
	Remote             string
	RemoteAppName      string
	RemoteReplicaCount int32
	PartitionCount     int32
	// MasterApp and MasterEnvs describe the master table.
	MasterApp  string
	MasterEnvs map[string]string
}

// DupFollowerWork lists the duplications of available tables whose
// follower is not known to be ready: those in DS_PREPARE, and log-only
// ones whose follower table has not been seen serving yet.
func (s *State) DupFollowerWork() []FollowerTask {
	var out []FollowerTask
	for _, id := range s.tableIDs() {
		t := s.tables[id]
		if !t.app.Available() {
			continue
		}
		for _, d := range s.dupsOf(id) {
			if d.rec.FollowerReady && d.rec.Status != admin.DuplicationStatus_DS_PREPARE {
				continue
			}
			out = append(out, FollowerTask{
				Key: DupKey{id, d.rec.ID}, Remote: d.rec.Remote, RemoteAppName: d.rec.RemoteAppName,
				RemoteReplicaCount: d.rec.RemoteReplicaCount, PartitionCount: t.app.PartitionCount,
				MasterApp: t.app.Name, MasterEnvs: maps.Clone(t.app.Envs),
			})
		}
	}
	return out
}

// DupFollowerReady records that the duplication's follower table serves
// every partition: DS_PREPARE moves on (DS_APP, or DS_LOG without a
// checkpoint). An unknown (removed) duplication changes nothing.
func (s *State) DupFollowerReady(k DupKey) (Change, error) {
	d := s.dups[k]
	if d == nil {
		return Change{}, nil
	}
	rec := d.rec
	rec.FollowerReady = true
	var err error
	if rec.Status, err = nextDupStatus(rec.Status, rec.Checkpoint, dupFollowerReady); err != nil {
		return Change{}, err
	}
	if rec == d.rec {
		return Change{}, nil
	}
	return Change{Dup: DupChange{Records: []Duplication{rec}}}, nil
}

// DupFlush returns the change that stores progress whose last write is at
// least Config.DupProgressInterval old, so that progress reaches the store
// even when syncs stop coming.
func (s *State) DupFlush(now time.Time) Change {
	var c Change
	for _, k := range slices.SortedFunc(maps.Keys(s.dups), DupKey.compare) {
		c.Dup.Progress = append(c.Dup.Progress, s.dupProgressToStore(k, s.dups[k], now, false)...)
	}
	return c
}
