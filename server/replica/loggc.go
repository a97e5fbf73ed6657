package replica

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
)

// The shared mutation log can drop a segment only once every partition
// with entries in it holds them durably in storage, and storage makes them
// durable only when a memtable flushes — which a memtable does when it is
// full. A partition that took a few writes and went quiet would therefore
// hold the oldest segment, and so every later one, forever: the log would
// grow until the disk fills, and a restart would replay all of it.
// Upstream had GC problems of this kind with its per-server shared log and
// dropped it (design notes, "No shared log"). This server keeps the shared
// log for its group commit, and bounds it instead: when the log is larger
// than LogMaxBytes, the replicas that hold its oldest segment flush their
// memtables, and the log is collected again.

// DefaultLogMaxBytes is NodeOptions.LogMaxBytes's default: 2 GiB, room for
// the unflushed memtables of a few dozen busy replicas.
const DefaultLogMaxBytes = 2 << 30

// logGCLoop drops mutation log segments whose entries every replica holds
// durably in storage. A replica closed on disk keeps what it has logged
// past its storage; one no longer stored keeps nothing.
func (n *Node) logGCLoop() {
	defer n.wg.Done()
	t := time.NewTicker(logGCInterval)
	defer t.Stop()
	var warned time.Time
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		}
		removed, err := n.mlog.GC(n.durableDecrees())
		if err != nil {
			n.log.Warn("replica node: mutation log gc", "err", err)
		} else if removed > 0 {
			n.log.Debug("replica node: mutation log gc", "segments", removed)
		}
		rep, err := n.boundLog()
		if len(rep.flushed) > 0 {
			n.log.Info("replica node: mutation log over its bound; flushed the replicas holding its oldest segment",
				"replicas", gpidList(rep.flushed), "segments_removed", rep.removed, "bytes", rep.bytes, "bound", n.opts.LogMaxBytes)
		}
		if err != nil {
			n.log.Warn("replica node: bounding the mutation log", "err", err)
		}
		if len(rep.stuck) > 0 && time.Since(warned) >= time.Minute {
			warned = time.Now()
			n.log.Warn("replica node: mutation log over its bound; its oldest segment is held by entries a flush cannot free",
				"replicas", gpidList(slices.Collect(maps.Keys(rep.stuck))), "bytes", rep.bytes, "bound", n.opts.LogMaxBytes)
		}
	}
}

// maxBoundRounds bounds the segments one GC round frees by flushing.
const maxBoundRounds = 64

// logBoundReport is what one boundLog call did.
type logBoundReport struct {
	flushed []base.Gpid // replicas whose memtables it flushed
	removed int         // segments collected after those flushes
	// stuck names the holders of the oldest segment that flushing cannot
	// free (a duplication still needs their entries, their storage has
	// not applied them yet, a closed replica); empty when the log is
	// under its bound or got there.
	stuck map[base.Gpid]int64
	bytes int64 // the log's size afterwards
}

// boundLog flushes the replicas holding the log's oldest segment while the
// log is over its bound, collecting the log after each round.
func (n *Node) boundLog() (logBoundReport, error) {
	var rep logBoundReport
	limit := n.opts.LogMaxBytes
	for round := 0; round < maxBoundRounds; round++ {
		size, segments := n.mlog.Size()
		rep.bytes = size
		if limit < 0 || size <= limit || segments <= 1 {
			return rep, nil
		}
		holders := n.mlog.OldestHolders(n.durableDecrees())
		for g, need := range holders {
			r := n.srv.Replica(g)
			if r == nil {
				continue // closed: what it holds was flushed when it closed
			}
			s := r.Storage()
			if s == nil || s.LastAppliedDecree() < need || r.retainedFrom() < need {
				continue // a flush would not free it
			}
			if n.ctx.Err() != nil {
				return rep, nil // the server is closing
			}
			d, err := s.Flush()
			switch {
			case errors.Is(err, storage.ErrClosed):
				continue // closing, or swapped by learning: flushed either way
			case err != nil:
				return rep, fmt.Errorf("flush replica %s to collect the mutation log: %w", gpidString(g), err)
			}
			r.raiseDurable(d)
			rep.flushed = append(rep.flushed, g)
		}
		removed, err := n.mlog.GC(n.durableDecrees())
		rep.removed += removed
		if err != nil {
			return rep, err
		}
		if removed == 0 {
			rep.stuck = n.mlog.OldestHolders(n.durableDecrees())
			rep.bytes, _ = n.mlog.Size()
			return rep, nil
		}
	}
	rep.bytes, _ = n.mlog.Size()
	return rep, nil
}

// raiseDurable raises (never lowers) the published durable decree after a
// flush outside the event loop; the loop reads it again from storage at
// its next housekeeping round.
func (r *Replica) raiseDurable(d int64) {
	for cur := r.durable.Load(); d > cur && !r.durable.CompareAndSwap(cur, d); cur = r.durable.Load() {
	}
}

func gpidList(gs []base.Gpid) string {
	slices.SortFunc(gs, func(a, b base.Gpid) int {
		if a.Appid != b.Appid {
			return int(a.Appid - b.Appid)
		}
		return int(a.PartitionIndex - b.PartitionIndex)
	})
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = gpidString(g)
	}
	return strings.Join(parts, ",")
}
