package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/server/replica/mlog"
	"github.com/pegasus-go/pegasus/server/replica/peerwire"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
)

// Status is a replica's role in its partition (protocol.md §3.6
// partition_status), as its state machine last reported it.
type Status int32

// The replica statuses, numbered as partition_status on the wire.
const (
	StatusInactive           Status = 1
	StatusError              Status = 2
	StatusPrimary            Status = 3
	StatusSecondary          Status = 4
	StatusPotentialSecondary Status = 5
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
	case StatusPotentialSecondary:
		return "potential_secondary"
	}
	return fmt.Sprintf("status(%d)", int32(s))
}

// tickInterval is the state machine's clock: pacifica.Options durations
// are counted in these.
const tickInterval = 100 * time.Millisecond

// Ticks converts a duration to state machine ticks (0 stays 0: the
// default; anything shorter than a tick is one tick).
func Ticks(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return max(1, int(d/tickInterval))
}

// links is what a replica needs from the server hosting it: the network to
// the other members, the meta server, and learning. A clustered node
// provides the real ones; a standalone server (tests, tools) a local stand-in
// that grants every configuration request at once.
type links interface {
	// sendPeer queues a message to another replica server; it never blocks.
	sendPeer(e peerwire.Envelope)
	// askMeta sends a configuration request to the meta server and posts the
	// answer to r (ConfigReply); it never blocks.
	askMeta(r *Replica, req pacifica.ConfigRequest)
	// learn copies a checkpoint from the primary for t and posts the outcome
	// to r; it never blocks.
	learn(r *Replica, t pacifica.LearnTask)
	// syncSoon asks for a config sync with the meta.
	syncSoon()
	// prepareAcked reports how long a secondary took to ack a prepare
	// (ackwatch.go); it must return quickly.
	prepareAcked(peer netip.AddrPort, took time.Duration)
	// closing tells the host the state machine allows closing r.
	closing(r *Replica)

	// Partition split (split.go, split_node.go). splitSlot readies the way
	// for a new child (refusing a child hosted here already);
	// childFrozen records a frozen child its parent still holds;
	// childReleased takes one from an ended split (cfg: the meta
	// registered it); childDropped removes one the meta did not register.
	splitSlot(child base.Gpid, dir string) error
	childFrozen(parent *Replica, c storedReplica)
	childReleased(parent *Replica, c storedReplica, cfg *layer2.PartitionConfiguration)
	childDropped(child base.Gpid, dir string)
	// registerChild asks the meta to register a child and posts the answer
	// to r (onRegistered); stopSplit confirms a pause or cancel.
	registerChild(r *Replica, req *replication.RegisterChildRequest)
	stopSplit(r *Replica, status admin.SplitStatus, count int32)
}

// Replica is one partition hosted by this server: its storage, its mutation
// log, and its PacificA state machine, which one goroutine (the event loop,
// loop.go) owns. Other goroutines talk to it by posting events.
type Replica struct {
	Gpid  base.Gpid
	self  netip.AddrPort
	log   *slog.Logger
	links links

	store atomic.Pointer[storage.Partition]
	// Paths: the replica's directory ("" for a standalone replica) and its
	// RocksDB; storeOpts reopens storage after learning.
	dir, rdbDir string
	storeOpts   storage.Options
	// mlog is the server's shared mutation log (a standalone replica's own
	// when ownLog).
	mlog   *mlog.Log
	ownLog bool

	// Published by the loop after each round, for routing and reports.
	status    atomic.Int32
	readable  atomic.Bool
	ballot    atomic.Int64
	committed atomic.Int64
	prepared  atomic.Int64
	durable   atomic.Int64
	// dupConfirmed is the lowest decree a duplication of this partition
	// has shipped (-1: unknown); the log keeps every decree above it while
	// the table duplicates (dup_retention.go).
	dupConfirmed atomic.Int64
	// dupActive: a duplication pipeline of this replica runs here.
	dupActive atomic.Bool
	// statusSince is when status last changed (Unix nanoseconds), for
	// how long a replica has been learning, say.
	statusSince atomic.Int64

	// splitPaused is set during a split's registration step: requests
	// are answered ERR_SPLITTING (split.go).
	splitPaused atomic.Bool
	// lastSplitPause is how long the last registration step paused
	// service (nanoseconds), for reports.
	lastSplitPause atomic.Int64

	// firstServing is closed the first time the replica may serve reads.
	firstServing chan struct{}
	servingOnce  sync.Once

	writes  chan *writeOp
	control chan func()
	ctx     context.Context
	cancel  context.CancelFunc
	stopped chan struct{} // closed when the loop has ended
	close   sync.Once

	// Owned by the loop.
	sm        *pacifica.Replica
	waiters   map[pacifica.Token]*writeOp
	nextToken pacifica.Token
	proposals []pacifica.Write // this round's writes, not yet proposed
	acks      prepareAcks      // a primary's prepares awaiting their acks
	broken    bool             // a local I/O failure: the replica is in ERROR for good
	ticks     int
	encodeBuf []byte
	split     *splitState // a partition split under way (split.go)
	// preflushing: a flush before a split's checkpoint runs in the
	// background; preflushedAt is the tick it last ended (split.go).
	preflushing  bool
	preflushedAt int
	// frozenChild is a split child's storage frozen this round, closed
	// once the round's messages left.
	frozenChild *storage.Partition

	openedAt time.Time
	cfgMu    sync.Mutex // guards state
	state    replicaState
}

// writeOp is one client write waiting for its answer.
type writeOp struct {
	payload   []byte
	batchable bool
	resp      any
	errno     base.Errno
	done      chan struct{}
}

// ErrReplicaClosed is returned for writes to a replica that is closing.
var ErrReplicaClosed = errors.New("replica: closed")

// WriteError is a write refused or left unresolved by replication; Errno
// says which (see pacifica.Reply).
type WriteError struct{ Errno base.Errno }

func (e *WriteError) Error() string { return "replica: write not applied: " + string(e.Errno) }

// hostedReplica describes a replica to open.
type hostedReplica struct {
	gpid   base.Gpid
	self   netip.AddrPort
	dir    string // "" for standalone
	rdbDir string
	state  replicaState
	store  storage.Options
	sm     pacifica.Options
	// log is the server's shared mutation log; with a nil log the replica
	// opens its own in ownLogDir.
	log       *mlog.Log
	ownLogDir string
	// fresh: a new replica with no data (created for an assignment or a
	// learner invitation) rather than one found on disk.
	fresh bool
	links links
	// logger is the server's.
	logger *slog.Logger
}

// openReplica opens storage and log, restores the state machine from them
// and starts the event loop: a replica with a log of its own (standalone)
// replays it here; one on the server's shared log has nothing logged (it is
// new) or is opened through beginOpen and the node's single replay pass
// (replay.go).
func openReplica(h hostedReplica) (*Replica, error) {
	o, err := beginOpen(h)
	if err != nil {
		return nil, err
	}
	if o.ownLog != nil {
		err := o.ownLog.Replay(func(e mlog.Entry) error {
			if e.Gpid != h.gpid {
				return nil
			}
			return o.replay(e)
		})
		if err != nil {
			o.abort()
			return nil, fmt.Errorf("replay mutation log: %w", err)
		}
	}
	return o.finish()
}

// start makes the Replica of a restored state machine and starts its loop.
func start(h hostedReplica, store *storage.Partition, ml *mlog.Log, own bool, sm *pacifica.Replica, replayed int) *Replica {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Replica{
		Gpid:         h.gpid,
		self:         h.self,
		log:          h.logger.With("gpid", gpidString(h.gpid)),
		links:        h.links,
		dir:          h.dir,
		rdbDir:       h.rdbDir,
		storeOpts:    h.store,
		ownLog:       own,
		writes:       make(chan *writeOp, 4096),
		firstServing: make(chan struct{}),
		control:      make(chan func(), 1024),
		ctx:          ctx,
		cancel:       cancel,
		stopped:      make(chan struct{}),
		sm:           sm,
		mlog:         ml,
		waiters:      make(map[pacifica.Token]*writeOp),
		openedAt:     time.Now(),
		state:        h.state,
	}
	r.store.Store(store)
	r.dupConfirmed.Store(-1)
	r.statusSince.Store(r.openedAt.UnixNano())
	if replayed > 0 {
		r.log.Info("replica: replayed mutation log", "entries", replayed, "applied", sm.Applied(), "committed", sm.Committed(), "ballot", sm.Ballot())
	}
	r.publish()
	go r.run()
	return r
}

// Status is the replica's current role.
func (r *Replica) Status() Status { return Status(r.status.Load()) }

// Ballot is the configuration version this replica last accepted.
func (r *Replica) Ballot() int64 { return r.ballot.Load() }

// Storage is the replica's data. Learning may replace it; callers that
// keep it across a loop round must expect ErrClosed.
func (r *Replica) Storage() *storage.Partition { return r.store.Load() }

// readyForReads reports whether the replica may serve reads: a primary
// holding its lease that has applied everything it held when it took over.
func (r *Replica) readyForReads() bool { return r.readable.Load() }

// post runs f on the event loop. It reports false when the replica is
// closing.
func (r *Replica) post(f func()) bool {
	select {
	case r.control <- f:
		return true
	case <-r.stopped:
		return false
	case <-r.ctx.Done():
		return false
	}
}

// Write submits one decoded write and waits for its result.
func (r *Replica) Write(ctx context.Context, w storage.Write) (any, error) {
	payload, err := encodeWrite(w)
	if err != nil {
		return nil, err
	}
	return r.propose(ctx, payload, batchable(w.Op))
}

// propose hands a write payload to the state machine and waits until it
// is applied on the primary or refused. A context that ends first gives
// its error; the write may still be applied.
func (r *Replica) propose(ctx context.Context, payload []byte, batch bool) (any, error) {
	op := &writeOp{payload: payload, batchable: batch, done: make(chan struct{}, 1)}
	select {
	case r.writes <- op:
	case <-r.stopped:
		return nil, ErrReplicaClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case <-op.done:
	case <-r.stopped:
		select {
		case <-op.done:
		default:
			return nil, ErrReplicaClosed
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if op.errno != "" && op.errno != base.ERR_OK {
		return nil, &WriteError{Errno: op.errno}
	}
	return op.resp, nil
}

func batchable(op storage.Op) bool { return op == storage.OpPut || op == storage.OpRemove }

// appInfo is the table as this replica knows it.
func (r *Replica) appInfo() *layer2.AppInfo {
	r.cfgMu.Lock()
	st := r.state
	r.cfgMu.Unlock()
	return &layer2.AppInfo{
		Status: layer2.AppStatus_AS_AVAILABLE, AppType: st.AppType, AppName: st.AppName, AppID: st.AppID,
		PartitionCount: st.PartitionCount, Envs: copyEnvs(st.Envs), IsStateful: true,
		MaxReplicaCount: st.MaxReplicaCount,
		Duplicating:     &st.Duplicating, AtomicIdempotent: &st.AtomicIdempotent,
	}
}

// rejectsNonIdempotent reports whether the table refuses incr,
// check_and_set and check_and_mutate: it duplicates to another cluster,
// which can only replay idempotent writes.
func (r *Replica) rejectsNonIdempotent() bool {
	r.cfgMu.Lock()
	defer r.cfgMu.Unlock()
	// atomic_idempotent does not lift the refusal: this server logs such a
	// write as itself rather than as the puts it results in, so shipping it
	// would replay it on the follower (twice on a retried batch).
	return r.state.Duplicating
}

// idempotentRPC reports whether a write RPC gives the same result when
// replayed (on a follower cluster).
func idempotentRPC(name string) bool {
	switch name {
	case catalog.RPC_RRDB_RRDB_INCR, catalog.RPC_RRDB_RRDB_CHECK_AND_SET, catalog.RPC_RRDB_RRDB_CHECK_AND_MUTATE:
		return false
	}
	return true
}

// Close stops the event loop, then closes the log and the storage (which
// flushes its memtables, so nothing depends on replaying the log).
func (r *Replica) Close() error {
	var err error
	r.close.Do(func() {
		r.cancel()
		<-r.stopped
		if r.ownLog {
			err = r.mlog.Close()
		}
		if serr := r.store.Load().Close(); serr != nil && err == nil {
			err = serr
		}
		r.status.Store(int32(StatusInactive))
		r.readable.Store(false)
	})
	return err
}
