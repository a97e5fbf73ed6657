package replica

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pegasus-go/pegasus/rocksdb"
	"github.com/pegasus-go/pegasus/server/storage"
)

// Collector exposes the node's replication and storage state on /metrics,
// read at scrape time: the shared mutation log's counters and size, the
// replicas by role, and per hosted replica its status, ballot, decrees,
// prepare-list depth and RocksDB figures.
func (n *Node) Collector() prometheus.Collector { return nodeCollector{n} }

// NewLogSyncHistogram returns the histogram of mutation log sync latency;
// feed it through mlog.Options.SyncObserver and register it beside the
// node's Collector.
func NewLogSyncHistogram() prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "pegasus_mlog_sync_duration_seconds",
		Help:    "Duration of each data sync (fdatasync) of the mutation log.",
		Buckets: prometheus.ExponentialBuckets(25e-6, 2, 16), // 25µs .. 0.8s
	})
}

// NewPrepareAckHistogram returns the histogram of how long each secondary
// takes to ack a primary's prepares, by secondary; feed it through
// NodeOptions.PrepareAckObserver. A prepare's round trip is the replication
// part of a write's latency, and one slow secondary holds every write of
// the partitions it serves.
func NewPrepareAckHistogram() *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "pegasus_replica_prepare_ack_seconds",
		Help:    "Time from a primary sending a prepare to the secondary's ack, by secondary (its replica server's address).",
		Buckets: prometheus.ExponentialBuckets(50e-6, 2, 16), // 50µs .. 1.6s
	}, []string{"peer"})
}

type nodeCollector struct{ n *Node }

var (
	descLogAppends  = prometheus.NewDesc("pegasus_mlog_appends_total", "Appends to the mutation log (one per replica log write).", nil, nil)
	descLogEntries  = prometheus.NewDesc("pegasus_mlog_entries_total", "Mutations written to the mutation log.", nil, nil)
	descLogBytes    = prometheus.NewDesc("pegasus_mlog_bytes_total", "Bytes written to the mutation log.", nil, nil)
	descLogWrites   = prometheus.NewDesc("pegasus_mlog_writes_total", "Group-committed batches written to the mutation log.", nil, nil)
	descLogSyncs    = prometheus.NewDesc("pegasus_mlog_syncs_total", "Data syncs of the mutation log (entries_total / syncs_total is the group-commit factor).", nil, nil)
	descLogSyncSec  = prometheus.NewDesc("pegasus_mlog_sync_seconds_total", "Time spent syncing the mutation log.", nil, nil)
	descLogSize     = prometheus.NewDesc("pegasus_mlog_size_bytes", "Bytes of records the mutation log holds on disk (shrinks when GC drops segments).", nil, nil)
	descLogSegments = prometheus.NewDesc("pegasus_mlog_segments", "Segment files of the mutation log.", nil, nil)
	descLogReused   = prometheus.NewDesc("pegasus_mlog_segment_files_reused_total", "New log segments that took a collected segment's file.", nil, nil)
	descLogKept     = prometheus.NewDesc("pegasus_mlog_segment_files_kept", "Collected segment files kept for reuse by later segments (on disk beside the live segments, about a segment's size each).", nil, nil)
	descLogZeroed   = prometheus.NewDesc("pegasus_mlog_segment_files_zero_filled_total", "New log segment files written full of zeros (none collected was at hand): 32 MiB of disk writes each by default.", nil, nil)
	descLogMax      = prometheus.NewDesc("pegasus_mlog_max_bytes", "The mutation log's size bound (log_max_bytes): past it the replicas holding its oldest segment flush their memtables. Absent when the log is unbounded.", nil, nil)
	descRoles       = prometheus.NewDesc("pegasus_replicas", "Replicas hosted by this server, by role (primary, secondary, potential_secondary, inactive, error).", []string{"role"}, nil)
	descLearning    = prometheus.NewDesc("pegasus_replicas_learning", "Replicas learning from their primary (potential secondaries).", nil, nil)

	replicaLabels = []string{"app_id", "partition"}
	descStatus    = prometheus.NewDesc("pegasus_replica_status", "Replica status as partition_status (1 inactive, 2 error, 3 primary, 4 secondary, 5 potential secondary).", replicaLabels, nil)
	descBallot    = prometheus.NewDesc("pegasus_replica_ballot", "Ballot the replica last accepted.", replicaLabels, nil)
	descCommitted = prometheus.NewDesc("pegasus_replica_last_committed_decree", "Last committed decree.", replicaLabels, nil)
	descPrepared  = prometheus.NewDesc("pegasus_replica_last_prepared_decree", "Last prepared decree.", replicaLabels, nil)
	descDurable   = prometheus.NewDesc("pegasus_replica_last_durable_decree", "Last decree flushed to RocksDB files.", replicaLabels, nil)
	descStatusSec = prometheus.NewDesc("pegasus_replica_status_seconds", "Seconds since the replica's status last changed (how long it has been learning, say).", replicaLabels, nil)
	descDepth     = prometheus.NewDesc("pegasus_replica_prepare_list_depth", "Mutations prepared but not yet committed (last prepared - last committed decree).", replicaLabels, nil)

	descMemtable   = prometheus.NewDesc("pegasus_rocksdb_memtable_bytes", "Size of the replica's RocksDB memtables, active and immutable.", replicaLabels, nil)
	descSST        = prometheus.NewDesc("pegasus_rocksdb_sst_bytes", "Size of the replica's SST files (rocksdb.total-sst-files-size).", replicaLabels, nil)
	descSSTFiles   = prometheus.NewDesc("pegasus_rocksdb_sst_files", "Number of the replica's SST files, over every level.", replicaLabels, nil)
	descLiveSST    = prometheus.NewDesc("pegasus_rocksdb_live_sst_bytes", "Size of the SST files of the replica's current version (rocksdb.live-sst-files-size).", replicaLabels, nil)
	descLiveData   = prometheus.NewDesc("pegasus_rocksdb_live_data_bytes", "Estimated live data of the replica (rocksdb.estimate-live-data-size).", replicaLabels, nil)
	descPending    = prometheus.NewDesc("pegasus_rocksdb_pending_compaction_bytes", "Bytes RocksDB estimates compaction must rewrite (rocksdb.estimate-pending-compaction-bytes).", replicaLabels, nil)
	descKeys       = prometheus.NewDesc("pegasus_rocksdb_estimated_keys", "Estimated records in the replica's data column family.", replicaLabels, nil)
	descCacheUsage = prometheus.NewDesc("pegasus_rocksdb_block_cache_usage_bytes", "Bytes held by the replica's block cache.", replicaLabels, nil)
	descCacheCap   = prometheus.NewDesc("pegasus_rocksdb_block_cache_capacity_bytes", "Capacity of the replica's block cache.", replicaLabels, nil)
	descCacheHits  = prometheus.NewDesc("pegasus_rocksdb_block_cache_hits_total", "Block cache hits since the replica's RocksDB opened (with ticker statistics on).", replicaLabels, nil)
	descCacheMiss  = prometheus.NewDesc("pegasus_rocksdb_block_cache_misses_total", "Block cache misses since the replica's RocksDB opened (with ticker statistics on).", replicaLabels, nil)
	descCacheRatio = prometheus.NewDesc("pegasus_rocksdb_block_cache_hit_ratio", "Block cache hits / lookups since the replica's RocksDB opened; for a recent ratio use rate() of the hits and misses counters.", replicaLabels, nil)

	allReplicaDescs = []*prometheus.Desc{descLogAppends, descLogEntries, descLogBytes, descLogWrites, descLogSyncs, descLogSyncSec,
		descLogSize, descLogSegments, descLogReused, descLogZeroed, descLogKept, descLogMax, descRoles, descLearning,
		descStatus, descStatusSec, descBallot, descCommitted, descPrepared, descDurable, descDepth,
		descMemtable, descSST, descSSTFiles, descLiveSST, descLiveData, descPending, descKeys, descCacheUsage, descCacheCap,
		descCacheHits, descCacheMiss, descCacheRatio}
)

// reportedRoles are the roles pegasus_replicas always reports, zeros
// included, so that sums over them are stable.
var reportedRoles = []Status{StatusPrimary, StatusSecondary, StatusPotentialSecondary, StatusInactive, StatusError}

func (c nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allReplicaDescs {
		ch <- d
	}
}

func (c nodeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.n.mlog.Stats()
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	counter(descLogAppends, float64(st.Appends))
	counter(descLogEntries, float64(st.Entries))
	counter(descLogBytes, float64(st.Bytes))
	counter(descLogWrites, float64(st.Writes))
	counter(descLogSyncs, float64(st.Syncs))
	counter(descLogSyncSec, st.SyncTime.Seconds())
	counter(descLogReused, float64(st.SegmentsReused))
	counter(descLogZeroed, float64(st.SegmentsZeroFilled))
	size, segments := c.n.mlog.Size()
	ch <- prometheus.MustNewConstMetric(descLogSize, prometheus.GaugeValue, float64(size))
	ch <- prometheus.MustNewConstMetric(descLogSegments, prometheus.GaugeValue, float64(segments))
	ch <- prometheus.MustNewConstMetric(descLogKept, prometheus.GaugeValue, float64(c.n.mlog.KeptFiles()))
	if bound := c.n.opts.LogMaxBytes; bound > 0 {
		ch <- prometheus.MustNewConstMetric(descLogMax, prometheus.GaugeValue, float64(bound))
	}

	roles := map[Status]int{}
	now := time.Now()
	for _, r := range c.n.srv.Replicas() {
		status := r.Status()
		roles[status]++
		app, part := strconv.Itoa(int(r.Gpid.Appid)), strconv.Itoa(int(r.Gpid.PartitionIndex))
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, app, part)
		}
		committed, prepared := r.committed.Load(), r.prepared.Load()
		gauge(descStatus, float64(status))
		gauge(descStatusSec, now.Sub(time.Unix(0, r.statusSince.Load())).Seconds())
		gauge(descBallot, float64(r.Ballot()))
		gauge(descCommitted, float64(committed))
		gauge(descPrepared, float64(prepared))
		gauge(descDurable, float64(r.durable.Load()))
		gauge(descDepth, float64(max(0, prepared-committed)))
		if p, ok := engineProperties(r); ok {
			gauge(descMemtable, float64(p.MemtableBytes))
			gauge(descSST, float64(p.SSTBytes))
			gauge(descSSTFiles, float64(p.SSTFiles))
			gauge(descLiveSST, float64(p.LiveSSTBytes))
			gauge(descLiveData, float64(p.LiveDataBytes))
			gauge(descPending, float64(p.PendingCompactionBytes))
			gauge(descKeys, float64(p.EstimatedKeys))
			gauge(descCacheUsage, float64(p.BlockCacheUsage))
			gauge(descCacheCap, float64(p.BlockCacheCapacity))
			if p.HasCacheStats {
				ch <- prometheus.MustNewConstMetric(descCacheHits, prometheus.CounterValue, float64(p.BlockCacheHits), app, part)
				ch <- prometheus.MustNewConstMetric(descCacheMiss, prometheus.CounterValue, float64(p.BlockCacheMisses), app, part)
				if lookups := p.BlockCacheHits + p.BlockCacheMisses; lookups > 0 {
					gauge(descCacheRatio, float64(p.BlockCacheHits)/float64(lookups))
				}
			}
		}
	}
	for _, role := range reportedRoles {
		ch <- prometheus.MustNewConstMetric(descRoles, prometheus.GaugeValue, float64(roles[role]), role.String())
	}
	ch <- prometheus.MustNewConstMetric(descLearning, prometheus.GaugeValue, float64(roles[StatusPotentialSecondary]))
}

// engineProperties reads a replica's RocksDB figures. Learning may have
// swapped (and closed) the storage since the replica was listed: such a
// replica is left out of this scrape rather than reported as empty.
func engineProperties(r *Replica) (rocksdb.Properties, bool) {
	s := r.Storage()
	if s == nil {
		return rocksdb.Properties{}, false
	}
	p, err := s.EngineProperties()
	if errors.Is(err, storage.ErrClosed) {
		return p, false
	}
	if err != nil {
		r.log.Warn("replica: read engine properties", "err", err)
		return p, false
	}
	return p, true
}
