package meta

import (
	"maps"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// CreateRequest is RPC_CM_CREATE_APP's request.
type CreateRequest struct {
	Name           string
	PartitionCount int32
	// ReplicaCount 0 takes Config.DefaultReplicaCount.
	ReplicaCount     int32
	SuccessIfExist   bool
	AppType          string
	IsStateful       bool
	Envs             map[string]string
	AtomicIdempotent bool
}

// CreateApp validates a create request (design notes §10) and returns the
// change that creates the table with app id max+1 and every partition at
// ballot 0 with no members, and the table's id. An existing table of that
// name is ERR_APP_EXIST, or success with its id under SuccessIfExist when
// the partition count agrees.
func (s *State) CreateApp(r CreateRequest, now time.Time) (Change, int32, error) {
	if err := validName(r.Name); err != nil {
		return Change{}, 0, err
	}
	if t, ok := s.availableTable(r.Name); ok {
		if r.SuccessIfExist && t.app.PartitionCount == r.PartitionCount {
			return Change{}, t.app.ID, nil
		}
		return Change{}, 0, refuse(base.ERR_APP_EXIST, "table %q exists (id %d)", r.Name, t.app.ID)
	}
	if s.EffectiveLevel() <= admin.MetaFunctionLevel_fl_freezed {
		return Change{}, 0, refuse(base.ERR_STATE_FREEZED, "meta function level is %v", s.EffectiveLevel())
	}
	if r.PartitionCount <= 0 || r.PartitionCount&(r.PartitionCount-1) != 0 {
		return Change{}, 0, refuse(base.ERR_INVALID_PARAMETERS, "partition count %d is not a positive power of two", r.PartitionCount)
	}
	replicas := r.ReplicaCount
	if replicas == 0 {
		replicas = s.cfg.DefaultReplicaCount
	}
	if err := s.validReplicaCount(replicas); err != nil {
		return Change{}, 0, err
	}
	if err := validateEnvs(r.Envs); err != nil {
		return Change{}, 0, err
	}
	appType := r.AppType
	if appType == "" {
		appType = DefaultAppType
	}
	app := App{
		ID:                 s.maxID + 1,
		Name:               r.Name,
		Type:               appType,
		Status:             layer2.AppStatus_AS_AVAILABLE,
		PartitionCount:     r.PartitionCount,
		InitPartitionCount: r.PartitionCount,
		MaxReplicaCount:    replicas,
		Envs:               maps.Clone(r.Envs),
		IsStateful:         r.IsStateful,
		AtomicIdempotent:   r.AtomicIdempotent,
		CreateSecond:       now.Unix(),
	}
	c := Change{Apps: []App{app.Clone()}}
	for i := range r.PartitionCount {
		c.Partitions = append(c.Partitions, Partition{
			Pid:             base.Gpid{Appid: app.ID, PartitionIndex: i},
			MaxReplicaCount: replicas,
		})
	}
	return c, app.ID, nil
}

// DropApp soft-deletes the available table named name: status DROPPED,
// recallable until now + reserveSeconds (the hold period when not
// positive), every partition at ballot+1 with its members moved to
// last_drops and the dropped flag set.
func (s *State) DropApp(name string, successIfNotExist bool, reserveSeconds int64, now time.Time) (Change, error) {
	t, ok := s.availableTable(name)
	if !ok {
		if successIfNotExist {
			return Change{}, nil
		}
		return Change{}, refuse(base.ERR_APP_NOT_EXIST, "no table %q", name)
	}
	if t.app.Splitting() {
		return Change{}, refuse(base.ERR_BUSY, "table %q is splitting; cancel the split (or let it finish) before dropping it", name)
	}
	hold := int64(s.cfg.HoldDroppedApps / time.Second)
	if reserveSeconds > 0 {
		hold = reserveSeconds
	}
	app := t.app.Clone()
	app.Status = layer2.AppStatus_AS_DROPPED
	app.DropSecond = now.Unix()
	app.ExpireSecond = now.Unix() + hold
	c := Change{Apps: []App{app}}
	for _, p := range t.parts {
		next := p.withMembers(netipNone, nil)
		next.Flags |= FlagDropped
		c.Partitions = append(c.Partitions, next)
	}
	return c, nil
}

// RecallApp brings back a dropped table before its hold period expires,
// under newName or, when empty, its old name, which must be free. Its
// partitions lose the dropped flag; cure then hands each back to the node
// that last held it.
func (s *State) RecallApp(id int32, newName string, now time.Time) (Change, App, error) {
	t := s.tables[id]
	if t == nil || !t.app.Dropped() || now.Unix() >= t.app.ExpireSecond {
		return Change{}, App{}, refuse(base.ERR_APP_NOT_EXIST, "no recallable table with id %d", id)
	}
	name := newName
	if name == "" {
		name = t.app.Name
	}
	if err := validName(name); err != nil {
		return Change{}, App{}, err
	}
	if other, ok := s.availableTable(name); ok {
		return Change{}, App{}, refuse(base.ERR_APP_EXIST, "name %q is taken by table %d", name, other.app.ID)
	}
	app := t.app.Clone()
	app.Name = name
	app.Status = layer2.AppStatus_AS_AVAILABLE
	app.DropSecond, app.ExpireSecond = 0, 0
	c := Change{Apps: []App{app.Clone()}}
	for _, p := range t.parts {
		next := p.Clone()
		next.Flags &^= FlagDropped
		c.Partitions = append(c.Partitions, next)
	}
	return c, app, nil
}

// RenameApp renames an available table; the new name must be free.
func (s *State) RenameApp(oldName, newName string) (Change, error) {
	t, ok := s.availableTable(oldName)
	if !ok {
		return Change{}, refuse(base.ERR_APP_NOT_EXIST, "no table %q", oldName)
	}
	if err := validName(newName); err != nil {
		return Change{}, err
	}
	if other, ok := s.availableTable(newName); ok {
		return Change{}, refuse(base.ERR_APP_EXIST, "name %q is taken by table %d", newName, other.app.ID)
	}
	app := t.app.Clone()
	app.Name = newName
	return Change{Apps: []App{app}}, nil
}

// validName accepts the table names upstream accepts: non-empty, letters,
// digits and _ . : - only.
func validName(name string) error {
	if name == "" {
		return refuse(base.ERR_INVALID_PARAMETERS, "empty table name")
	}
	if len(name) > 256 {
		return refuse(base.ERR_INVALID_PARAMETERS, "table name of %d bytes is too long", len(name))
	}
	for _, c := range name {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '.', c == ':', c == '-':
		default:
			return refuse(base.ERR_INVALID_PARAMETERS, "table name %q has character %q", name, c)
		}
	}
	return nil
}

func (s *State) validReplicaCount(n int32) error {
	if n < s.cfg.MinReplicaCount || n > s.cfg.MaxReplicaCount {
		return refuse(base.ERR_INVALID_PARAMETERS, "replica count %d is outside [%d, %d]",
			n, s.cfg.MinReplicaCount, s.cfg.MaxReplicaCount)
	}
	return nil
}
