// Package config reads the TOML files that configure pegasus-server's
// roles. Every key is documented here, where it is defined, and in the
// samples under conf/. A key left out takes the default given; an unknown
// key is an error, so a misspelt setting is never silently ignored.
package config

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Duration is a TOML string such as "3s" or "500ms".
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("bad duration %q: %w", b, err)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back in Go syntax.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// Log configures logging for any role.
type Log struct {
	// Level: "debug", "info", "warn" or "error". Default "info".
	Level string `toml:"level"`
	// File to append logs to; empty means standard error.
	File string `toml:"file"`
	// Format: "text" or "json". Default "text".
	Format string `toml:"format"`
}

// Meta configures the meta server role.
type Meta struct {
	// Address is the IPv4 host:port the meta server listens on and is known by.
	Address string `toml:"address"`
	// DataDir holds the embedded state store (meta.db); not needed when
	// ZooKeeper holds the state.
	DataDir string `toml:"data_dir"`
	// MetaServers lists every meta server of the cluster (reported by
	// cluster_info); default: just Address.
	MetaServers []string `toml:"meta_servers"`
	// ClusterName names the cluster in cluster_info. Default "onebox".
	ClusterName string `toml:"cluster_name"`
	// FDGrace: a replica server silent for this long is declared dead. Default 22s.
	FDGrace Duration `toml:"fd_grace"`
	// FDCheckInterval: how often liveness is checked. Default 2s.
	FDCheckInterval Duration `toml:"fd_check_interval"`
	// CureInterval: how often partitions without a primary are repaired. Default 10s.
	CureInterval Duration `toml:"cure_interval"`
	// HoldDroppedApps: how long a dropped table can be recalled when the drop
	// does not say. Default 168h (7 days).
	HoldDroppedApps Duration `toml:"hold_dropped_apps"`
	// DefaultMaxReplicaCount applies to tables created without a replica count. Default 3.
	DefaultMaxReplicaCount int32 `toml:"default_max_replica_count"`
	// FunctionLevel at start: "stopped", "blind", "freezed", "steady" or "lively". Default "steady".
	FunctionLevel string `toml:"function_level"`
	// ZooKeeper, when it lists servers, holds the state instead of the
	// embedded store and elects the leader among several meta servers
	// (docs/meta-ha.md). Without servers the meta server runs alone on
	// the embedded store in DataDir.
	ZooKeeper ZooKeeper `toml:"zookeeper"`
}

// ZooKeeper configures the ZooKeeper state store and leader election of a
// meta server ([meta.zookeeper]).
type ZooKeeper struct {
	// Servers are the ZooKeeper servers' "host:port". Empty: embedded store.
	Servers []string `toml:"servers"`
	// SessionTimeout of the meta server's ZooKeeper session; it must lie
	// within the servers' minSessionTimeout..maxSessionTimeout. A leader
	// that crashes is replaced about this long after; a leader that cannot
	// reach ZooKeeper stops acting as leader within half of it. Keep it
	// well under the replica servers' lease_timeout. Default 10s.
	SessionTimeout Duration `toml:"session_timeout"`
	// Root is the znode under which this cluster's state and leader lock
	// live. Default "/pegasus/<cluster_name>".
	Root string `toml:"root"`
}

// Enabled reports whether the ZooKeeper store is configured.
func (z ZooKeeper) Enabled() bool { return len(z.Servers) > 0 }

// Replica configures the replica server role.
type Replica struct {
	// Address is the IPv4 host:port the replica server listens on and is known by.
	Address string `toml:"address"`
	// DataDir holds the replicas.
	DataDir string `toml:"data_dir"`
	// MetaServers lists the meta servers (host:port).
	MetaServers []string `toml:"meta_servers"`
	// BeaconInterval: how often the meta leader is pinged. Default 3s.
	BeaconInterval Duration `toml:"beacon_interval"`
	// LeaseTimeout: serving stops this long after the last acknowledged
	// beacon was sent; must be shorter than the meta's fd_grace. Default 20s.
	LeaseTimeout Duration `toml:"lease_timeout"`
	// ConfigSyncInterval: how often replicas are reconciled with the meta. Default 30s.
	ConfigSyncInterval Duration `toml:"config_sync_interval"`
	// MaxWriteSize: largest write request body in bytes (ERR_INVALID_DATA
	// above it); 0 = 1 MiB, negative = no limit.
	MaxWriteSize int `toml:"max_write_size"`
	// RocksDB engine settings shared by every replica on this server.
	RocksDB RocksDB `toml:"rocksdb"`
	// Replication tunes PacificA and the mutation log.
	Replication Replication `toml:"replication"`
}

// Replication configures the replication protocol and the mutation log of
// a replica server (docs/replication.md).
type Replication struct {
	// LogSync is the mutation log's durability policy: "batch" (default)
	// fsyncs every group-committed batch before a replica acks or answers
	// the writes in it; "periodic" syncs every LogSyncInterval and may lose
	// the writes of the last interval if every replica loses power at once.
	LogSync string `toml:"log_sync"`
	// LogSyncInterval is the period of the "periodic" policy. Default 1s.
	LogSyncInterval Duration `toml:"log_sync_interval"`
	// LogSyncInPlace: under "batch", the log's fdatasync keeps its Go
	// scheduler slot, so with few GOMAXPROCS the process waits out each
	// sync instead of switching threads around it (much less CPU per write
	// on small machines; docs/replication.md). Default true; false hands
	// the slot over as an ordinary blocking system call does.
	LogSyncInPlace *bool `toml:"log_sync_in_place"`
	// LogSegmentBytes is the size of a mutation log segment. Default 32 MiB.
	LogSegmentBytes int64 `toml:"log_segment_bytes"`
	// LogMaxBytes bounds the server's mutation log: past it, the replicas
	// whose unflushed writes hold its oldest segment flush their memtables
	// so that the segment can be collected. Default 2 GiB; negative: no
	// bound (a partition that goes quiet then holds the log forever).
	LogMaxBytes int64 `toml:"log_max_bytes"`
	// MinReplicaCount: a primary with fewer members refuses writes with
	// ERR_NOT_ENOUGH_MEMBER. Default 2.
	MinReplicaCount int `toml:"min_replica_count"`
	// MutationsInFlight bounds the mutations a primary has prepared but not
	// committed; writes arriving meanwhile queue and share the next one.
	// Default 1.
	MutationsInFlight int `toml:"mutations_in_flight"`
	// PrepareTimeout: a secondary that has not acked a prepare by then is
	// removed from the group. Default 3s.
	PrepareTimeout Duration `toml:"prepare_timeout"`
	// GroupCheckInterval: how often a primary checks its secondaries (and
	// tells idle ones the commit point). Default 10s.
	GroupCheckInterval Duration `toml:"group_check_interval"`
	// EmptyWriteDisabled: a primary that prepared nothing for a whole
	// group check period proposes an empty write, so its log and its
	// secondaries' commit points move on while it is idle (each idle
	// partition's decree grows by one a period); true turns that off.
	// Default false, as upstream.
	EmptyWriteDisabled bool `toml:"empty_write_disabled"`
}

// ParseLogSync maps log_sync to "periodic" (true) or "batch" (false).
func ParseLogSync(s string) (periodic bool, err error) {
	switch s {
	case "", "batch":
		return false, nil
	case "periodic":
		return true, nil
	}
	return false, fmt.Errorf("log_sync %q: want \"batch\" or \"periodic\"", s)
}

// RocksDB is the storage engine's configuration.
type RocksDB struct {
	// BlockCacheBytes: LRU block cache per replica. Default 64 MiB.
	BlockCacheBytes int64 `toml:"block_cache_bytes"`
	// WriteBufferBytes: memtable size. Default 64 MiB.
	WriteBufferBytes int64 `toml:"write_buffer_bytes"`
	// ArenaBlockBytes: block size of a memtable's arena; 0 = an eighth of
	// write_buffer_bytes. Blocks of 2 MiB or more can be backed by huge
	// pages (see Debug.MallocHugePages).
	ArenaBlockBytes int64 `toml:"arena_block_bytes"`
	// MaxWriteBufferNumber: memtables kept before writes stall. Default 4 (RocksDB's default when 0).
	MaxWriteBufferNumber int `toml:"max_write_buffer_number"`
	// Compression: "none", "snappy", "lz4" or "zstd". Default "lz4".
	Compression string `toml:"compression"`
	// BloomBitsPerKey: bloom filter bits per key; 0 disables. Default 10.
	BloomBitsPerKey float64 `toml:"bloom_bits_per_key"`
	// SyncWrites: fsync the RocksDB WAL on every write. Default false.
	// Replica servers keep RocksDB's WAL off (the mutation log is theirs),
	// so it applies only to storage opened outside a cluster.
	SyncWrites bool `toml:"sync_writes"`
}

// Debug configures the Go runtime. (Profiles are served on the RPC
// port under /pprof/.)
type Debug struct {
	// GCPercent is the Go garbage collector's target (GOGC). The Go heap of
	// a server is small next to RocksDB's C memory, so a high value trades
	// a little memory for much less GC work per request. Default 400; the
	// GOGC environment variable, when set, wins.
	GCPercent int `toml:"gc_percent"`
	// MaxProcs caps the CPUs running Go code at once (GOMAXPROCS); 0 = all.
	// Several servers sharing a small machine (a onebox) run faster each
	// with a share than all competing for every CPU. The GOMAXPROCS
	// environment variable, when set, wins.
	MaxProcs int `toml:"max_procs"`
	// MallocHugePages (replica servers): glibc's malloc, which serves
	// RocksDB, asks for transparent huge pages for its large blocks, so a
	// memtable filling up takes a page fault per 2 MiB instead of per
	// 4 KiB. glibc reads this only at process start, so the server starts
	// itself again with GLIBC_TUNABLES set (same pid) unless the variable
	// already names glibc.malloc.hugetlb or the kernel has transparent huge
	// pages off. Default true.
	MallocHugePages *bool `toml:"malloc_huge_pages"`
	// SysmonAwake (replica servers): keep Go's scheduler monitor out of the
	// deep sleep it takes whenever every P idles, from which each idle-to-
	// busy turn woke it at its fastest pace (a thread switch every few tens
	// of microseconds). Set through GODEBUG schedtrace with a period of
	// 2^31-1 ms, so the runtime prints one scheduler summary line per 24.8
	// days of machine uptime at most; the server starts itself again with
	// it (same pid) unless GODEBUG names schedtrace already. Default true.
	SysmonAwake *bool `toml:"sysmon_awake"`
}

// File is one configuration file; it may configure several roles.
type File struct {
	Log     Log     `toml:"log"`
	Debug   Debug   `toml:"debug"`
	Meta    Meta    `toml:"meta"`
	Replica Replica `toml:"replica"`
	Backup  Backup  `toml:"backup"`
	// Duplication configures cross-cluster duplication ([duplication]).
	Duplication Duplication `toml:"duplication"`
}

// Backup configures cold backup and restore on a meta server ([backup],
// docs/backup.md).
type Backup struct {
	// LocalServiceRoot is the root directory of the local_service block
	// service. The meta server passes it to the replica servers with each
	// upload or restore, so every server of the cluster must see the same
	// directory at this path (one machine, or a shared mount such as NFS).
	// Empty: local_service is not offered and backups are refused.
	LocalServiceRoot string `toml:"local_service_root"`
}

// Load reads path and fills defaults.
func Load(path string) (File, error) {
	var f File
	md, err := toml.DecodeFile(path, &f)
	if err != nil {
		return f, fmt.Errorf("config %s: %w", path, err)
	}
	if undec := md.Undecoded(); len(undec) > 0 {
		keys := make([]string, len(undec))
		for i, k := range undec {
			keys[i] = k.String()
		}
		return f, fmt.Errorf("config %s: unknown keys: %s", path, strings.Join(keys, ", "))
	}
	f.fill()
	if err := f.Duplication.Validate(); err != nil {
		return f, fmt.Errorf("config %s: %w", path, err)
	}
	return f, nil
}

func (f *File) fill() {
	setDur := func(d *Duration, def time.Duration) {
		if d.Duration <= 0 {
			d.Duration = def
		}
	}
	m := &f.Meta
	if m.ClusterName == "" {
		m.ClusterName = "onebox"
	}
	if len(m.MetaServers) == 0 && m.Address != "" {
		m.MetaServers = []string{m.Address}
	}
	setDur(&m.FDGrace, 22*time.Second)
	setDur(&m.FDCheckInterval, 2*time.Second)
	setDur(&m.CureInterval, 10*time.Second)
	setDur(&m.HoldDroppedApps, 7*24*time.Hour)
	if m.DefaultMaxReplicaCount <= 0 {
		m.DefaultMaxReplicaCount = 3
	}
	if m.FunctionLevel == "" {
		m.FunctionLevel = "steady"
	}
	setDur(&m.ZooKeeper.SessionTimeout, 10*time.Second)
	if m.ZooKeeper.Root == "" {
		m.ZooKeeper.Root = "/pegasus/" + m.ClusterName
	}
	if f.Debug.GCPercent == 0 {
		f.Debug.GCPercent = 400
	}
	f.Duplication.fill()
	r := &f.Replica
	setDur(&r.BeaconInterval, 3*time.Second)
	setDur(&r.LeaseTimeout, 20*time.Second)
	setDur(&r.ConfigSyncInterval, 30*time.Second)
	if r.RocksDB.Compression == "" {
		r.RocksDB.Compression = "lz4"
	}
	if r.RocksDB.BloomBitsPerKey == 0 {
		r.RocksDB.BloomBitsPerKey = 10
	}
}

// ParseLevel maps debug, info, warn or error to a slog level.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log level %q: want debug, info, warn or error", s)
}

// Logger builds the slog logger the Log section describes. The returned
// closer closes the log file, if any.
func (l Log) Logger() (*slog.Logger, func() error, error) {
	log, _, closer, err := l.Open()
	return log, closer, err
}

// Open is Logger plus the level variable, so the level can change while
// the server runs (the set-log-level remote command).
func (l Log) Open() (*slog.Logger, *slog.LevelVar, func() error, error) {
	lv, err := ParseLevel(l.Level)
	if err != nil {
		return nil, nil, nil, err
	}
	level := new(slog.LevelVar)
	level.Set(lv)
	out, closer := os.Stderr, func() error { return nil }
	if l.File != "" {
		f, err := os.OpenFile(l.File, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("log file: %w", err)
		}
		out, closer = f, f.Close
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch l.Format {
	case "", "text":
		h = slog.NewTextHandler(out, opts)
	case "json":
		h = slog.NewJSONHandler(out, opts)
	default:
		closer()
		return nil, nil, nil, fmt.Errorf("log format %q: want text or json", l.Format)
	}
	return slog.New(h), level, closer, nil
}
