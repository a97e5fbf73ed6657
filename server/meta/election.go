package meta

import (
	"context"

	"github.com/pegasus-go/pegasus/server/metastore"
)

// Election decides which meta server leads. The leader owns the state; the
// others answer as protocol.md §6.3 says and name the leader.
type Election interface {
	// Campaign blocks until this server leads, then returns a channel that
	// is closed when the leadership is lost. It returns ctx's error when
	// ctx ends first.
	Campaign(ctx context.Context) (lost <-chan struct{}, err error)
	// Leader returns the current leader's "host:port", or "" if unknown.
	Leader() string
}

// AlwaysLeader is the Election of a cluster with a single meta server: it
// leads from the start and never loses.
type AlwaysLeader struct {
	Address string
}

// Campaign returns at once with a channel that is never closed.
func (AlwaysLeader) Campaign(ctx context.Context) (<-chan struct{}, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return make(chan struct{}), nil
}

// Leader returns the server's own address.
func (a AlwaysLeader) Leader() string { return a.Address }

// Fencer is implemented by an Election that can prove its leadership
// inside a store commit. The ops FenceOps returns (checks) fail the commit
// with metastore.ErrConflict once this server no longer holds the
// leadership it won last; the Server adds them to every commit of a term.
type Fencer interface {
	FenceOps() []metastore.Op
}

// Lease is implemented by an Election whose leadership can lapse before
// the lost channel is closed, such as one whose ZooKeeper session this
// process cannot confirm (it was paused, or its network is silent). The
// Server asks Holds before every leader action and acts as a non-leader
// while it is false.
type Lease interface {
	Holds() bool
}
