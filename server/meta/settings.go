package meta

import (
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// MaxReplicaCount returns an available table's replica count.
func (s *State) MaxReplicaCount(name string) (int32, error) {
	t, ok := s.availableTable(name)
	if !ok {
		return 0, refuse(base.ERR_APP_NOT_EXIST, "no table %q", name)
	}
	return t.app.MaxReplicaCount, nil
}

// SetMaxReplicaCount changes an available table's replica count, on the
// table and every partition in one change, and returns the old count.
func (s *State) SetMaxReplicaCount(name string, n int32) (Change, int32, error) {
	t, ok := s.availableTable(name)
	if !ok {
		return Change{}, 0, refuse(base.ERR_APP_NOT_EXIST, "no table %q", name)
	}
	old := t.app.MaxReplicaCount
	if s.EffectiveLevel() <= admin.MetaFunctionLevel_fl_freezed {
		return Change{}, old, refuse(base.ERR_STATE_FREEZED, "meta function level is %v", s.EffectiveLevel())
	}
	if err := s.validReplicaCount(n); err != nil {
		return Change{}, old, err
	}
	if n == old {
		return Change{}, old, nil
	}
	app := t.app.Clone()
	app.MaxReplicaCount = n
	c := Change{Apps: []App{app}}
	for _, p := range t.parts {
		next := p.Clone()
		next.MaxReplicaCount = n
		c.Partitions = append(c.Partitions, next)
	}
	return c, old, nil
}

// AtomicIdempotent returns an available table's atomic_idempotent flag.
func (s *State) AtomicIdempotent(name string) (bool, error) {
	t, ok := s.availableTable(name)
	if !ok {
		return false, refuse(base.ERR_APP_NOT_EXIST, "no table %q", name)
	}
	return t.app.AtomicIdempotent, nil
}

// SetAtomicIdempotent changes an available table's atomic_idempotent flag
// and returns the old value.
func (s *State) SetAtomicIdempotent(name string, v bool) (Change, bool, error) {
	t, ok := s.availableTable(name)
	if !ok {
		return Change{}, false, refuse(base.ERR_APP_NOT_EXIST, "no table %q", name)
	}
	old := t.app.AtomicIdempotent
	if v == old {
		return Change{}, old, nil
	}
	app := t.app.Clone()
	app.AtomicIdempotent = v
	return Change{Apps: []App{app}}, old, nil
}
