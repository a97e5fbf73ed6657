package replica

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/server/metrics"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// NodeOptions configures a replica server that takes part in a cluster.
// Zero durations take the defaults in brackets.
type NodeOptions struct {
	// Address is the IPv4 host:port this server serves on; the meta server
	// and clients reach it there.
	Address string
	// DataDir holds the replicas (see layout.go).
	DataDir string
	// MetaServers lists the meta servers' host:port.
	MetaServers []string
	// BeaconInterval is how often the server pings the meta leader [3s].
	BeaconInterval time.Duration
	// LeaseTimeout is how long after the send time of the last acknowledged
	// beacon the server keeps serving without a newer ack [20s]. It must
	// be shorter than the meta's grace period.
	LeaseTimeout time.Duration
	// CheckInterval is how often the lease is checked [2s].
	CheckInterval time.Duration
	// ConfigSyncInterval is how often the server reports its replicas to
	// the meta and adopts the meta's view [30s].
	ConfigSyncInterval time.Duration
	// Storage is the template for every replica's storage: engine options
	// and limits. Dir, identity, envs and partition count are set per replica.
	Storage storage.Options
	// MaxWriteSize caps a write request's body (see Options).
	MaxWriteSize int
	// Metrics, when set, counts and times every data request.
	Metrics *metrics.DataOps
	Logger  *slog.Logger
}

func (o *NodeOptions) defaults() {
	if o.BeaconInterval <= 0 {
		o.BeaconInterval = 3 * time.Second
	}
	if o.LeaseTimeout <= 0 {
		o.LeaseTimeout = 20 * time.Second
	}
	if o.CheckInterval <= 0 {
		o.CheckInterval = 2 * time.Second
	}
	if o.ConfigSyncInterval <= 0 {
		o.ConfigSyncInterval = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Node is a replica server in a cluster: it hosts replicas (through
// Server), beacons the meta server, syncs its replicas' configurations with
// it, and executes the meta's proposals.
type Node struct {
	opts      NodeOptions
	srv       *Server
	meta      *metaLink
	self      *base.RPCAddress
	selfHP    *base.HostPort
	startTime time.Time
	log       *slog.Logger

	mu          sync.Mutex // guards connected, lastAckSend, closed
	connected   bool
	lastAckSend time.Time
	closed      map[base.Gpid]storedReplica // replicas on disk but not open

	// hostMu serialises opening, creating and closing replicas on behalf of
	// the meta (proposals and config sync), so that a duplicated proposal
	// cannot open or create the same replica twice.
	hostMu sync.Mutex

	syncNow chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// NewNode opens every replica found under opts.DataDir, inactive until the
// meta confirms it, and returns a node that is not yet talking to the meta
// (see Start).
func NewNode(opts NodeOptions) (*Node, error) {
	opts.defaults()
	if len(opts.MetaServers) == 0 {
		return nil, fmt.Errorf("replica node: no meta servers configured")
	}
	self, hp, err := parseSelf(opts.Address)
	if err != nil {
		return nil, fmt.Errorf("replica node: %w", err)
	}
	if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("replica node: data dir: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Node{
		opts:      opts,
		srv:       NewServer(Options{Address: opts.Address, MaxWriteSize: opts.MaxWriteSize, Metrics: opts.Metrics, Logger: opts.Logger}),
		meta:      newMetaLink(opts.MetaServers),
		self:      self,
		selfHP:    hp,
		startTime: time.Now(),
		log:       opts.Logger.With("node", opts.Address),
		closed:    make(map[base.Gpid]storedReplica),
		syncNow:   make(chan struct{}, 1),
		ctx:       ctx,
		cancel:    cancel,
	}
	found, bad := scanReplicas(opts.DataDir)
	for _, err := range bad {
		n.log.Error("replica node: unreadable replica directory left alone", "err", err)
	}
	for _, st := range found {
		r, err := n.open(st.gpid, st.dir, st.state)
		if err != nil {
			n.log.Error("replica node: cannot open replica; left closed", "gpid", gpidString(st.gpid), "err", err)
			n.closed[st.gpid] = st
			continue
		}
		r.initializing = true
	}
	n.log.Info("replica node: loaded replicas", "open", len(n.srv.Replicas()), "closed", len(n.closed))
	return n, nil
}

func parseSelf(addr string) (*base.RPCAddress, *base.HostPort, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		return nil, nil, fmt.Errorf("address %q is not an IPv4 host:port", addr)
	}
	ra, err := base.NewRPCAddress(ap.Addr(), ap.Port())
	if err != nil {
		return nil, nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return ra, base.NewHostPort(host, uint16(p)), nil
}

func gpidString(g base.Gpid) string { return fmt.Sprintf("%d.%d", g.Appid, g.PartitionIndex) }

// open hosts the replica stored in dir, inactive.
func (n *Node) open(gpid base.Gpid, dir string, st replicaState) (*Replica, error) {
	so := n.opts.Storage
	so.Dir = rdbDir(dir)
	so.Envs = st.Envs
	so.PartitionCount = st.PartitionCount
	r, err := n.srv.OpenReplica(gpid, so, StatusInactive)
	if err != nil {
		return nil, err
	}
	r.dir = dir
	r.openedAt = time.Now()
	r.state = st
	return r, nil
}

// Server is the hosting and routing half of the node.
func (n *Node) Server() *Server { return n.srv }

// Register installs the data RPCs and the proposal handler on rs.
func (n *Node) Register(rs *rpc.Server) {
	n.srv.Register(rs)
	rs.Handle(catalog.RPC_CONFIG_PROPOSAL, n.handleProposal)
}

// Start begins beaconing and config sync.
func (n *Node) Start() {
	n.wg.Add(3)
	go n.beaconLoop()
	go n.leaseLoop()
	go n.syncLoop()
}

// Close stops talking to the meta and closes every replica.
func (n *Node) Close() error {
	n.cancel()
	n.wg.Wait()
	n.meta.close()
	return n.srv.Close()
}

// Connected reports whether the node holds a valid lease from the meta.
func (n *Node) Connected() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.connected
}

func (n *Node) triggerSync() {
	select {
	case n.syncNow <- struct{}{}:
	default:
	}
}

// spawn runs f in a goroutine owned by the node.
func (n *Node) spawn(f func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
}

func (n *Node) isSelf(a *base.RPCAddress) bool {
	return a != nil && n.self != nil && a.Raw() == n.self.Raw()
}

func (n *Node) replicaInfo(r *Replica) *replication.ReplicaInfo {
	r.cfgMu.Lock()
	ballot := r.state.Ballot
	appType := r.state.AppType
	r.cfgMu.Unlock()
	decree := r.store.LastAppliedDecree()
	flushed, err := r.store.LastFlushedDecree()
	if err != nil {
		flushed = 0
	}
	g := r.Gpid
	return &replication.ReplicaInfo{
		Pid: &g, Ballot: ballot, Status: partitionStatus(r.Status()),
		LastCommittedDecree: decree, LastPreparedDecree: decree, LastDurableDecree: flushed,
		AppType: appType,
	}
}
