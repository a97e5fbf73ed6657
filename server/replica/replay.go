package replica

import (
	"fmt"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/server/replica/mlog"
	"github.com/pegasus-go/pegasus/server/replica/peerwire"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
)

// Opening a replica replays the mutation log into its state machine. The
// log holds every write that storage has not flushed — up to the log's
// bound (loggc.go), gigabytes on a busy server — so the node reads it once,
// entry by entry, for all the replicas it opens, and each replica applies
// what the log shows committed to storage in batches as the entries come
// (pacifica.Restorer); only the uncommitted tail of each partition stays
// in memory. Decoding the whole log first and applying it in one batch
// took a replica server to 2 GB of memory for an 865 MB log.

// replayBatchBytes is how much committed payload an opening replica
// collects before it applies it to storage.
const replayBatchBytes = 4 << 20

// opening is a replica between opening its storage and starting its loop.
type opening struct {
	h       hostedReplica
	store   *storage.Partition
	ownLog  *mlog.Log // the replica's own log (standalone), or nil
	x       *pacifica.Restorer
	applied int64 // storage's decree when opened

	batch      []pacifica.Mutation // committed, not yet applied
	batchBytes int
	replayed   int // log entries replayed (above storage's decree)
}

// beginOpen opens h's storage (and its own log, standalone) and starts
// restoring its state machine.
func beginOpen(h hostedReplica) (*opening, error) {
	h.store.Engine.DisableWAL = true // the mutation log is the write-ahead log
	store, err := storage.Open(h.store)
	if err != nil {
		return nil, err
	}
	o := &opening{h: h, store: store, applied: store.LastAppliedDecree()}
	if h.log == nil {
		if o.ownLog, err = mlog.Open(h.ownLogDir, mlog.Options{}); err != nil {
			store.Close()
			return nil, fmt.Errorf("open mutation log: %w", err)
		}
	}
	o.h.sm.Logger = h.logger
	if o.x, err = pacifica.NewRestorer(h.self, h.gpid, o.h.sm, pacifica.HardState{Ballot: h.state.Ballot}, o.applied); err != nil {
		o.abort()
		return nil, err
	}
	return o, nil
}

// replay takes the next log entry of the replica's partition.
func (o *opening) replay(e mlog.Entry) error {
	if o.x.Skips(e.Decree) {
		return nil // storage holds it
	}
	m, err := peerwire.DecodeMutation(e.Ballot, e.Decree, e.Data)
	if err != nil {
		return fmt.Errorf("partition %s decree %d: %w", gpidString(e.Gpid), e.Decree, err)
	}
	o.replayed++
	committed, err := o.x.Add(m)
	if err != nil {
		return err
	}
	for _, c := range committed {
		o.batch = append(o.batch, c)
		for _, u := range c.Updates {
			o.batchBytes += len(u)
		}
	}
	if o.batchBytes >= replayBatchBytes {
		return o.applyBatch()
	}
	return nil
}

// applyBatch applies the committed mutations collected so far.
func (o *opening) applyBatch() error {
	if len(o.batch) == 0 {
		return nil
	}
	batch := make([]*storage.Mutation, 0, len(o.batch))
	last := o.store.LastAppliedDecree()
	for _, m := range o.batch {
		if m.Decree != last+1 {
			return fmt.Errorf("apply replayed decree %d after %d: gap", m.Decree, last)
		}
		last = m.Decree
		sm, _ := storageMutation(m, o.h.logger)
		batch = append(batch, sm)
	}
	if _, err := o.store.ApplyAll(batch); err != nil {
		return fmt.Errorf("apply replayed decrees %d..%d: %w", batch[0].Decree, batch[len(batch)-1].Decree, err)
	}
	clear(o.batch)
	o.batch, o.batchBytes = o.batch[:0], 0
	return nil
}

// finish applies what is left, ends the restore and starts the replica.
func (o *opening) finish() (*Replica, error) {
	if err := o.applyBatch(); err != nil {
		o.abort()
		return nil, err
	}
	var sm *pacifica.Replica
	if o.h.fresh && o.applied == 0 && o.replayed == 0 && o.h.state.Ballot == 0 {
		var err error
		if sm, err = pacifica.New(o.h.self, o.h.gpid, o.h.sm); err != nil {
			o.abort()
			return nil, err
		}
	} else {
		sm = o.x.Replica()
	}
	ml, own := o.h.log, false
	if o.ownLog != nil {
		ml, own = o.ownLog, true
	}
	return start(o.h, o.store, ml, own, sm, o.replayed), nil
}

// abort closes what beginOpen opened.
func (o *opening) abort() {
	if o.ownLog != nil {
		o.ownLog.Close()
	}
	o.store.Close()
}

// replayShared reads the shared log once for the replicas being opened.
// A replica whose entries fail to decode or apply is aborted, removed from
// opening and reported in failed; the others go on. A log that cannot be
// read fails them all: every one is aborted and opening is emptied.
func replayShared(l *mlog.Log, opening map[base.Gpid]*opening) (failed map[base.Gpid]error, err error) {
	failed = map[base.Gpid]error{}
	err = l.Replay(func(e mlog.Entry) error {
		o := opening[e.Gpid]
		if o == nil {
			return nil
		}
		if err := o.replay(e); err != nil {
			o.abort()
			delete(opening, e.Gpid)
			failed[e.Gpid] = err
		}
		return nil
	})
	if err != nil {
		for g, o := range opening {
			o.abort()
			delete(opening, g)
		}
		return failed, fmt.Errorf("replay mutation log: %w", err)
	}
	return failed, nil
}
