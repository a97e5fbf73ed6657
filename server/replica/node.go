package replica

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/server/config"
	"github.com/pegasus-go/pegasus/server/filecopy"
	"github.com/pegasus-go/pegasus/server/metrics"
	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/server/replica/mlog"
	"github.com/pegasus-go/pegasus/server/replica/peerwire"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
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
	// Replication tunes every replica's state machine (zero: defaults).
	Replication pacifica.Options
	// Log is every replica's mutation log policy (default: fsync every
	// group-committed batch before acking).
	Log mlog.Options
	// PrepareAckObserver, when set, is told on a primary how long each
	// secondary took to ack a prepare: from the prepare's hand-over to the
	// peer sender to the ack's arrival at the replica. It runs on the
	// replica's event loop and must return quickly.
	PrepareAckObserver func(peer netip.AddrPort, took time.Duration)
	// LogMaxBytes bounds the shared mutation log: past it, the replicas
	// holding its oldest segment flush their memtables so that the
	// segment can go (loggc.go) [DefaultLogMaxBytes]; negative: no
	// bound. It is also Log.ReuseBytes, unless that is set.
	LogMaxBytes int64
	// Metrics, when set, counts and times every data request.
	Metrics *metrics.DataOps
	Logger  *slog.Logger
	// Duplication is the [duplication] section: this cluster's id goes
	// into every local write's timetag (Storage.ClusterID, unless set)
	// and into shipped entries; the clusters it names may send duplicate
	// writes and receive this server's duplications.
	Duplication config.Duplication
}

func (o *NodeOptions) defaults() {
	if o.Storage.ClusterID == 0 {
		o.Storage.ClusterID = uint8(o.Duplication.SelfID())
	}
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
	if o.LogMaxBytes == 0 {
		o.LogMaxBytes = DefaultLogMaxBytes
	}
	if o.Log.ReuseBytes == 0 && o.LogMaxBytes > 0 {
		// The bounded log keeps collected segment files for reuse up to its
		// bound: its directory stays at the size the log reached, and rolls
		// write no zero-filled files once it did.
		o.Log.ReuseBytes = o.LogMaxBytes
	}
	if o.Replication.StalenessForCommit == 0 {
		// One mutation in flight per primary: writes arriving while it
		// commits share the next one. Every mutation costs a log sync on
		// each member; fewer, fuller mutations measured ~2x the
		// throughput of upstream's 20 on a onebox (docs/replication.md).
		o.Replication.StalenessForCommit = defaultMutationsInFlight
	}
}

// defaultMutationsInFlight is a replica server's StalenessForCommit.
const defaultMutationsInFlight = 1

// defaultMinReplicaCount is mutation_2pc_min_replica_count: the members a
// primary needs to take writes.
const defaultMinReplicaCount = 2

// logGCInterval is how often the shared mutation log is collected.
const logGCInterval = 10 * time.Second

// Node is a replica server in a cluster: it hosts replicas (through
// Server), beacons the meta server, syncs its replicas' configurations with
// it, and executes the meta's proposals.
type Node struct {
	opts      NodeOptions
	srv       *Server
	meta      *metaLink
	peers     *peers
	files     *filecopy.Service
	mlog      *mlog.Log // shared by every hosted replica
	addr      netip.AddrPort
	self      *base.RPCAddress
	selfHP    *base.HostPort
	startTime time.Time
	log       *slog.Logger

	mu          sync.Mutex // guards connected, lastAckSend, closed
	connected   bool
	lastAckSend time.Time
	closed      map[base.Gpid]storedReplica // replicas on disk but not open
	pending     map[base.Gpid]*pendingChild // frozen split children (split_node.go)

	// hostMu serialises opening, creating and closing replicas on behalf of
	// the meta (proposals and config sync), so that a duplicated proposal
	// cannot open or create the same replica twice.
	hostMu sync.Mutex

	dups     *dupRegistry // duplication pipelines (dup_sync.go)
	uploads  uploads      // cold backup uploads (coldbackup.go)
	restores restores     // partitions being restored from a backup (restore.go)

	syncNow chan struct{}
	spawnMu sync.Mutex // orders spawn against Close
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	// dataLock holds the data directory for this process (datadir.go).
	dataLock *os.File
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
	lock, err := lockDataDir(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("replica node: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			lock.Close()
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	n := &Node{
		opts:      opts,
		srv:       NewServer(Options{Address: opts.Address, MaxWriteSize: opts.MaxWriteSize, Metrics: opts.Metrics, Logger: opts.Logger, Duplication: opts.Duplication}),
		meta:      newMetaLink(opts.MetaServers),
		files:     filecopy.NewService(),
		addr:      netip.MustParseAddrPort(opts.Address),
		self:      self,
		selfHP:    hp,
		startTime: time.Now(),
		log:       opts.Logger.With("node", opts.Address),
		closed:    make(map[base.Gpid]storedReplica),
		pending:   make(map[base.Gpid]*pendingChild),
		syncNow:   make(chan struct{}, 1),
		dups:      newDupRegistry(),
		ctx:       ctx,
		cancel:    cancel,
	}
	n.srv.setLeaseEnd(time.Time{}) // no read before the first acknowledged beacon
	n.peers = newPeers(ctx, &n.wg, n.log)
	if n.mlog, err = mlog.Open(filepath.Join(opts.DataDir, "slog"), opts.Log); err != nil {
		cancel()
		return nil, fmt.Errorf("replica node: %w", err)
	}
	found, bad := scanReplicas(opts.DataDir)
	for _, err := range bad {
		n.log.Error("replica node: unreadable replica directory left alone", "err", err)
	}
	// Storage first, then one pass over the log for every replica.
	openings := map[base.Gpid]*opening{}
	leftClosed := func(st storedReplica, err error) {
		n.log.Error("replica node: cannot open replica; left closed", "gpid", gpidString(st.gpid), "err", err)
		n.closed[st.gpid] = st
	}
	for _, st := range found {
		if st.state.SplitPending {
			n.pending[st.gpid] = &pendingChild{stored: st}
			continue
		}
		o, err := beginOpen(n.hosted(st.gpid, st.dir, st.state, false))
		if err != nil {
			leftClosed(st, fmt.Errorf("open replica %s: %w", gpidString(st.gpid), err))
			continue
		}
		openings[st.gpid] = o
	}
	failed, err := replayShared(n.mlog, openings)
	if err != nil {
		n.mlog.Close()
		cancel()
		return nil, fmt.Errorf("replica node: %w", err)
	}
	for _, st := range found {
		if err := failed[st.gpid]; err != nil {
			leftClosed(st, fmt.Errorf("open replica %s: %w", gpidString(st.gpid), err))
			continue
		}
		o := openings[st.gpid]
		if o == nil {
			continue
		}
		r, err := o.finish()
		if err == nil {
			err = n.host(r)
		}
		if err != nil {
			leftClosed(st, fmt.Errorf("open replica %s: %w", gpidString(st.gpid), err))
		}
	}
	n.log.Info("replica node: loaded replicas", "open", len(n.srv.Replicas()), "closed", len(n.closed))
	n.dataLock, ok = lock, true
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

// hosted describes the replica stored in dir for opening; fresh marks
// one just created.
func (n *Node) hosted(gpid base.Gpid, dir string, st replicaState, fresh bool) hostedReplica {
	so := n.opts.Storage
	so.Dir = rdbDir(dir)
	so.Envs = st.Envs
	so.PartitionCount = st.PartitionCount
	so.AppID, so.PartitionIndex, so.Server = gpid.Appid, gpid.PartitionIndex, n.opts.Address
	// A table that asks for fewer replicas than the minimum for writes
	// would never take one: its own replica count is the minimum then.
	smOpts := n.opts.Replication
	if smOpts.MinReplicaCount == 0 {
		smOpts.MinReplicaCount = defaultMinReplicaCount
	}
	if st.MaxReplicaCount > 0 && int(st.MaxReplicaCount) < smOpts.MinReplicaCount {
		smOpts.MinReplicaCount = int(st.MaxReplicaCount)
	}
	return hostedReplica{
		gpid: gpid, self: n.addr, dir: dir, rdbDir: so.Dir, state: st,
		store: so, sm: smOpts, log: n.mlog, fresh: fresh, links: n, logger: n.log,
	}
}

// openFresh hosts a replica just created in dir: the log holds nothing of
// it that counts.
func (n *Node) openFresh(gpid base.Gpid, dir string, st replicaState) (*Replica, error) {
	r, err := openReplica(n.hosted(gpid, dir, st, true))
	if err != nil {
		return nil, fmt.Errorf("open replica %s: %w", gpidString(gpid), err)
	}
	if err := n.host(r); err != nil {
		return nil, err
	}
	return r, nil
}

// host serves an opened replica (closing it if it cannot).
func (n *Node) host(r *Replica) error {
	if err := n.srv.host(r); err != nil {
		r.Close()
		return err
	}
	if !n.Connected() {
		r.post(r.sm.LeaseExpired)
	}
	return nil
}

// reopenClosed opens a replica found on disk but not hosted; ok is false
// when there is none.
func (n *Node) reopenClosed(gpid base.Gpid) (r *Replica, ok bool, err error) {
	// It stays recorded as closed until it is hosted, so that the log's GC
	// keeps its entries meanwhile.
	n.mu.Lock()
	st, onDisk := n.closed[gpid]
	n.mu.Unlock()
	if !onDisk {
		return nil, false, nil
	}
	o, err := beginOpen(n.hosted(gpid, st.dir, st.state, false))
	if err != nil {
		return nil, true, fmt.Errorf("open replica %s: %w", gpidString(gpid), err)
	}
	failed, err := replayShared(n.mlog, map[base.Gpid]*opening{gpid: o})
	if err == nil {
		err = failed[gpid] // either way o is aborted then
	}
	if err == nil {
		if r, err = o.finish(); err == nil {
			err = n.host(r)
		}
	}
	if err != nil {
		return nil, true, fmt.Errorf("open replica %s: %w", gpidString(gpid), err)
	}
	n.mu.Lock()
	delete(n.closed, gpid)
	n.mu.Unlock()
	return r, true, nil
}

// create makes a new, empty replica of a table. A directory already there
// (one this server could not read at start-up) is left alone: it may hold
// the only copy of something.
func (n *Node) create(gpid base.Gpid, info *layer2.AppInfo) (*Replica, error) {
	return n.createFrom(gpid, info, "")
}

// createFrom is create with the RocksDB checkpoint in ckpt (if not "")
// moved in as the new replica's storage: a partition restored from a
// backup (restore.go).
func (n *Node) createFrom(gpid base.Gpid, info *layer2.AppInfo, ckpt string) (*Replica, error) {
	n.dropStalePending(gpid)
	dir := replicaDir(n.opts.DataDir, gpid)
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("create replica %s: %s exists but is not a usable replica; move it away to let this server host the partition", gpidString(gpid), dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	state := replicaState{
		AppID: gpid.Appid, PartitionIndex: gpid.PartitionIndex, AppName: info.AppName, AppType: info.AppType,
		PartitionCount: info.PartitionCount, MaxReplicaCount: info.MaxReplicaCount, Envs: copyEnvs(info.Envs),
		Duplicating: info.GetDuplicating(), AtomicIdempotent: info.GetAtomicIdempotent(),
	}
	if ckpt != "" {
		if err := os.MkdirAll(filepath.Dir(rdbDir(dir)), 0o755); err != nil {
			return nil, err
		}
		if err := os.Rename(ckpt, rdbDir(dir)); err != nil {
			return nil, fmt.Errorf("create replica %s: install checkpoint: %w", gpidString(gpid), err)
		}
	}
	if err := writeState(dir, state); err != nil {
		return nil, err
	}
	return n.openFresh(gpid, dir, state)
}

// Server is the hosting and routing half of the node.
func (n *Node) Server() *Server { return n.srv }

// Register installs the data RPCs, the proposal handler, the peer
// protocol and file copy on rs.
func (n *Node) Register(rs *rpc.Server) {
	n.srv.Register(rs)
	rs.Handle(catalog.RPC_CONFIG_PROPOSAL, n.handleProposal)
	for _, name := range peerwire.Names() {
		rs.Handle(name, n.handlePeer)
	}
	rs.Handle(catalog.RPC_LEARN_CHECKPOINT, n.handleLearnCheckpoint)
	rs.Handle(catalog.RPC_COLD_BACKUP, n.handleColdBackup)
	n.files.Register(rs)
}

// Start begins beaconing and config sync.
func (n *Node) Start() {
	n.wg.Add(4)
	go n.beaconLoop()
	go n.leaseLoop()
	go n.syncLoop()
	go n.logGCLoop()
	if n.dupEnabled() {
		n.wg.Add(1)
		go n.dupSyncLoop()
	}
}

// Close stops talking to the meta and closes every replica.
func (n *Node) Close() error {
	n.spawnMu.Lock()
	n.cancel()
	n.spawnMu.Unlock()
	err := n.srv.Close() // replica loops end first: they start background work
	n.wg.Wait()
	n.meta.close()
	n.peers.close()
	if lerr := n.mlog.Close(); lerr != nil && err == nil {
		err = lerr
	}
	n.dataLock.Close() // last: nothing of the data dir is in use any more
	return err
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

// spawn runs f in a goroutine owned by the node; after Close it does
// nothing.
func (n *Node) spawn(f func()) {
	n.spawnMu.Lock()
	defer n.spawnMu.Unlock()
	if n.ctx.Err() != nil {
		return
	}
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
	appType := r.state.AppType
	r.cfgMu.Unlock()
	g := r.Gpid
	return &replication.ReplicaInfo{
		Pid: &g, Ballot: r.Ballot(), Status: admin.PartitionStatus(r.Status()),
		LastCommittedDecree: r.committed.Load(), LastPreparedDecree: r.prepared.Load(), LastDurableDecree: r.durable.Load(),
		AppType: appType,
	}
}

// hostPortOf names an endpoint as a host_port.
func hostPortOf(a netip.AddrPort) *base.HostPort {
	if !a.IsValid() {
		return &base.HostPort{}
	}
	return base.NewHostPort(a.Addr().String(), a.Port())
}
