package replica

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pegasus-go/pegasus/server/config"
	"github.com/pegasus-go/pegasus/server/metrics"
	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/server/replica/peerwire"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// DefaultMaxWriteSize is upstream's max_allowed_write_size: a write request
// body larger than this is refused with ERR_INVALID_DATA.
const DefaultMaxWriteSize = 1 << 20

// Options configures a replica server.
type Options struct {
	// Address is this server's host:port as put into responses.
	Address string
	// MaxWriteSize caps a write request's body; 0 takes the default, a
	// negative value disables the check.
	MaxWriteSize int
	// Metrics, when set, counts and times every data request.
	Metrics *metrics.DataOps
	Logger  *slog.Logger
	// Duplication names the clusters a duplicate write may come from; its
	// SelfID stamps local writes' timetags (storage.Options.ClusterID,
	// unless that is set) and is refused as a duplicate's source.
	Duplication config.Duplication
}

// Server hosts replicas and serves the rrdb RPCs for them.
type Server struct {
	opts Options
	log  *slog.Logger

	mu       sync.RWMutex // guards replicas
	replicas map[base.Gpid]*Replica

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // background loops

	// leaseUntil is when this server's lease from the meta server ends, as
	// its node last learnt, in nanoseconds of the monotonic clock since
	// born; 0 means no lease fence (a server run without a node), 1 an
	// expired lease. Reads check it against the clock, so a process that
	// stood still past its lease (a hung disk, a paused machine) serves no
	// read before its lease loop has caught up.
	leaseUntil atomic.Int64
	born       time.Time
}

// setLeaseEnd moves the read fence to end (the zero time: expired).
func (s *Server) setLeaseEnd(end time.Time) {
	if end.IsZero() {
		s.leaseUntil.Store(1)
		return
	}
	s.leaseUntil.Store(max(end.Sub(s.born).Nanoseconds(), 1))
}

// NewServer returns a server hosting no replicas.
func NewServer(opts Options) *Server {
	if opts.MaxWriteSize == 0 {
		opts.MaxWriteSize = DefaultMaxWriteSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:     opts,
		log:      opts.Logger,
		replicas: make(map[base.Gpid]*Replica),
		ctx:      ctx,
		cancel:   cancel,
		born:     time.Now(),
	}
	return s
}

// Address is the server's host:port.
func (s *Server) Address() string { return s.opts.Address }

// OpenReplica opens the storage described by so and hosts it as gpid,
// outside any cluster: a standalone replica is its own meta server. With
// StatusPrimary it makes itself primary of a one-member group (and
// returns once it serves); any other status leaves it inactive. so's
// AppID, PartitionIndex and Server are filled in; its mutation log lives
// beside so.Dir.
func (s *Server) OpenReplica(gpid base.Gpid, so storage.Options, status Status) (*Replica, error) {
	so.AppID, so.PartitionIndex, so.Server = gpid.Appid, gpid.PartitionIndex, s.opts.Address
	if so.ClusterID == 0 {
		so.ClusterID = uint8(s.opts.Duplication.SelfID())
	}
	self, err := netip.ParseAddrPort(s.opts.Address)
	if err != nil {
		self = netip.MustParseAddrPort("127.0.0.1:1")
	}
	solo := &soloLinks{}
	r, err := openReplica(hostedReplica{
		gpid: gpid, self: self, rdbDir: so.Dir, ownLogDir: so.Dir + ".plog", store: so,
		state: replicaState{AppID: gpid.Appid, PartitionIndex: gpid.PartitionIndex, PartitionCount: so.PartitionCount, AppType: "pegasus"},
		sm:    pacifica.Options{MinReplicaCount: 1}, links: solo, logger: s.log,
	})
	if err != nil {
		return nil, fmt.Errorf("open replica %d.%d: %w", gpid.Appid, gpid.PartitionIndex, err)
	}
	if err := s.host(r); err != nil {
		r.Close()
		return nil, err
	}
	if status != StatusPrimary {
		return r, nil
	}
	r.post(func() {
		r.sm.Proposal(pacifica.Proposal{Type: admin.ConfigType_CT_ASSIGN_PRIMARY, Node: self, Config: pacifica.Config{Pid: gpid, Ballot: r.sm.Ballot()}})
	})
	select {
	case <-r.firstServing:
		return r, nil
	case <-time.After(10 * time.Second):
		s.CloseReplica(gpid)
		return nil, fmt.Errorf("open replica %d.%d: did not become primary (status %v)", gpid.Appid, gpid.PartitionIndex, r.Status())
	}
}

// host starts serving r.
func (s *Server) host(r *Replica) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.replicas[r.Gpid]; ok {
		return fmt.Errorf("host replica %s: already open", gpidString(r.Gpid))
	}
	s.replicas[r.Gpid] = r
	return nil
}

// soloLinks are a standalone replica's stand-ins for the cluster: no peers,
// and a meta server that grants every request as asked.
type soloLinks struct{}

func (soloLinks) sendPeer(peerwire.Envelope) {}
func (soloLinks) askMeta(r *Replica, req pacifica.ConfigRequest) {
	go r.post(func() { r.sm.ConfigReply(req, base.ERR_OK, req.Config) })
}
func (soloLinks) learn(*Replica, pacifica.LearnTask)         {}
func (soloLinks) syncSoon()                                  {}
func (soloLinks) prepareAcked(netip.AddrPort, time.Duration) {}
func (soloLinks) closing(*Replica)                           {}

// A standalone replica's split: its meta registers every child as asked;
// the frozen child stays on disk beside the parent's storage.
func (soloLinks) splitSlot(base.Gpid, string) error                                     { return nil }
func (soloLinks) childFrozen(*Replica, storedReplica)                                   {}
func (soloLinks) childReleased(*Replica, storedReplica, *layer2.PartitionConfiguration) {}
func (soloLinks) childDropped(_ base.Gpid, dir string)                                  { os.RemoveAll(dir) }
func (soloLinks) registerChild(r *Replica, req *replication.RegisterChildRequest) {
	go r.post(func() { r.onRegistered(base.ERR_OK, req.ChildConfig) })
}
func (soloLinks) stopSplit(*Replica, admin.SplitStatus, int32) {}

// CloseReplica stops hosting gpid and closes its storage.
func (s *Server) CloseReplica(gpid base.Gpid) error {
	s.mu.Lock()
	r, ok := s.replicas[gpid]
	delete(s.replicas, gpid)
	s.mu.Unlock()
	if !ok {
		return nil
	}
	return r.Close()
}

// Replica returns the hosted replica of gpid, or nil.
func (s *Server) Replica(gpid base.Gpid) *Replica {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.replicas[gpid]
}

// Replicas lists the hosted replicas ordered by gpid.
func (s *Server) Replicas() []*Replica {
	s.mu.RLock()
	out := make([]*Replica, 0, len(s.replicas))
	for _, r := range s.replicas {
		out = append(out, r)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Gpid, out[j].Gpid
		return a.Appid < b.Appid || (a.Appid == b.Appid && a.PartitionIndex < b.PartitionIndex)
	})
	return out
}

// Close stops background work and closes every replica.
func (s *Server) Close() error {
	s.cancel()
	s.wg.Wait()
	var first error
	for _, r := range s.Replicas() {
		if err := s.CloseReplica(r.Gpid); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// route finds the replica that must serve req (protocol.md §4.2): requests
// without a partition in the header are not data requests at all, unknown
// partitions make the client refresh its routing, a partition in its split
// registration step or one the request's key no longer maps to answers as
// the split rules say, and only a primary serves.
func (s *Server) route(req *rpc.Request) (*Replica, base.Errno) {
	r, errno := s.lookup(req)
	if errno != base.ERR_OK {
		return nil, errno
	}
	return r, r.admit(req.Header.PartitionHash)
}

// routeWrite is route for writes, which also refuse an oversized body
// before the split checks (§4.2 writes, check 5).
func (s *Server) routeWrite(req *rpc.Request) (*Replica, base.Errno) {
	r, errno := s.lookup(req)
	if errno != base.ERR_OK {
		return nil, errno
	}
	if s.opts.MaxWriteSize > 0 && len(req.Args) > s.opts.MaxWriteSize {
		return nil, base.ERR_INVALID_DATA
	}
	if !idempotentRPC(req.Name) && r.rejectsNonIdempotent() {
		return nil, base.ERR_OPERATION_DISABLED
	}
	return r, r.admit(req.Header.PartitionHash)
}

// lookup finds the hosted replica a data request names.
func (s *Server) lookup(req *rpc.Request) (*Replica, base.Errno) {
	h := req.Header
	if h.AppID <= 0 {
		return nil, base.ERR_HANDLER_NOT_FOUND
	}
	r := s.Replica(base.Gpid{Appid: h.AppID, PartitionIndex: h.PartitionIndex})
	if r == nil {
		return nil, base.ERR_OBJECT_NOT_FOUND
	}
	return r, base.ERR_OK
}

// admit runs the checks after the lookup: split registration step, then
// the partition hash, then the role.
func (r *Replica) admit(hash uint64) base.Errno {
	if r.splitPaused.Load() {
		return base.ERR_SPLITTING
	}
	if r.Storage().MisroutedHash(hash) {
		return base.ERR_PARENT_PARTITION_MISUSED
	}
	if r.Status() != StatusPrimary {
		return base.ERR_INVALID_STATE
	}
	return base.ERR_OK
}

// leaseHeld reports whether the lease fence lets reads through at now.
func (s *Server) leaseHeld(now time.Time) bool {
	u := s.leaseUntil.Load()
	return u == 0 || now.Sub(s.born).Nanoseconds() < u
}

// routeRead is route for reads, which also wait for the primary's read
// fence: until it has applied everything it held when it took over, it
// answers ERR_INVALID_STATE and the client retries.
func (s *Server) routeRead(req *rpc.Request) (*Replica, base.Errno) {
	r, errno := s.route(req)
	if errno == base.ERR_OK && (!r.readyForReads() || !s.leaseHeld(time.Now())) {
		return nil, base.ERR_INVALID_STATE
	}
	return r, errno
}
