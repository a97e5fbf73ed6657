package meta

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/pegasus-go/pegasus/server/config"
	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// StoreFile is the name of the embedded store in Options.DataDir.
const StoreFile = "meta.db"

// Options configures a meta server. Zero values take the defaults named
// on each field (upstream's defaults, design notes §11).
type Options struct {
	// Address is this meta server's IPv4 "a.b.c.d:port": what beacon acks,
	// forwarding answers and cluster_info report. Required. The server does
	// not listen by itself; the caller serves a listener (see Serve).
	Address string
	// DataDir holds the embedded bbolt store (StoreFile) when Store is nil.
	DataDir string
	// Store overrides the state store: tests pass metastore.NewMemory(),
	// and a ZooKeeper store plugs in here. The server does not close a
	// store it was given.
	Store metastore.Store
	// ClusterRoot is the store path under which the state lives. Default
	// "/"; with a store shared by clusters, "/pegasus/<cluster>".
	ClusterRoot string
	// Election decides which meta server leads. Default AlwaysLeader (one
	// meta server).
	Election Election
	// MetaServers lists every meta server ("host:port") for cluster_info.
	// Default: just Address.
	MetaServers []string
	// ClusterName is reported by cluster_info. Default "onebox".
	ClusterName string

	// FDGrace: a replica server that has not beaconed for this long is
	// declared dead and loses its primaries. Default 22s; must exceed
	// FDLease.
	FDGrace time.Duration
	// FDLease is the replica servers' lease (they stop serving when no
	// beacon was acked for this long). The meta only checks that FDGrace
	// exceeds it. Default 20s.
	FDLease time.Duration
	// FDCheckInterval: how often liveness is checked. Default 2s.
	FDCheckInterval time.Duration
	// CureInterval: how often partitions without a primary are repaired;
	// cure also runs right after tables are created or recalled, nodes come
	// or go, and configurations change. An unanswered proposal is sent
	// again after this long. Default 10s.
	CureInterval time.Duration
	// HoldDroppedApps: how long a dropped table stays recallable when the
	// drop request does not say (reserve_seconds). Default 7 days.
	HoldDroppedApps time.Duration

	// MinReplicaCount and MaxReplicaCount bound a table's replica count.
	// Defaults 1 and 5.
	MinReplicaCount int32
	MaxReplicaCount int32
	// DefaultReplicaCount applies to create requests with replica_count 0.
	// Default 3.
	DefaultReplicaCount int32
	// FunctionLevel at start (not persisted): fl_stopped … fl_lively.
	// Default fl_steady.
	FunctionLevel admin.MetaFunctionLevel
	// MinLiveNodes: with fewer replica servers alive the meta acts as if
	// frozen (no table creation, no cure). Default 1; upstream uses 3 for
	// production clusters.
	MinLiveNodes int
	// MinLivePercent: with a smaller share of known replica servers alive
	// the meta acts as if frozen. Default 0 (off); upstream uses 50–65.
	MinLivePercent int

	// BackupRoot is the root directory of the local_service block service
	// that cold backups go to and restores read from (docs/backup.md);
	// empty: backups are refused.
	BackupRoot string
	// BackupPollInterval is how often a running backup asks the primaries
	// how their uploads go [1s].
	BackupPollInterval time.Duration
	// Duplication is the [duplication] section: this cluster's name and
	// the clusters its tables may be duplicated to (docs/duplication.md).
	// Without clusters, add_dup is refused.
	Duplication config.Duplication
	// DupInterval: how often the leader creates or checks follower tables
	// and writes duplication progress the throttle held back. Default 2s.
	DupInterval time.Duration
	// DupProgressInterval: a partition's duplication progress is written
	// at most this often (and always on pause). Default
	// Duplication.ProgressPersistInterval, else 5s.
	DupProgressInterval time.Duration
	// DialRemote reaches a follower cluster's meta servers. Default: the
	// admin package's client; tests pass an in-memory cluster.
	DialRemote DialRemote
	// ProposalQueue bounds the proposals waiting per replica server; more
	// are dropped (cure sends them again). Default 256.
	ProposalQueue int
	Logger        *slog.Logger
}

func (o *Options) fill() error {
	if o.Address == "" {
		return errors.New("meta: Options.Address is required")
	}
	if _, err := netip.ParseAddrPort(o.Address); err != nil {
		return fmt.Errorf("meta: Options.Address %q is not an IPv4 host:port: %w", o.Address, err)
	}
	if o.Store == nil && o.DataDir == "" {
		return errors.New("meta: Options needs DataDir or Store")
	}
	if o.ClusterRoot == "" {
		o.ClusterRoot = metastore.Root
	}
	if err := metastore.ValidPath(o.ClusterRoot); err != nil {
		return fmt.Errorf("meta: Options.ClusterRoot: %w", err)
	}
	if o.Election == nil {
		o.Election = AlwaysLeader{Address: o.Address}
	}
	if len(o.MetaServers) == 0 {
		o.MetaServers = []string{o.Address}
	}
	if o.ClusterName == "" {
		o.ClusterName = "onebox"
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.FDGrace, 22*time.Second)
	def(&o.FDLease, 20*time.Second)
	def(&o.FDCheckInterval, 2*time.Second)
	def(&o.CureInterval, 10*time.Second)
	def(&o.HoldDroppedApps, 7*24*time.Hour)
	def(&o.BackupPollInterval, time.Second)
	def(&o.DupInterval, 2*time.Second)
	def(&o.DupProgressInterval, o.Duplication.ProgressPersistInterval.Duration)
	def(&o.DupProgressInterval, 5*time.Second)
	if err := o.Duplication.Validate(); err != nil {
		return fmt.Errorf("meta: Options.Duplication: %w", err)
	}
	if o.DialRemote == nil {
		o.DialRemote = dialAdmin
	}
	if o.FDGrace <= o.FDLease {
		return fmt.Errorf("meta: FDGrace %v must exceed FDLease %v", o.FDGrace, o.FDLease)
	}
	if o.MinReplicaCount <= 0 {
		o.MinReplicaCount = 1
	}
	if o.MaxReplicaCount <= 0 {
		o.MaxReplicaCount = 5
	}
	if o.DefaultReplicaCount <= 0 {
		o.DefaultReplicaCount = 3
	}
	if o.MinReplicaCount > o.MaxReplicaCount || o.DefaultReplicaCount < o.MinReplicaCount || o.DefaultReplicaCount > o.MaxReplicaCount {
		return fmt.Errorf("meta: replica counts: default %d must lie in [%d, %d]", o.DefaultReplicaCount, o.MinReplicaCount, o.MaxReplicaCount)
	}
	if o.FunctionLevel == 0 {
		o.FunctionLevel = admin.MetaFunctionLevel_fl_steady
	}
	if o.MinLiveNodes <= 0 {
		o.MinLiveNodes = 1
	}
	if o.ProposalQueue <= 0 {
		o.ProposalQueue = 256
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

func (o *Options) stateConfig() Config {
	return Config{
		Grace:               o.FDGrace,
		HoldDroppedApps:     o.HoldDroppedApps,
		MinReplicaCount:     o.MinReplicaCount,
		MaxReplicaCount:     o.MaxReplicaCount,
		DefaultReplicaCount: o.DefaultReplicaCount,
		FunctionLevel:       o.FunctionLevel,
		MinLiveNodes:        o.MinLiveNodes,
		MinLivePercent:      o.MinLivePercent,
		ProposalRetry:       o.CureInterval,
		Duplication:         o.Duplication,
		DupProgressInterval: o.DupProgressInterval,
	}
}

// ParseFunctionLevel maps "steady" (or "fl_steady") to its level.
func ParseFunctionLevel(s string) (admin.MetaFunctionLevel, error) {
	if l, err := admin.MetaFunctionLevelFromString(s); err == nil {
		return l, nil
	}
	l, err := admin.MetaFunctionLevelFromString("fl_" + s)
	if err != nil || l == admin.MetaFunctionLevel_fl_invalid {
		return 0, fmt.Errorf("meta: unknown function level %q", s)
	}
	return l, nil
}
