package replica

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
)

// FlushReport is what FlushLog did.
type FlushReport struct {
	Flushed int      // replicas whose memtables went to SST files
	Closed  int      // replicas whose storage closed meanwhile (learning, closing)
	Failed  []string // "app.partition: error"
	// The shared mutation log before and after collecting it.
	LogBytesBefore, LogBytesAfter int64
	SegmentsBefore, SegmentsAfter int
	SegmentsRemoved               int
}

func (r FlushReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "flushed %d replicas", r.Flushed)
	if r.Closed > 0 {
		fmt.Fprintf(&b, ", %d closed meanwhile", r.Closed)
	}
	fmt.Fprintf(&b, ", %d failed\n", len(r.Failed))
	for _, f := range r.Failed {
		fmt.Fprintf(&b, "  %s\n", f)
	}
	fmt.Fprintf(&b, "mutation log: %d bytes in %d segments before, %d bytes in %d segments after (%d segments removed)",
		r.LogBytesBefore, r.SegmentsBefore, r.LogBytesAfter, r.SegmentsAfter, r.SegmentsRemoved)
	return b.String()
}

// FlushLog serves the flush-log remote command: it flushes every hosted
// replica's memtables to SST files, so that what they applied no longer
// depends on the shared mutation log, and then collects the log at once
// instead of at the next GC round. The active segment always stays.
func (n *Node) FlushLog(ctx context.Context) (FlushReport, error) {
	var rep FlushReport
	rep.LogBytesBefore, rep.SegmentsBefore = n.mlog.Size()
	for _, r := range n.srv.Replicas() {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("flush-log: %w", err)
		}
		s := r.Storage()
		if s == nil {
			continue
		}
		durable, err := s.Flush()
		switch {
		case errors.Is(err, storage.ErrClosed):
			rep.Closed++
			continue
		case err != nil:
			rep.Failed = append(rep.Failed, fmt.Sprintf("%s: %v", gpidString(r.Gpid), err))
			continue
		}
		rep.Flushed++
		r.raiseDurable(durable)
	}
	removed, err := n.mlog.GC(n.durableDecrees())
	rep.SegmentsRemoved = removed
	rep.LogBytesAfter, rep.SegmentsAfter = n.mlog.Size()
	if err != nil {
		return rep, fmt.Errorf("flush-log: collect the mutation log: %w", err)
	}
	return rep, nil
}

// durableDecrees is what the shared log may drop per partition: a hosted
// replica's durable decree (lower while a duplication still needs decrees,
// dup_retention.go), what a closed replica on disk held when it
// closed, and everything of a partition no longer stored here. It looks
// each partition up when the log asks, not from a snapshot: a replica
// created meanwhile must not count as gone. (A replica being closed is
// recorded as closed before it stops being hosted, so it is always one
// or the other.)
func (n *Node) durableDecrees() func(base.Gpid) int64 {
	return func(g base.Gpid) int64 {
		if r := n.srv.Replica(g); r != nil {
			return min(r.durable.Load(), r.retainedFrom())
		}
		n.mu.Lock()
		st, ok := n.closed[g]
		n.mu.Unlock()
		if ok {
			if st.state.Duplicating {
				return 0 // what a duplication still needs is unknown
			}
			return st.durable
		}
		return math.MaxInt64
	}
}
