package rocksdb

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/linxGnu/grocksdb"
)

// ErrStaleDecree is returned (wrapped) by Write when the decree is not newer
// than LastAppliedDecree: the mutation was applied already.
var ErrStaleDecree = errors.New("decree already applied")

// errBatchDestroyed is returned by Write for a destroyed batch.
var errBatchDestroyed = errors.New("batch is destroyed")

// Batch collects puts and deletes on the data column family, applied
// atomically by DB.Write. A Batch is not safe for concurrent use. It holds a
// C object: call Destroy when done (it may be reused with Clear before that).
type Batch struct {
	wb *grocksdb.WriteBatch // nil once destroyed
}

// NewBatch returns an empty batch.
func (db *DB) NewBatch() *Batch {
	return &Batch{wb: grocksdb.NewWriteBatch()}
}

// The data CF is RocksDB's default column family, so the batch uses the
// CF-less calls: they need no column family handle, and stay valid even if
// the DB closes while the batch is being filled.

// Put records key=value. It is a no-op on a destroyed batch.
func (b *Batch) Put(key, value []byte) {
	if b.wb != nil {
		b.wb.Put(key, value)
	}
}

// Delete records the deletion of key. It is a no-op on a destroyed batch.
func (b *Batch) Delete(key []byte) {
	if b.wb != nil {
		b.wb.Delete(key)
	}
}

// Count returns the number of puts and deletes recorded.
func (b *Batch) Count() int {
	if b.wb == nil {
		return 0
	}
	return b.wb.Count()
}

// Clear empties the batch for reuse.
func (b *Batch) Clear() {
	if b.wb != nil {
		b.wb.Clear()
	}
}

// Destroy frees the batch; calling it again is harmless.
func (b *Batch) Destroy() {
	if b.wb != nil {
		b.wb.Destroy()
		b.wb = nil
	}
}

// Write applies b and records decree as the last applied decree, in one
// atomic RocksDB write. decree must be greater than LastAppliedDecree,
// otherwise nothing is written and the error wraps ErrStaleDecree. An empty
// or nil batch still advances the decree. b is left as the caller built it.
func (db *DB) Write(b *Batch, decree int64) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return fmt.Errorf("rocksdb: write batch at decree %d: %w", decree, ErrClosed)
	}
	wb := db.emptyBatch
	if b != nil {
		if b.wb == nil {
			return fmt.Errorf("rocksdb: write batch at decree %d: %w", decree, errBatchDestroyed)
		}
		wb = b.wb
	}

	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	if last := db.lastDecree.Load(); decree <= last {
		return fmt.Errorf("rocksdb: write batch at decree %d: %w (last applied %d)", decree, ErrStaleDecree, last)
	}
	// The decree record rides in the caller's batch only for this write: the
	// save point removes it again, so a retried or reused batch stays clean.
	wb.SetSavePoint()
	db.decreeBuf = strconv.AppendInt(db.decreeBuf[:0], decree, 10)
	wb.PutCF(db.metaCF, decreeKey, db.decreeBuf)
	err := db.raw.Write(db.writeOpts, wb)
	rollbackErr := wb.RollbackToSavePoint()
	if err != nil {
		return fmt.Errorf("rocksdb: write batch at decree %d: %w", decree, err)
	}
	db.lastDecree.Store(decree)
	if rollbackErr != nil {
		return fmt.Errorf("rocksdb: write batch at decree %d: applied, but the batch is unusable: %w", decree, rollbackErr)
	}
	return nil
}
