package rocksdb

import (
	"fmt"
	"strconv"

	"github.com/linxGnu/grocksdb"
)

// Properties are engine figures for monitoring, read from RocksDB's
// properties on demand. Sizes are summed over both column families.
type Properties struct {
	MemtableBytes          uint64 // rocksdb.cur-size-all-mem-tables: active and immutable memtables
	SSTBytes               uint64 // rocksdb.total-sst-files-size: every SST file, obsolete ones included
	LiveSSTBytes           uint64 // rocksdb.live-sst-files-size: SST files of the current version
	LiveDataBytes          uint64 // rocksdb.estimate-live-data-size
	PendingCompactionBytes uint64 // rocksdb.estimate-pending-compaction-bytes
	EstimatedKeys          uint64 // rocksdb.estimate-num-keys of the data column family
	SSTFiles               uint64 // rocksdb.num-files-at-level<N>, summed over levels
	RunningCompactions     uint64 // rocksdb.num-running-compactions
	RunningFlushes         uint64 // rocksdb.num-running-flushes
	BlockCacheUsage        uint64 // bytes held by the DB's block cache
	BlockCacheCapacity     uint64
	// Block cache lookups since open; HasCacheStats is false (and both are
	// 0) unless the DB was opened with TickerStatistics.
	BlockCacheHits, BlockCacheMisses uint64
	HasCacheStats                    bool
}

// sizeProperties are summed over both column families into the field
// each names.
var sizeProperties = []struct {
	name  string
	field func(*Properties) *uint64
}{
	{"rocksdb.cur-size-all-mem-tables", func(p *Properties) *uint64 { return &p.MemtableBytes }},
	{"rocksdb.total-sst-files-size", func(p *Properties) *uint64 { return &p.SSTBytes }},
	{"rocksdb.live-sst-files-size", func(p *Properties) *uint64 { return &p.LiveSSTBytes }},
	{"rocksdb.estimate-live-data-size", func(p *Properties) *uint64 { return &p.LiveDataBytes }},
	{"rocksdb.estimate-pending-compaction-bytes", func(p *Properties) *uint64 { return &p.PendingCompactionBytes }},
}

// numLevels is RocksDB's default num_levels, which the engine keeps.
const numLevels = 7

// Properties reads the engine's figures; on a closed DB it fails with
// ErrClosed. A property RocksDB does not know reads as 0.
func (db *DB) Properties() (Properties, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	var p Properties
	if db.closed {
		return p, fmt.Errorf("rocksdb: properties: %w", ErrClosed)
	}
	for _, cf := range []*grocksdb.ColumnFamilyHandle{db.dataCF, db.metaCF} {
		for _, sp := range sizeProperties {
			*sp.field(&p) += db.intProperty(sp.name, cf)
		}
		for level := 0; level < numLevels; level++ {
			// A text property, not an integer one.
			v := db.raw.GetPropertyCF("rocksdb.num-files-at-level"+strconv.Itoa(level), cf)
			if n, err := strconv.ParseUint(v, 10, 64); err == nil {
				p.SSTFiles += n
			}
		}
	}
	p.EstimatedKeys = db.intProperty("rocksdb.estimate-num-keys", db.dataCF)
	p.RunningCompactions = db.intProperty("rocksdb.num-running-compactions", db.dataCF)
	p.RunningFlushes = db.intProperty("rocksdb.num-running-flushes", db.dataCF)
	p.BlockCacheUsage = db.engine.cache.GetUsage()
	p.BlockCacheCapacity = db.engine.cache.GetCapacity()
	p.BlockCacheHits, p.BlockCacheMisses, p.HasCacheStats = db.blockCacheTickers()
	return p, nil
}
