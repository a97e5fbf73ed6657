package meta

import (
	"maps"
	"slices"

	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// DefaultAppType is the storage engine of every Pegasus table.
const DefaultAppType = "pegasus"

// App is a table as the meta server stores it (layer2 app_info). Only
// AS_AVAILABLE and AS_DROPPED are ever stored: every create, drop and
// recall is persisted in one atomic commit, so no transient status exists.
type App struct {
	ID                 int32
	Name               string
	Type               string
	Status             layer2.AppStatus
	PartitionCount     int32
	InitPartitionCount int32
	MaxReplicaCount    int32
	Envs               map[string]string
	IsStateful         bool
	AtomicIdempotent   bool
	// CreateSecond, DropSecond and ExpireSecond are Unix seconds; the
	// last two are 0 unless the table is dropped.
	CreateSecond int64
	DropSecond   int64
	ExpireSecond int64
	// Split is the partition split under way (split.go): the status of
	// each parent by index, PartitionCount/2 of them; nil when the table
	// is not splitting.
	Split []admin.SplitStatus
	// Duplicating is true while the table has a duplication; it is not
	// stored with the table but follows from its duplications.
	Duplicating bool
}

// Clone returns a deep copy.
func (a App) Clone() App {
	a.Envs = maps.Clone(a.Envs)
	if a.Envs == nil {
		a.Envs = map[string]string{}
	}
	a.Split = slices.Clone(a.Split)
	return a
}

// Available reports whether the table is serving.
func (a App) Available() bool { return a.Status == layer2.AppStatus_AS_AVAILABLE }

// Dropped reports whether the table is dropped (recallable until
// ExpireSecond).
func (a App) Dropped() bool { return a.Status == layer2.AppStatus_AS_DROPPED }
