package meta

import (
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// DupPartitionView is one master partition's progress.
type DupPartitionView struct {
	Index     int32
	Confirmed int64 // invalidDecree: unknown yet
	Committed int64 // invalidDecree: not reported in this term
	Lag       time.Duration
}

// DupView is a duplication as the admin RPCs and the sync reply show it:
// the record and every partition's progress in index order.
type DupView struct {
	Duplication
	Partitions []DupPartitionView
	// FollowerError is why the follower table could not be created or
	// checked last time, if it could not.
	FollowerError string
}

func (s *State) dupView(t *table, d *dupState, now time.Time) DupView {
	v := DupView{Duplication: d.rec, FollowerError: d.followerErr}
	for i := range t.app.PartitionCount {
		pv := DupPartitionView{Index: i, Confirmed: invalidDecree, Committed: invalidDecree}
		if p := d.parts[i]; p != nil {
			pv.Confirmed, pv.Committed, pv.Lag = p.confirmed, p.committed, p.lag(now)
		}
		v.Partitions = append(v.Partitions, pv)
	}
	return v
}

// QueryDuplications answers RPC_CM_QUERY_DUPLICATION: the table and its
// duplications in dupid order.
func (s *State) QueryDuplications(app string, now time.Time) (App, []DupView, error) {
	t, ok := s.availableTable(app)
	if !ok {
		return App{}, nil, refuse(base.ERR_APP_NOT_EXIST, "no table %q", app)
	}
	var out []DupView
	for _, d := range s.dupsOf(t.app.ID) {
		out = append(out, s.dupView(t, d, now))
	}
	return t.app.Clone(), out, nil
}

// AppDups is one table and its duplications.
type AppDups struct {
	App  App
	Dups []DupView
}

// ListDuplications answers RPC_CM_LIST_DUPLICATION: every available table
// whose name matches (as list_apps matches), with its duplications, in id
// order.
func (s *State) ListDuplications(pattern string, match *admin.PatternMatchType, now time.Time) ([]AppDups, error) {
	matches, err := nameMatcher(pattern, match)
	if err != nil {
		return nil, err
	}
	var out []AppDups
	for _, id := range s.tableIDs() {
		t := s.tables[id]
		if !t.app.Available() || !matches(t.app.Name) {
			continue
		}
		ad := AppDups{App: t.app.Clone()}
		for _, d := range s.dupsOf(id) {
			ad.Dups = append(ad.Dups, s.dupView(t, d, now))
		}
		out = append(out, ad)
	}
	return out, nil
}
