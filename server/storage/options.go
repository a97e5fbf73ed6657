package storage

import (
	"time"

	"github.com/pegasus-go/pegasus/rocksdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// Defaults of the limits in Options (upstream's config defaults).
const (
	DefaultScannerIdleTimeout        = 5 * time.Minute
	DefaultMultiGetMaxIterationCount = 3000     // rocksdb_multi_get_max_iteration_count
	DefaultMultiGetMaxIterationSize  = 30 << 20 // rocksdb_multi_get_max_iteration_size
	DefaultMaxIterationCount         = 1000     // rocksdb_max_iteration_count
	DefaultIterationTimeLimit        = 30 * time.Second
)

// Options configures Open. Zero numeric fields take the defaults above.
type Options struct {
	// Dir is the RocksDB directory of this replica (e.g. <replica>/data/rdb).
	Dir string
	// Engine configures RocksDB. Its ExpiredFilter is replaced by the
	// partition's own TTL compaction filter.
	Engine rocksdb.Options
	// Clock decides expiry for reads and scanner idleness; nil means the
	// system clock. Writes never use it (see Mutation.TimestampUs).
	Clock Clock

	// AppID and PartitionIndex identify the replica; they are copied into
	// every response, as is Server (the serving node as host:port).
	AppID, PartitionIndex int32
	Server                string
	// PartitionCount is the table's partition count, used only when the
	// replica.split.validate_partition_hash env is on; 0 disables that check.
	PartitionCount int32
	// ClusterID is the duplication cluster id stamped into value timetags
	// (7 bits; 0 when duplication is not configured).
	ClusterID uint8

	// Envs are the table's environment variables at open; see UpdateEnvs.
	Envs map[string]string

	// ScannerIdleTimeout drops a scanner context not resumed within it.
	ScannerIdleTimeout time.Duration
	// MultiGetMaxIterationCount caps the records a MULTI_GET visits (and
	// returns); MultiGetMaxIterationSize caps the key+value bytes it returns.
	MultiGetMaxIterationCount int
	MultiGetMaxIterationSize  int64
	// MaxIterationCount caps the records one GET_SCANNER/SCAN call visits,
	// and so the batch size.
	MaxIterationCount int
	// IterationTimeLimit bounds the time of one range read; negative
	// disables the limit.
	IterationTimeLimit time.Duration
	// MaxHashKeyLen is the longest hash key accepted; at most (and by
	// default) keys.MaxHashKeyLen.
	MaxHashKeyLen int

	// newDataVersion, when newDataVersionSet, replaces the data version
	// recorded in a new DB (tests of legacy layouts only).
	newDataVersion    uint32
	newDataVersionSet bool
}

// withDefaults returns o with zero fields replaced by defaults.
func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.ScannerIdleTimeout <= 0 {
		o.ScannerIdleTimeout = DefaultScannerIdleTimeout
	}
	if o.MultiGetMaxIterationCount <= 0 {
		o.MultiGetMaxIterationCount = DefaultMultiGetMaxIterationCount
	}
	if o.MultiGetMaxIterationSize <= 0 {
		o.MultiGetMaxIterationSize = DefaultMultiGetMaxIterationSize
	}
	if o.MaxIterationCount <= 0 {
		o.MaxIterationCount = DefaultMaxIterationCount
	}
	if o.IterationTimeLimit == 0 {
		o.IterationTimeLimit = DefaultIterationTimeLimit
	}
	if o.MaxHashKeyLen <= 0 || o.MaxHashKeyLen > keys.MaxHashKeyLen {
		o.MaxHashKeyLen = keys.MaxHashKeyLen
	}
	if !o.newDataVersionSet {
		o.newDataVersion = DataVersion1
	}
	return o
}
