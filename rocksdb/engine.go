package rocksdb

import (
	"runtime"

	"github.com/linxGnu/grocksdb"
)

// engineOptions owns the C option objects a DB is opened with. RocksDB keeps
// raw pointers into some of them (the compaction filter above all), so they
// are destroyed only after the DB itself is closed.
type engineOptions struct {
	cache    *grocksdb.Cache
	table    *grocksdb.BlockBasedTableOptions
	dbOpts   *grocksdb.Options // DB-wide options, also those of the data CF
	metaOpts *grocksdb.Options // options of the meta CF
	statsErr error             // why TickerStatistics could not be honoured
}

// newEngineOptions builds the C option objects for o (already validated)
// with the given compression. filter may be nil.
func newEngineOptions(o *Options, compression Compression, filter *expiredFilter) *engineOptions {
	e := &engineOptions{
		cache: grocksdb.NewLRUCache(uint64(orDefault(o.BlockCacheBytes, DefaultBlockCacheBytes))),
		table: grocksdb.NewDefaultBlockBasedTableOptions(),
	}
	e.table.SetBlockCache(e.cache)
	if o.BloomBitsPerKey > 0 {
		// SetFilterPolicy moves the policy into the table options.
		e.table.SetFilterPolicy(grocksdb.NewBloomFilterFull(o.BloomBitsPerKey))
	}

	// Both column families share the table options, hence the block cache,
	// and the memtable size: the meta CF gets one small record per write, so
	// it should never be the one that forces an (atomic, all-CF) flush.
	cfOptions := func() *grocksdb.Options {
		opts := grocksdb.NewDefaultOptions()
		opts.SetBlockBasedTableFactory(e.table)
		opts.SetWriteBufferSize(uint64(orDefault(o.WriteBufferBytes, DefaultWriteBufferBytes)))
		if o.MaxWriteBufferNumber > 0 {
			opts.SetMaxWriteBufferNumber(o.MaxWriteBufferNumber)
		}
		opts.SetCompression(compressionTypes[compression])
		return opts
	}

	e.dbOpts = cfOptions()
	e.dbOpts.SetArenaBlockSize(uint64(o.arenaBlockBytes()))
	e.dbOpts.SetCreateIfMissing(true)
	e.dbOpts.SetCreateIfMissingColumnFamilies(true)
	// The decree in the meta CF must never be flushed apart from the data it
	// describes; this is what makes a DB without WAL recover consistently.
	e.dbOpts.SetAtomicFlush(true)
	e.dbOpts.SetKeepLogFileNum(4)
	// RocksDB's default environment has a single background thread per
	// priority, shared by every DB of the process: with several replicas a
	// server falls behind on compaction and writes stall. Give flushes and
	// compactions a thread per CPU (at least two).
	e.dbOpts.IncreaseParallelism(max(2, runtime.NumCPU()))
	// Sync SST and WAL writes in 1 MiB steps instead of in bursts at file end.
	e.dbOpts.SetBytesPerSync(1 << 20)
	e.dbOpts.SetInfoLogLevel(grocksdb.WarnInfoLogLevel)
	if filter != nil {
		e.dbOpts.SetCompactionFilter(filter)
	}

	e.metaOpts = cfOptions()
	if o.TickerStatistics {
		e.statsErr = enableTickerStatistics(e.dbOpts)
	}
	return e
}

// destroy frees every C object; call it once, after the DB is closed (or
// when opening failed).
func (e *engineOptions) destroy() {
	e.dbOpts.Destroy()
	e.metaOpts.Destroy()
	e.table.Destroy()
	e.cache.Destroy()
}

// arenaBlockBytes is the data column family's memtable arena block size:
// the one set, or an eighth of the memtable.
func (o *Options) arenaBlockBytes() int64 {
	if o.ArenaBlockBytes > 0 {
		return o.ArenaBlockBytes
	}
	return orDefault(o.WriteBufferBytes, DefaultWriteBufferBytes) / 8
}
