package meta

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// DupKey names a duplication: its table's id and its dupid.
type DupKey struct {
	App int32
	ID  int32
}

func (k DupKey) compare(o DupKey) int {
	if k.App != o.App {
		return cmp.Compare(k.App, o.App)
	}
	return cmp.Compare(k.ID, o.ID)
}

// dupState is a duplication in memory: its record and the progress of
// each master partition.
type dupState struct {
	rec   Duplication
	parts map[int32]*dupProgress
	// followerErr is why the leader's loop last failed to create or check
	// the follower table ("" after a success); not stored.
	followerErr string
}

func (d *dupState) part(i int32) *dupProgress {
	p := d.parts[i]
	if p == nil {
		p = newDupProgress()
		d.parts[i] = p
	}
	return p
}

// DupChange is the duplication part of a Change: records to write, the
// progress of partitions to write, and duplications to delete with
// everything under them.
type DupChange struct {
	Records  []Duplication
	Progress []DupProgress
	Removed  []DupKey
}

func (c DupChange) empty() bool {
	return len(c.Records) == 0 && len(c.Progress) == 0 && len(c.Removed) == 0
}

// DupProgress is one master partition's stored progress.
type DupProgress struct {
	Key       DupKey
	Index     int32
	Confirmed int64
	Prepared  bool
	// At is when the progress was decided (not stored): the throttle
	// counts from it.
	At time.Time
}

// applyDup makes the duplication part of a persisted change visible.
func (s *State) applyDup(c DupChange) error {
	if c.empty() {
		return nil
	}
	if s.dups == nil {
		s.dups = map[DupKey]*dupState{}
	}
	touched := map[int32]bool{}
	for _, r := range c.Records {
		k := DupKey{r.AppID, r.ID}
		d := s.dups[k]
		if d == nil {
			t := s.tables[r.AppID]
			if t == nil {
				return fmt.Errorf("apply duplication %d of table %d: no such table", r.ID, r.AppID)
			}
			d = &dupState{parts: map[int32]*dupProgress{}}
			for i := range t.app.PartitionCount {
				d.parts[i] = newDupProgress()
			}
			s.dups[k] = d
		}
		d.rec = r
		touched[r.AppID] = true
	}
	for _, p := range c.Progress {
		d := s.dups[p.Key]
		if d == nil {
			return fmt.Errorf("apply progress of duplication %d of table %d: no such duplication", p.Key.ID, p.Key.App)
		}
		dp := d.part(p.Index)
		dp.stored, dp.storedPrepared, dp.storedAt = p.Confirmed, p.Prepared, p.At
		dp.raise(p.Confirmed)
		dp.prepared = dp.prepared || p.Prepared
	}
	for _, k := range c.Removed {
		delete(s.dups, k)
		touched[k.App] = true
	}
	for id := range touched {
		s.refreshDuplicating(id)
	}
	return nil
}

// refreshDuplicating sets the table's duplicating flag: true while it has
// a duplication (removed ones are deleted).
func (s *State) refreshDuplicating(app int32) {
	if t := s.tables[app]; t != nil {
		t.app.Duplicating = len(s.dupsOf(app)) > 0
	}
}

// dupsOf returns the table's duplications in dupid order.
func (s *State) dupsOf(app int32) []*dupState {
	var out []*dupState
	for k, d := range s.dups {
		if k.App == app {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b *dupState) int { return cmp.Compare(a.rec.ID, b.rec.ID) })
	return out
}

// DupAddRequest is RPC_CM_ADD_DUPLICATION's request.
type DupAddRequest struct {
	App        string
	Remote     string
	Checkpoint bool
	// RemoteAppName defaults to App; RemoteReplicaCount 0 to the table's
	// replica count.
	RemoteAppName      string
	RemoteReplicaCount int32
}

// AddDuplication validates an add request and returns the change that
// stores the new duplication (DS_PREPARE with a checkpoint, DS_LOG
// without) with dupid = now in seconds, bumped until no duplication has
// it. A duplication of the table to the same remote table that exists
// already is ERR_DUP_EXIST, returned with the existing duplication.
func (s *State) AddDuplication(r DupAddRequest, now time.Time) (Change, Duplication, error) {
	cfg := s.cfg.Duplication
	if !cfg.Enabled() {
		return Change{}, Duplication{}, refuse(base.ERR_OPERATION_DISABLED,
			"duplication is not configured on this meta server: it needs a [duplication] section naming the clusters")
	}
	t, ok := s.availableTable(r.App)
	if !ok {
		return Change{}, Duplication{}, refuse(base.ERR_APP_NOT_EXIST, "no table %q", r.App)
	}
	if t.app.Split != nil {
		return Change{}, Duplication{}, refuse(base.ERR_BUSY, "table %q is splitting; add the duplication once the split is done", r.App)
	}
	if r.Remote == cfg.ClusterName {
		return Change{}, Duplication{}, refuse(base.ERR_INVALID_PARAMETERS, "remote cluster %q is this cluster", r.Remote)
	}
	if _, ok := cfg.Clusters[r.Remote]; !ok {
		var others []string
		for _, n := range cfg.Names() {
			if n != cfg.ClusterName {
				others = append(others, n)
			}
		}
		return Change{}, Duplication{}, refuse(base.ERR_CLUSTER_NOT_FOUND, "remote cluster %q is not configured; configured: [%s]",
			r.Remote, strings.Join(others, ", "))
	}
	remoteApp := r.RemoteAppName
	if remoteApp == "" {
		remoteApp = r.App
	}
	if err := validName(remoteApp); err != nil {
		return Change{}, Duplication{}, refuse(base.ERR_INVALID_PARAMETERS, "remote app name: %s", hintOf(err))
	}
	replicas := r.RemoteReplicaCount
	if replicas < 0 {
		return Change{}, Duplication{}, refuse(base.ERR_INVALID_PARAMETERS, "remote replica count %d is negative", replicas)
	}
	if replicas == 0 {
		replicas = t.app.MaxReplicaCount
	}
	for _, d := range s.dupsOf(t.app.ID) {
		if d.rec.Remote == r.Remote && d.rec.RemoteAppName == remoteApp {
			return Change{}, d.rec, refuse(base.ERR_DUP_EXIST, "table %q already duplicates to %s.%s (dupid %d, %v)",
				r.App, r.Remote, remoteApp, d.rec.ID, d.rec.Status)
		}
	}
	id := int32(now.Unix())
	for s.dupIDUsed(id) {
		id++
	}
	d := Duplication{
		ID: id, AppID: t.app.ID, Remote: r.Remote, RemoteAppName: remoteApp, RemoteReplicaCount: replicas,
		Status: admin.DuplicationStatus_DS_LOG, FailMode: admin.DuplicationFailMode_FAIL_SLOW,
		Checkpoint: r.Checkpoint, CreateMs: now.UnixMilli(),
	}
	if r.Checkpoint {
		d.Status = admin.DuplicationStatus_DS_PREPARE
	}
	return Change{Dup: DupChange{Records: []Duplication{d}}}, d, nil
}

func (s *State) dupIDUsed(id int32) bool {
	for k := range s.dups {
		if k.ID == id {
			return true
		}
	}
	return false
}

// DupModifyRequest is RPC_CM_MODIFY_DUPLICATION's request; nil fields are
// left as they are.
type DupModifyRequest struct {
	App      string
	ID       int32
	Status   *admin.DuplicationStatus
	FailMode *admin.DuplicationFailMode
}

// ModifyDuplication starts, pauses or removes a duplication and/or sets
// its fail mode, and returns the table's id. Pausing stores every
// partition's latest progress with the new status; removing deletes the
// duplication.
func (s *State) ModifyDuplication(r DupModifyRequest, now time.Time) (Change, int32, error) {
	t, ok := s.availableTable(r.App)
	if !ok {
		return Change{}, 0, refuse(base.ERR_APP_NOT_EXIST, "no table %q", r.App)
	}
	k := DupKey{t.app.ID, r.ID}
	d := s.dups[k]
	if d == nil {
		return Change{}, t.app.ID, refuse(base.ERR_OBJECT_NOT_FOUND, "duplication %d of table %q not found", r.ID, r.App)
	}
	if r.Status == nil && r.FailMode == nil {
		return Change{}, t.app.ID, refuse(base.ERR_INVALID_PARAMETERS, "nothing to modify: give a status or a fail mode")
	}
	rec := d.rec
	if r.FailMode != nil {
		if !validFailMode(*r.FailMode) {
			return Change{}, t.app.ID, refuse(base.ERR_INVALID_PARAMETERS, "unknown fail mode %v", *r.FailMode)
		}
		rec.FailMode = *r.FailMode
	}
	if r.Status != nil {
		ev, err := statusEvent(*r.Status)
		if err != nil {
			return Change{}, t.app.ID, err
		}
		if rec.Status, err = nextDupStatus(rec.Status, rec.Checkpoint, ev); err != nil {
			return Change{}, t.app.ID, err
		}
	}
	var c Change
	switch {
	case rec.Status == admin.DuplicationStatus_DS_REMOVED:
		c.Dup.Removed = []DupKey{k}
	case rec != d.rec:
		c.Dup.Records = []Duplication{rec}
		if rec.Status == admin.DuplicationStatus_DS_PAUSE && d.rec.Status != rec.Status {
			c.Dup.Progress = s.dupProgressToStore(k, d, now, true)
		}
	}
	return c, t.app.ID, nil
}

// dupProgressToStore lists the partitions of d whose progress should be
// written now (all that changed, with force).
func (s *State) dupProgressToStore(k DupKey, d *dupState, now time.Time, force bool) []DupProgress {
	var out []DupProgress
	for _, i := range slices.Sorted(maps.Keys(d.parts)) {
		p := d.parts[i]
		if p.needsStore(now, s.cfg.DupProgressInterval, force) {
			out = append(out, DupProgress{Key: k, Index: i, Confirmed: p.confirmed, Prepared: p.prepared, At: now})
		}
	}
	return out
}

// NoteFollowerError records why the follower table of k could not be
// created or checked ("" clears it), for the /meta/duplication page.
func (s *State) NoteFollowerError(k DupKey, msg string) {
	if d := s.dups[k]; d != nil {
		d.followerErr = msg
	}
}
