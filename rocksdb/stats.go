package rocksdb

import "github.com/linxGnu/grocksdb"

// Stats are best-effort numbers from RocksDB's properties.
type Stats struct {
	EstimatedKeys     uint64 // estimated records in the data CF (rocksdb.estimate-num-keys)
	SSTBytes          uint64 // size of live SST files, both CFs
	MemtableBytes     uint64 // memory of all memtables, both CFs
	BlockCacheBytes   uint64 // block cache usage
	LastAppliedDecree int64
}

// Stats returns a snapshot of a few engine numbers; zero values after Close.
func (db *DB) Stats() Stats {
	db.mu.RLock()
	defer db.mu.RUnlock()
	s := Stats{LastAppliedDecree: db.lastDecree.Load()}
	if db.closed {
		return s
	}
	s.EstimatedKeys = db.intProperty("rocksdb.estimate-num-keys", db.dataCF)
	for _, cf := range []*grocksdb.ColumnFamilyHandle{db.dataCF, db.metaCF} {
		s.SSTBytes += db.intProperty("rocksdb.total-sst-files-size", cf)
		s.MemtableBytes += db.intProperty("rocksdb.cur-size-all-mem-tables", cf)
	}
	s.BlockCacheBytes = db.engine.cache.GetUsage()
	return s
}

func (db *DB) intProperty(name string, cf *grocksdb.ColumnFamilyHandle) uint64 {
	v, ok := db.raw.GetIntPropertyCF(name, cf)
	if !ok {
		return 0
	}
	return v
}
