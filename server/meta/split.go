package meta

import (
	"fmt"
	"slices"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// Partition split on the meta server (design notes §8, split_state.go for
// the model). Every method validates a request against the state and
// returns the change to persist before anything is acted on or replied.

// StartSplit doubles the available table name to newCount partitions (a
// table with a duplication is refused with ERR_BUSY):
// the table record gets partition_count newCount (init_partition_count if
// unset), the env replica.split.validate_partition_hash = true and every
// parent SPLITTING, and each child i+n a configuration at ballot -1
// without members.
func (s *State) StartSplit(name string, newCount int32) (Change, error) {
	t, ok := s.availableTable(name)
	if !ok {
		return Change{}, refuse(base.ERR_APP_NOT_EXIST, "no table %q", name)
	}
	if t.app.Splitting() {
		return Change{}, refuse(base.ERR_BUSY, "table %q is splitting already (%d -> %d partitions); query, pause, restart or cancel it",
			name, t.app.parentCount(), t.app.PartitionCount)
	}
	n := t.app.PartitionCount
	if newCount <= 0 || int64(newCount) != 2*int64(n) {
		return Change{}, refuse(base.ERR_INVALID_PARAMETERS,
			"table %q has %d partitions: a split only doubles it, to %d, not %d", name, n, 2*int64(n), newCount)
	}
	if s.EffectiveLevel() <= admin.MetaFunctionLevel_fl_freezed {
		return Change{}, refuse(base.ERR_STATE_FREEZED, "meta function level is %v", s.EffectiveLevel())
	}
	if len(s.dupsOf(t.app.ID)) > 0 {
		// A duplication ships each partition's log by partition index; the
		// children's writes would not reach the follower.
		return Change{}, refuse(base.ERR_BUSY, "table %q has a duplication; remove it before splitting the table", name)
	}
	app := t.app.Clone()
	app.PartitionCount = newCount
	if app.InitPartitionCount <= 0 {
		app.InitPartitionCount = n
	}
	app.Envs[splitHashEnv] = "true"
	app.Split = make([]admin.SplitStatus, n)
	for i := range app.Split {
		app.Split[i] = admin.SplitStatus_SPLITTING
	}
	c := Change{Apps: []App{app}}
	for i := range n {
		c.Partitions = append(c.Partitions, Partition{
			Pid:             base.Gpid{Appid: app.ID, PartitionIndex: i + n},
			Ballot:          childBallot,
			MaxReplicaCount: t.parts[i].MaxReplicaCount,
		})
	}
	return c, nil
}

// splittingTable returns the available table name with a split under way.
func (s *State) splittingTable(name string) (*table, error) {
	t, ok := s.availableTable(name)
	if !ok {
		return nil, refuse(base.ERR_APP_NOT_EXIST, "no table %q", name)
	}
	if !t.app.Splitting() {
		return nil, refuse(base.ERR_INVALID_STATE, "table %q (%d partitions) is not splitting", name, t.app.PartitionCount)
	}
	return t, nil
}

// QuerySplit reports the split under way on table name: the new partition
// count and the status of every parent still splitting (a parent whose
// child registered is left out).
func (s *State) QuerySplit(name string) (int32, map[int32]admin.SplitStatus, error) {
	t, err := s.splittingTable(name)
	if err != nil {
		return 0, nil, err
	}
	status := map[int32]admin.SplitStatus{}
	for i, v := range t.app.Split {
		if v != admin.SplitStatus_NOT_SPLIT {
			status[int32(i)] = v
		}
	}
	return t.app.PartitionCount, status, nil
}

// ControlSplit pauses, restarts or cancels the split of table name, for
// parent (or every parent when parent is -1; a cancel always applies to
// every parent). oldCount, when set, must be the count before the split.
// It returns the change and a note on what was done.
//
//   - PAUSE: SPLITTING -> PAUSING (the parent's primary confirms with
//     RPC_CM_NOTIFY_STOP_SPLIT and the parent becomes PAUSED);
//   - RESTART: PAUSED or PAUSING -> SPLITTING (the primary starts over);
//   - CANCEL: every parent -> CANCELING, refused with ERR_CHILD_REGISTERED
//     once any child registered.
//
// Asking for the state a parent is in already changes nothing and
// succeeds; a parent whose child registered gets ERR_CHILD_REGISTERED and
// one being canceled ERR_INVALID_STATE.
func (s *State) ControlSplit(name string, typ admin.SplitControlType, parent int32, oldCount *int32) (Change, string, error) {
	t, err := s.splittingTable(name)
	if err != nil {
		return Change{}, "", err
	}
	n := t.app.parentCount()
	if oldCount != nil && *oldCount != n {
		return Change{}, "", refuse(base.ERR_INVALID_PARAMETERS,
			"table %q splits from %d partitions, not %d", name, n, *oldCount)
	}
	if typ == admin.SplitControlType_CANCEL {
		return s.cancelSplit(t)
	}
	if parent < -1 || parent >= n {
		return Change{}, "", refuse(base.ERR_INVALID_PARAMETERS,
			"parent partition %d of table %q is out of range: give 0..%d, or -1 for every parent", parent, name, n-1)
	}
	var from, to []admin.SplitStatus
	switch typ {
	case admin.SplitControlType_PAUSE:
		from, to = []admin.SplitStatus{admin.SplitStatus_SPLITTING},
			[]admin.SplitStatus{admin.SplitStatus_PAUSING, admin.SplitStatus_PAUSED}
	case admin.SplitControlType_RESTART:
		from, to = []admin.SplitStatus{admin.SplitStatus_PAUSING, admin.SplitStatus_PAUSED},
			[]admin.SplitStatus{admin.SplitStatus_SPLITTING}
	default:
		return Change{}, "", refuse(base.ERR_INVALID_PARAMETERS, "unknown split control type %d", typ)
	}
	if canceling(t.app.Split) {
		return Change{}, "", refuse(base.ERR_INVALID_STATE, "the split of table %q is being canceled", name)
	}
	app := t.app.Clone()
	changed, done := 0, 0
	for i, v := range app.Split {
		if parent != -1 && int32(i) != parent {
			continue
		}
		switch {
		case slices.Contains(from, v):
			app.Split[i] = to[0]
			changed++
		case slices.Contains(to, v):
			done++
		case parent != -1 && v == admin.SplitStatus_NOT_SPLIT:
			return Change{}, "", refuse(base.ERR_CHILD_REGISTERED,
				"the child of parent partition %d of table %q registered already: its split is over", parent, name)
		}
	}
	verb, already := "restarting", "splitting"
	if typ == admin.SplitControlType_PAUSE {
		verb, already = "pausing", "paused or pausing"
	}
	hint := fmt.Sprintf("%s the split of %d parent partition(s) of table %q", verb, changed, name)
	if done > 0 {
		hint += fmt.Sprintf("; %d were %s already", done, already)
	}
	if changed == 0 {
		return Change{}, hint, nil
	}
	return Change{Apps: []App{app}}, hint, nil
}

// cancelSplit turns every parent of t to CANCELING, unless a child
// registered already.
func (s *State) cancelSplit(t *table) (Change, string, error) {
	n := t.app.parentCount()
	for i := range n {
		if t.parts[i+n].Ballot != childBallot {
			return Change{}, "", refuse(base.ERR_CHILD_REGISTERED,
				"partition %d of table %q registered already, so the split can no longer be canceled; let it finish (restart it if paused)",
				i+n, t.app.Name)
		}
	}
	if canceling(t.app.Split) {
		return Change{}, fmt.Sprintf("the split of table %q is being canceled already", t.app.Name), nil
	}
	app := t.app.Clone()
	for i := range app.Split {
		app.Split[i] = admin.SplitStatus_CANCELING
	}
	return Change{Apps: []App{app}}, fmt.Sprintf("canceling the split of table %q: %d parent partition(s) must confirm", t.app.Name, n), nil
}

// RegisterChild makes a splitting parent's child a partition of its own
// (RPC_CM_REGISTER_CHILD_REPLICA). parent is the configuration the
// parent's primary holds and child the one it proposes for the child:
// ballot parent+1, the parent's members. The checks, in order: the child
// is not registered yet (else ERR_CHILD_REGISTERED, so that a late or
// repeated request learns its child exists), the parent's ballot is the
// stored one (else ERR_INVALID_VERSION), the parent is SPLITTING (else
// ERR_INVALID_STATE). The change stores the child's
// configuration, marks the parent NOT_SPLIT and ends the split once every
// child registered. It returns the table and the stored parent and child
// configurations, after the change on success (and as they stand when the
// table exists otherwise).
func (s *State) RegisterChild(parent, child Partition) (Change, App, Partition, Partition, error) {
	t := s.tables[parent.Pid.Appid]
	if t == nil || !t.app.Available() {
		return Change{}, App{}, Partition{}, Partition{}, refuse(base.ERR_APP_NOT_EXIST, "no table with id %d", parent.Pid.Appid)
	}
	// After the split ended the same arithmetic still finds the child, so
	// a repeated registration gets ERR_CHILD_REGISTERED below.
	n := t.app.PartitionCount / 2
	pidx := parent.Pid.PartitionIndex
	if pidx < 0 || pidx >= n || child.Pid != (base.Gpid{Appid: t.app.ID, PartitionIndex: pidx + n}) {
		if !t.app.Splitting() {
			return Change{}, t.app.Clone(), Partition{}, Partition{}, refuse(base.ERR_INVALID_STATE,
				"table %q (%d partitions) is not splitting", t.app.Name, t.app.PartitionCount)
		}
		return Change{}, t.app.Clone(), Partition{}, Partition{}, refuse(base.ERR_INVALID_PARAMETERS,
			"table %q has parents 0..%d: %v cannot register %v as its child", t.app.Name, n-1, &parent.Pid, &child.Pid)
	}
	curParent, curChild := t.parts[pidx].Clone(), t.parts[pidx+n].Clone()
	fail := func(err error) (Change, App, Partition, Partition, error) {
		return Change{}, t.app.Clone(), curParent, curChild, err
	}
	switch {
	case curChild.Ballot != childBallot:
		// Whatever the parent's ballot is by now: its primary must keep
		// the child rather than drop it.
		return fail(refuse(base.ERR_CHILD_REGISTERED, "child %v registered already (ballot %d)", &child.Pid, curChild.Ballot))
	case parent.Ballot != curParent.Ballot:
		return fail(refuse(base.ERR_INVALID_VERSION, "parent %v is at ballot %d, the request has %d",
			&parent.Pid, curParent.Ballot, parent.Ballot))
	case t.app.splitStatus(pidx) != admin.SplitStatus_SPLITTING:
		return fail(refuse(base.ERR_INVALID_STATE, "parent %v is %v, not SPLITTING", &parent.Pid, t.app.splitStatus(pidx)))
	case child.Ballot != curParent.Ballot+1 || !sameMembers(child, curParent):
		return fail(refuse(base.ERR_INVALID_PARAMETERS,
			"child %v must have ballot %d and the parent's members; it has ballot %d, primary %v, secondaries %v",
			&child.Pid, curParent.Ballot+1, child.Ballot, child.Primary, child.Secondaries))
	}
	next := Partition{
		Pid: child.Pid, Ballot: child.Ballot, MaxReplicaCount: curParent.MaxReplicaCount,
		Primary: curParent.Primary, Secondaries: slices.Clone(curParent.Secondaries),
		LastCommittedDecree: child.LastCommittedDecree,
	}
	app := t.app.Clone()
	app.Split[pidx] = admin.SplitStatus_NOT_SPLIT
	if splitPending(app.Split) == 0 {
		app.Split = nil
	}
	return Change{Apps: []App{app.Clone()}, Partitions: []Partition{next}}, app, curParent, next.Clone(), nil
}

// NotifyStopSplit records a parent primary's confirmation that it stopped
// splitting as asked (RPC_CM_NOTIFY_STOP_SPLIT): status PAUSING makes the
// parent PAUSED; CANCELING marks the parent confirmed, and once every
// parent confirmed the table goes back to oldCount partitions and the
// children's configurations are removed. A repeated confirmation succeeds
// without a change.
func (s *State) NotifyStopSplit(name string, parent base.Gpid, status admin.SplitStatus, oldCount int32) (Change, error) {
	t, err := s.splittingTable(name)
	if err != nil {
		return Change{}, err
	}
	n := t.app.parentCount()
	if parent.Appid != t.app.ID || parent.PartitionIndex < 0 || parent.PartitionIndex >= n || oldCount != n {
		return Change{}, refuse(base.ERR_INVALID_PARAMETERS, "table %q (id %d) splits from %d partitions: %v with count %d is not one of its parents",
			name, t.app.ID, n, &parent, oldCount)
	}
	cur := t.app.Split[parent.PartitionIndex]
	app := t.app.Clone()
	switch {
	case status == admin.SplitStatus_PAUSING && cur == admin.SplitStatus_PAUSING:
		app.Split[parent.PartitionIndex] = admin.SplitStatus_PAUSED
		return Change{Apps: []App{app}}, nil
	case status == admin.SplitStatus_PAUSING && cur == admin.SplitStatus_PAUSED:
		return Change{}, nil
	case status == admin.SplitStatus_CANCELING && cur == admin.SplitStatus_CANCELING:
		app.Split[parent.PartitionIndex] = admin.SplitStatus_NOT_SPLIT
		if splitPending(app.Split) > 0 {
			return Change{Apps: []App{app}}, nil
		}
		return s.endCanceledSplit(t, app), nil
	case status == admin.SplitStatus_CANCELING && cur == admin.SplitStatus_NOT_SPLIT && canceling(t.app.Split):
		return Change{}, nil
	}
	return Change{}, refuse(base.ERR_INVALID_STATE, "parent %v is %v; a %v confirmation does not apply", &parent, cur, status)
}

// endCanceledSplit returns the change that ends a canceled split: the
// table back at its old partition count, without split status, and the
// children's configurations removed.
func (s *State) endCanceledSplit(t *table, app App) Change {
	n := app.parentCount()
	app.PartitionCount = n
	app.Split = nil
	c := Change{Apps: []App{app}}
	for i := n; i < 2*n; i++ {
		c.RemovedPartitions = append(c.RemovedPartitions, base.Gpid{Appid: app.ID, PartitionIndex: i})
	}
	return c
}

// QueryChildState answers a parent primary asking after its child
// (RPC_CM_QUERY_CHILD_STATE): when table name has (or is going to) 2 ×
// oldCount partitions, the table's partition count and the child's stored
// configuration (ballot -1 while unregistered); otherwise
// ERR_INVALID_STATE with the table's partition count (the split ended in a
// cancel, or never started).
func (s *State) QueryChildState(name string, parent base.Gpid, oldCount int32) (int32, Partition, error) {
	t, ok := s.availableTable(name)
	if !ok {
		return 0, Partition{}, refuse(base.ERR_APP_NOT_EXIST, "no table %q", name)
	}
	count := t.app.PartitionCount
	if oldCount <= 0 || parent.Appid != t.app.ID || parent.PartitionIndex < 0 || parent.PartitionIndex >= oldCount {
		return count, Partition{}, refuse(base.ERR_INVALID_PARAMETERS, "%v with partition count %d is not a partition of table %q (id %d)",
			&parent, oldCount, name, t.app.ID)
	}
	if int64(count) != 2*int64(oldCount) {
		return count, Partition{}, refuse(base.ERR_INVALID_STATE, "table %q has %d partitions, not %d: no split from %d",
			name, count, 2*int64(oldCount), oldCount)
	}
	return count, t.parts[parent.PartitionIndex+oldCount].Clone(), nil
}
