package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pegasus-go/pegasus/rocksdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// ErrClosed is returned by Partition methods called after Close.
var ErrClosed = errors.New("storage: partition is closed")

// Partition is the data of one replica: a RocksDB instance plus the
// Pegasus semantics on top of it.
type Partition struct {
	opts        Options // with defaults applied; read-only after Open
	db          *rocksdb.DB
	clock       Clock
	dataVersion uint32 // set during Open, before filterReady
	log         *slog.Logger

	// filterReady turns the compaction filter on once dataVersion is known.
	filterReady atomic.Bool

	envs           atomic.Pointer[envState]
	partitionCount atomic.Int32

	scanners *scannerTable

	// writeMu serialises Apply (and the writer state it owns) with Close.
	writeMu sync.Mutex
	w       writer // guarded by writeMu
	closed  atomic.Bool
}

// Open opens (or creates) the partition's RocksDB in o.Dir. A new DB records
// data version 1.
func Open(o Options) (*Partition, error) {
	o = o.withDefaults()
	p := &Partition{
		opts:  o,
		clock: o.Clock,
		log:   slog.With("app_id", o.AppID, "partition_index", o.PartitionIndex),
	}
	p.partitionCount.Store(o.PartitionCount)
	env := parseEnvs(o.Envs, envState{}, p.log)
	p.envs.Store(&env)

	engine := o.Engine
	engine.ExpiredFilter = p.compactionDrops
	db, err := rocksdb.Open(o.Dir, engine)
	if err != nil {
		return nil, fmt.Errorf("open partition %d.%d: %w", o.AppID, o.PartitionIndex, err)
	}
	p.db = db
	if err := p.loadDataVersion(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open partition %d.%d: %w", o.AppID, o.PartitionIndex, err)
	}
	p.filterReady.Store(true)
	p.scanners = newScannerTable(o.ScannerIdleTimeout)
	p.w.init(db)
	return p, nil
}

// loadDataVersion reads the partition's value-schema version, recording
// the default in a new DB (and flushing it, as the WAL may be off).
func (p *Partition) loadDataVersion() error {
	v, found, err := p.db.GetMeta(metaDataVersion)
	if err != nil {
		return fmt.Errorf("read data version: %w", err)
	}
	if !found {
		p.dataVersion = p.opts.newDataVersion
		if err := p.db.PutMeta(metaDataVersion, []byte(strconv.FormatUint(uint64(p.dataVersion), 10))); err != nil {
			return fmt.Errorf("record data version: %w", err)
		}
		if err := p.db.Flush(); err != nil {
			return fmt.Errorf("record data version: %w", err)
		}
		return nil
	}
	n, err := strconv.ParseUint(string(v), 10, 32)
	if err != nil || n > DataVersion2 {
		return fmt.Errorf("unsupported data version %q", v)
	}
	p.dataVersion = uint32(n)
	return nil
}

// Close drops every scanner context and closes RocksDB (flushing memtables
// when the WAL is off). Reads in flight fail with a shutdown status.
func (p *Partition) Close() error {
	p.writeMu.Lock()
	defer p.writeMu.Unlock()
	if p.closed.Swap(true) {
		return nil
	}
	p.scanners.close()
	p.w.destroy()
	if err := p.db.Close(); err != nil {
		return fmt.Errorf("close partition %d.%d: %w", p.opts.AppID, p.opts.PartitionIndex, err)
	}
	return nil
}

// LastAppliedDecree is the decree of the last applied mutation (the one
// found at Open for a reopened partition, 0 for a new one).
func (p *Partition) LastAppliedDecree() int64 { return p.db.LastAppliedDecree() }

// LastFlushedDecree is the last decree that survives a crash (data in SST
// files when the WAL is off).
func (p *Partition) LastFlushedDecree() (int64, error) {
	d, err := p.db.LastFlushedDecree()
	if err != nil {
		return 0, fmt.Errorf("partition %d.%d: %w", p.opts.AppID, p.opts.PartitionIndex, err)
	}
	return d, nil
}

// DataVersion is the partition's value-schema version.
func (p *Partition) DataVersion() uint32 { return p.dataVersion }

// ClusterID is the duplication cluster id the partition stamps into the
// timetags of local writes (Options.ClusterID).
func (p *Partition) ClusterID() uint8 { return p.opts.ClusterID }

// UpdateEnvs applies a new full set of table envs (default_ttl,
// replica.split.validate_partition_hash). Safe concurrently with reads and
// writes; writes see the change from the next mutation on.
func (p *Partition) UpdateEnvs(envs map[string]string) {
	next := parseEnvs(envs, *p.envs.Load(), p.log)
	p.envs.Store(&next)
}

// SetPartitionCount updates the table's partition count (after a split);
// 0 disables partition-hash validation.
func (p *Partition) SetPartitionCount(n int32) { p.partitionCount.Store(n) }

// Checkpoint writes a RocksDB checkpoint into dir (which must not exist)
// and returns the decree it contains.
func (p *Partition) Checkpoint(dir string) (int64, error) {
	d, err := p.db.Checkpoint(dir)
	if err != nil {
		return 0, fmt.Errorf("checkpoint partition %d.%d: %w", p.opts.AppID, p.opts.PartitionIndex, err)
	}
	return d, nil
}

// Compact runs a full manual compaction, which drops expired records. The
// compaction itself cannot be interrupted; ctx is checked before it starts.
func (p *Partition) Compact(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("compact partition %d.%d: %w", p.opts.AppID, p.opts.PartitionIndex, err)
	}
	if err := p.db.CompactRange(nil, nil); err != nil {
		return fmt.Errorf("compact partition %d.%d: %w", p.opts.AppID, p.opts.PartitionIndex, err)
	}
	return nil
}

// SweepScanners drops scanner contexts idle for longer than the scanner
// idle timeout, releasing their iterators. The owner calls it periodically;
// contexts are also expired lazily when looked up.
func (p *Partition) SweepScanners() int {
	return p.scanners.sweep(p.clock.Now())
}

// compactionDrops is the TTL compaction filter: it drops expired records
// and, while partition-hash validation is on, records that no longer belong
// to this partition. Keys too short to be records (empty writes) are kept.
func (p *Partition) compactionDrops(key, value []byte) bool {
	if len(key) < 2 || !p.filterReady.Load() {
		return false
	}
	if ts, ok := expireTsOf(p.dataVersion, value); ok && isExpired(ts, EpochSeconds(p.clock.Now())) {
		return true
	}
	return p.envs.Load().validateHash && !p.ownsKey(key)
}

// now is the current time in Pegasus epoch seconds, for reads.
func (p *Partition) now() uint32 { return EpochSeconds(p.clock.Now()) }

// ownsKey reports whether an encoded key hashes to this partition under the
// current partition count; with the count unknown every key is owned.
func (p *Partition) ownsKey(key []byte) bool { return p.ownsKeyUnder(key, p.partitionCount.Load()) }

// ownsKeyUnder is ownsKey for a partition count of n.
func (p *Partition) ownsKeyUnder(key []byte, n int32) bool {
	if n <= 0 {
		return true
	}
	return keys.BelongsTo(keys.KeyHash(key), p.opts.PartitionIndex, n-1)
}

// validHashKey reports whether a raw hash key can be stored.
func (p *Partition) validHashKey(hashKey []byte) bool {
	return len(hashKey) <= p.opts.MaxHashKeyLen
}

// PartitionCount is the partition count the partition serves under (the
// count before a split until its child registers; see SetPartitionCount).
func (p *Partition) PartitionCount() int32 { return p.partitionCount.Load() }

// MisroutedHash reports whether a request whose header carries hash must
// be refused as ERR_PARENT_PARTITION_MISUSED (protocol.md §5.3): only while
// the table validates partition hashes, when hash does not map to this
// partition under its partition count.
func (p *Partition) MisroutedHash(hash uint64) bool {
	if !p.envs.Load().validateHash {
		return false
	}
	n := p.partitionCount.Load()
	if n <= 0 {
		return false
	}
	return !keys.BelongsTo(hash, p.opts.PartitionIndex, n-1)
}
