package rocksdb

import (
	"fmt"

	"github.com/linxGnu/grocksdb"
)

// Compression names the block compression of SST files.
type Compression string

// The compressions Open accepts.
const (
	CompressionNone   Compression = "none"
	CompressionSnappy Compression = "snappy"
	CompressionLZ4    Compression = "lz4"
	CompressionZSTD   Compression = "zstd"
)

// compressionTypes maps each accepted name to RocksDB's enum.
var compressionTypes = map[Compression]grocksdb.CompressionType{
	CompressionNone:   grocksdb.NoCompression,
	CompressionSnappy: grocksdb.SnappyCompression,
	CompressionLZ4:    grocksdb.LZ4Compression,
	CompressionZSTD:   grocksdb.ZSTDCompression,
}

// defaultCompressions is tried in order when Options.Compression is empty:
// the first one the linked librocksdb supports wins.
var defaultCompressions = []Compression{CompressionLZ4, CompressionSnappy, CompressionNone}

// Defaults applied to zero fields of Options.
const (
	DefaultBlockCacheBytes  = 64 << 20
	DefaultWriteBufferBytes = 64 << 20
)

// Options configures Open. The zero value is usable.
type Options struct {
	// BlockCacheBytes is the size of the LRU block cache shared by both column
	// families; 0 means DefaultBlockCacheBytes.
	BlockCacheBytes int64
	// WriteBufferBytes is the memtable size of each column family; 0 means
	// DefaultWriteBufferBytes.
	WriteBufferBytes int64
	// ArenaBlockBytes is the block size of the data column family's
	// memtable arena; 0 means an eighth of WriteBufferBytes. RocksDB's own
	// default caps it at 1 MiB; a block of 2 MiB or more can be backed by
	// transparent huge pages, which saves most of a memtable's page
	// faults. The meta column family keeps RocksDB's default.
	ArenaBlockBytes int64
	// MaxWriteBufferNumber is the number of memtables (active plus immutable)
	// per column family; 0 keeps RocksDB's default.
	MaxWriteBufferNumber int
	// Compression of SST blocks; "" means lz4 if librocksdb has it, else
	// snappy, else none. Any other unknown name is an error.
	Compression Compression
	// BloomBitsPerKey configures a full bloom filter on SST files; 0 means no
	// bloom filter.
	BloomBitsPerKey float64
	// DisableWAL turns RocksDB's write-ahead log off for every write. The
	// replica's mutation log then is the only record of unflushed writes, and
	// after a crash the DB comes back at its last flushed decree.
	DisableWAL bool
	// SyncWrites fsyncs the WAL on every write (ignored with DisableWAL).
	SyncWrites bool
	// TickerStatistics makes RocksDB count events such as block cache hits
	// and misses (Properties reports them): its cheapest statistics level,
	// with no histograms or timers.
	TickerStatistics bool
	// ExpiredFilter, when set, is installed as a compaction filter on the data
	// column family: a record for which it returns true is dropped during
	// compaction. It runs on RocksDB's background threads, so it must be cheap
	// and goroutine-safe, and it must not keep key or value: both point into
	// RocksDB's memory. A panic in it is recovered and keeps the record.
	ExpiredFilter func(key, value []byte) bool
}

// validate reports the first field that Open cannot honour.
func (o *Options) validate() error {
	switch {
	case o.BlockCacheBytes < 0:
		return fmt.Errorf("BlockCacheBytes %d is negative", o.BlockCacheBytes)
	case o.WriteBufferBytes < 0:
		return fmt.Errorf("WriteBufferBytes %d is negative", o.WriteBufferBytes)
	case o.ArenaBlockBytes < 0:
		return fmt.Errorf("ArenaBlockBytes %d is negative", o.ArenaBlockBytes)
	case o.MaxWriteBufferNumber < 0:
		return fmt.Errorf("MaxWriteBufferNumber %d is negative", o.MaxWriteBufferNumber)
	case o.BloomBitsPerKey < 0:
		return fmt.Errorf("BloomBitsPerKey %g is negative", o.BloomBitsPerKey)
	}
	if o.Compression != "" {
		if _, ok := compressionTypes[o.Compression]; !ok {
			return fmt.Errorf("unknown compression %q (want none, snappy, lz4 or zstd)", o.Compression)
		}
	}
	return nil
}

// compressionCandidates lists the compressions Open tries, in order.
func (o *Options) compressionCandidates() []Compression {
	if o.Compression == "" {
		return defaultCompressions
	}
	return []Compression{o.Compression}
}

// orDefault returns v, or def when v is zero.
func orDefault(v, def int64) int64 {
	if v == 0 {
		return def
	}
	return v
}
