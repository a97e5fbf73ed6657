package replica

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector exposes the node's replication state on /metrics: the shared
// mutation log's counters (group commit and sync latency) and, per hosted
// replica, its status, ballot and decrees.
func (n *Node) Collector() prometheus.Collector { return nodeCollector{n} }

type nodeCollector struct{ n *Node }

var (
	descLogAppends = prometheus.NewDesc("pegasus_mlog_appends_total", "Appends to the mutation log (one per replica log write).", nil, nil)
	descLogEntries = prometheus.NewDesc("pegasus_mlog_entries_total", "Mutations written to the mutation log.", nil, nil)
	descLogBytes   = prometheus.NewDesc("pegasus_mlog_bytes_total", "Bytes written to the mutation log.", nil, nil)
	descLogWrites  = prometheus.NewDesc("pegasus_mlog_writes_total", "Group-committed batches written to the mutation log.", nil, nil)
	descLogSyncs   = prometheus.NewDesc("pegasus_mlog_syncs_total", "Data syncs of the mutation log (entries_total / syncs_total is the group-commit factor).", nil, nil)
	descLogSyncSec = prometheus.NewDesc("pegasus_mlog_sync_seconds_total", "Time spent syncing the mutation log.", nil, nil)

	replicaLabels   = []string{"app_id", "partition"}
	descStatus      = prometheus.NewDesc("pegasus_replica_status", "Replica status as partition_status (1 inactive, 2 error, 3 primary, 4 secondary, 5 potential secondary).", replicaLabels, nil)
	descBallot      = prometheus.NewDesc("pegasus_replica_ballot", "Ballot the replica last accepted.", replicaLabels, nil)
	descCommitted   = prometheus.NewDesc("pegasus_replica_last_committed_decree", "Last committed decree.", replicaLabels, nil)
	descPrepared    = prometheus.NewDesc("pegasus_replica_last_prepared_decree", "Last prepared decree.", replicaLabels, nil)
	descDurable     = prometheus.NewDesc("pegasus_replica_last_durable_decree", "Last decree flushed to RocksDB files.", replicaLabels, nil)
	allReplicaDescs = []*prometheus.Desc{descLogAppends, descLogEntries, descLogBytes, descLogWrites, descLogSyncs, descLogSyncSec,
		descStatus, descBallot, descCommitted, descPrepared, descDurable}
)

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
	for _, r := range c.n.srv.Replicas() {
		app, part := strconv.Itoa(int(r.Gpid.Appid)), strconv.Itoa(int(r.Gpid.PartitionIndex))
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, app, part)
		}
		gauge(descStatus, float64(r.Status()))
		gauge(descBallot, float64(r.Ballot()))
		gauge(descCommitted, float64(r.committed.Load()))
		gauge(descPrepared, float64(r.prepared.Load()))
		gauge(descDurable, float64(r.durable.Load()))
	}
}
