package rocksdb

import (
	"fmt"
	"sync/atomic"

	"github.com/linxGnu/grocksdb"
)

// expiredFilter adapts Options.ExpiredFilter to grocksdb's CompactionFilter.
//
// grocksdb keeps every registered Go filter in a process-wide list for good
// (RocksDB calls back by index), which is what keeps it reachable while the
// DB lives. Close clears fn so that whatever the predicate captured can be
// collected; the small wrapper itself stays in grocksdb's list.
type expiredFilter struct {
	fn atomic.Pointer[func(key, value []byte) bool]
}

func newExpiredFilter(fn func(key, value []byte) bool) *expiredFilter {
	if fn == nil {
		return nil
	}
	f := &expiredFilter{}
	f.fn.Store(&fn)
	return f
}

// Name is recorded by RocksDB in its logs.
func (f *expiredFilter) Name() string { return "pegasus.ExpiredFilter" }

// Filter runs on RocksDB's compaction threads. A panic must not unwind into
// C, so it is recovered and the record kept.
func (f *expiredFilter) Filter(_ int, key, val []byte) (remove bool, newVal []byte) {
	fn := f.fn.Load()
	if fn == nil {
		return false, nil
	}
	defer func() {
		if recover() != nil {
			remove = false
		}
	}()
	return (*fn)(key, val), nil
}

// SetIgnoreSnapshots is a no-op: RocksDB ignores it since 6.0.
func (f *expiredFilter) SetIgnoreSnapshots(bool) {}

// Destroy is a no-op: the C side of the filter belongs to the DB options.
func (f *expiredFilter) Destroy() {}

// release drops the predicate once the DB no longer compacts.
func (f *expiredFilter) release() {
	if f != nil {
		f.fn.Store(nil)
	}
}

// CompactRange compacts the data column family over [start, end] (both
// inclusive; nil means unbounded on that side), running the ExpiredFilter on
// every record in range, the bottommost level included. Memtables are
// flushed first. It blocks until the compaction finishes.
func (db *DB) CompactRange(start, end []byte) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return fmt.Errorf("rocksdb: compact range: %w", ErrClosed)
	}
	opts := grocksdb.NewCompactRangeOptions()
	defer opts.Destroy()
	// The default (kIfHaveCompactionFilter) would skip the bottommost level
	// when no filter is installed; forcing it keeps the behaviour the same
	// either way and makes tombstones disappear too.
	opts.SetBottommostLevelCompaction(grocksdb.KForce)
	// RocksDB's C API reports no error from a manual compaction.
	db.raw.CompactRangeCFOpt(db.dataCF, grocksdb.Range{Start: start, Limit: end}, opts)
	return nil
}
