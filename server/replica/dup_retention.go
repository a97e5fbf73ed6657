package replica

import (
	"math"

	"github.com/pegasus-go/pegasus/server/replica/peerwire"
)

// Log retention for duplication (design notes §7, §13): the shared
// mutation log never drops a duplicating partition's decrees above the
// lowest decree its duplications confirmed, on the primary and on the
// secondaries alike, and keeps all of them while that is unknown (a
// replica just restarted or assigned). The primary's registry sets
// dupConfirmed from its duplicators (dup_sync.go) and sends it in every
// group check (peer_message.dup_confirmed); secondaries take it from
// there. When the table no longer duplicates (app_info.duplicating false
// after DS_REMOVED) the retention is released.

// retainedFrom is the highest decree the log may drop for this replica
// because of duplication: math.MaxInt64 when the table does not duplicate
// (neither app_info says so nor a pipeline runs here: the pipeline may
// start before config sync brings the flag), 0 while the confirmed decree
// is unknown.
func (r *Replica) retainedFrom() int64 {
	if !r.duplicating() && !r.dupActive.Load() {
		return math.MaxInt64
	}
	return max(r.dupConfirmed.Load(), 0)
}

// duplicating reports whether the replica's table has a duplication.
func (r *Replica) duplicating() bool {
	r.cfgMu.Lock()
	defer r.cfgMu.Unlock()
	return r.state.Duplicating
}

// withDupConfirmed attaches the retention to a group check the primary
// sends, when the table duplicates (0 while unknown: keep everything).
func (r *Replica) withDupConfirmed(e *peerwire.Envelope) {
	if !r.duplicating() && !r.dupActive.Load() {
		return
	}
	c := max(r.dupConfirmed.Load(), 0)
	e.DupConfirmed = &c
}

// takeDupConfirmed is a secondary's side: the primary's group check says
// what its duplications confirmed; without the field the table does not
// duplicate (as far as the primary knows) and the last value is dropped.
func (r *Replica) takeDupConfirmed(e peerwire.Envelope) {
	if r.Status() == StatusPrimary {
		return
	}
	if e.DupConfirmed == nil {
		r.dupConfirmed.Store(-1)
		return
	}
	r.dupConfirmed.Store(*e.DupConfirmed)
}
