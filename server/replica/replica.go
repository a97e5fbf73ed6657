package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
)

// Status is a replica's role in its partition (protocol.md §3.6 partition_status).
type Status int32

// The replica statuses, numbered as partition_status on the wire.
const (
	StatusInactive  Status = 1
	StatusError     Status = 2
	StatusPrimary   Status = 3
	StatusSecondary Status = 4
)

func (s Status) String() string {
	switch s {
	case StatusInactive:
		return "inactive"
	case StatusError:
		return "error"
	case StatusPrimary:
		return "primary"
	case StatusSecondary:
		return "secondary"
	}
	return fmt.Sprintf("status(%d)", int32(s))
}

// maxBatchedWrites bounds how many put/remove requests share one mutation.
const maxBatchedWrites = 64

// Replica is one partition hosted by this server.
type Replica struct {
	Gpid  base.Gpid
	store *storage.Partition
	log   *slog.Logger

	status atomic.Int32

	writes  chan *writeOp
	ctx     context.Context
	cancel  context.CancelFunc
	stopped chan struct{} // closed when the write loop has ended
	close   sync.Once

	// Owned by the write loop.
	lastTimestampUs int64

	// Cluster-facing state, used by Node (zero for replicas opened directly
	// through Server.OpenReplica).
	dir      string
	openedAt time.Time
	cfgMu    sync.Mutex // guards the fields below
	state    replicaState
	// initializing: opened at start-up and not yet confirmed by the meta.
	initializing bool
	// reconfiguring: a configuration update is in flight to the meta.
	reconfiguring bool
}

// Ballot is the configuration version this replica last accepted.
func (r *Replica) Ballot() int64 {
	r.cfgMu.Lock()
	defer r.cfgMu.Unlock()
	return r.state.Ballot
}

func (r *Replica) setStatus(s Status) { r.status.Store(int32(s)) }

// writeOp is one write request waiting for its mutation to be applied.
type writeOp struct {
	w    storage.Write
	resp any
	err  error
	done chan struct{}
}

var writeOps = sync.Pool{New: func() any { return &writeOp{done: make(chan struct{}, 1)} }}

// ErrReplicaClosed is returned for writes to a replica that is closing.
var ErrReplicaClosed = errors.New("replica: closed")

func newReplica(gpid base.Gpid, store *storage.Partition, status Status) *Replica {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Replica{
		Gpid:    gpid,
		store:   store,
		log:     slog.With("gpid", fmt.Sprintf("%d.%d", gpid.Appid, gpid.PartitionIndex)),
		writes:  make(chan *writeOp, 1024),
		ctx:     ctx,
		cancel:  cancel,
		stopped: make(chan struct{}),
	}
	r.status.Store(int32(status))
	go r.writeLoop()
	return r
}

// Status is the replica's current role.
func (r *Replica) Status() Status { return Status(r.status.Load()) }

// Storage is the replica's data.
func (r *Replica) Storage() *storage.Partition { return r.store }

// Write submits one write and waits until it is applied, returning its
// response struct.
func (r *Replica) Write(ctx context.Context, w storage.Write) (any, error) {
	op := writeOps.Get().(*writeOp)
	op.w = w
	select {
	case r.writes <- op:
	case <-r.stopped:
		writeOps.Put(op)
		return nil, ErrReplicaClosed
	case <-ctx.Done():
		writeOps.Put(op)
		return nil, ctx.Err()
	}
	// Once queued the write will be applied (or fail with the replica), so
	// wait for it even if ctx ends: the op is reused only after it is done.
	select {
	case <-op.done:
	case <-r.stopped:
		select {
		case <-op.done:
		default:
			return nil, ErrReplicaClosed // the loop never took it; not reused
		}
	}
	resp, err := op.resp, op.err
	*op = writeOp{done: op.done}
	writeOps.Put(op)
	return resp, err
}

// writeLoop owns decree assignment: it takes queued writes in order, groups
// consecutive puts and removes into one mutation, and applies each mutation.
func (r *Replica) writeLoop() {
	defer close(r.stopped)
	var batch []*writeOp
	var carry *writeOp // a non-batchable write that ended the previous batch
	for {
		batch = batch[:0]
		if carry != nil {
			batch, carry = append(batch, carry), nil
		} else {
			select {
			case op := <-r.writes:
				batch = append(batch, op)
			case <-r.ctx.Done():
				return
			}
		}
		if batchable(batch[0].w.Op) {
			// Let writers that are about to queue do so: one RocksDB write
			// (and its log append) then covers all of them.
			runtime.Gosched()
		drain:
			for len(batch) < maxBatchedWrites {
				select {
				case op := <-r.writes:
					if !batchable(op.w.Op) {
						carry = op
						break drain
					}
					batch = append(batch, op)
				default:
					break drain
				}
			}
		}
		r.apply(batch)
	}
}

func batchable(op storage.Op) bool { return op == storage.OpPut || op == storage.OpRemove }

func (r *Replica) apply(batch []*writeOp) {
	m := &storage.Mutation{
		Decree:      r.store.LastAppliedDecree() + 1,
		TimestampUs: r.nextTimestampUs(),
		Writes:      make([]storage.Write, len(batch)),
	}
	for i, op := range batch {
		m.Writes[i] = op.w
	}
	resps, err := r.store.Apply(m)
	if err != nil {
		// The engine failed: this replica can no longer be trusted to serve.
		r.log.Error("replica: apply mutation failed; entering error state", "decree", m.Decree, "err", err)
		r.status.Store(int32(StatusError))
	}
	for i, op := range batch {
		if err != nil {
			op.err = fmt.Errorf("apply decree %d: %w", m.Decree, err)
		} else {
			op.resp = resps[i]
		}
		op.done <- struct{}{}
	}
}

// nextTimestampUs is the mutation timestamp: wall-clock microseconds, kept
// strictly increasing so timetags order the writes of one partition.
func (r *Replica) nextTimestampUs() int64 {
	ts := time.Now().UnixMicro()
	if ts <= r.lastTimestampUs {
		ts = r.lastTimestampUs + 1
	}
	r.lastTimestampUs = ts
	return ts
}

// Close stops the write loop and closes the storage.
func (r *Replica) Close() error {
	var err error
	r.close.Do(func() {
		r.status.Store(int32(StatusInactive))
		r.cancel()
		<-r.stopped
		err = r.store.Close()
	})
	return err
}
