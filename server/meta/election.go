package meta

import "context"

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
