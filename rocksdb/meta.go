package rocksdb

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/linxGnu/grocksdb"
)

// DecreeKey is the meta-CF key holding the last applied decree as a decimal
// string, written inside every write batch (upstream's name: after a flush it
// is exactly the last decree whose data is in SST files).
const DecreeKey = "pegasus_last_flushed_decree"

var decreeKey = []byte(DecreeKey)

// persistedTier is RocksDB's kPersistedTier, which grocksdb does not name:
// reads skip memtables whose writes had the WAL disabled.
const persistedTier = grocksdb.ReadTier(2)

// LastAppliedDecree returns the decree of the last successful Write, or the
// decree found at Open (0 for a new DB). It is published after the write, so
// once it reports d the data of d is visible to reads (a concurrent reader may
// briefly see data of a decree not reported yet). It keeps answering after
// Close.
func (db *DB) LastAppliedDecree() int64 { return db.lastDecree.Load() }

// LastFlushedDecree returns the decree that would survive a crash now: with
// the WAL disabled, the decree in SST files; with the WAL on, the applied
// decree. Log garbage collection may cut up to it.
func (db *DB) LastFlushedDecree() (int64, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return 0, fmt.Errorf("rocksdb: read flushed decree: %w", ErrClosed)
	}
	d, err := db.readDecree(db.flushedOpts)
	if err != nil {
		return 0, fmt.Errorf("rocksdb: read flushed decree: %w", err)
	}
	return d, nil
}

// readDecree reads the decree record of the meta CF; absent means 0.
func (db *DB) readDecree(ro *grocksdb.ReadOptions) (int64, error) {
	return readDecree(db.raw, db.metaCF, ro)
}

func readDecree(raw *grocksdb.DB, metaCF *grocksdb.ColumnFamilyHandle, ro *grocksdb.ReadOptions) (int64, error) {
	v, found, err := getCopy(raw, ro, metaCF, decreeKey)
	if err != nil || !found {
		return 0, err
	}
	d, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("corrupt %s record %q", DecreeKey, v)
	}
	return d, nil
}

// GetMeta reads a small persistent metadata record (for example
// "pegasus_data_version") from the meta column family.
func (db *DB) GetMeta(key string) ([]byte, bool, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return nil, false, fmt.Errorf("rocksdb: get meta %q: %w", key, ErrClosed)
	}
	v, found, err := getCopy(db.raw, db.readOpts, db.metaCF, []byte(key))
	if err != nil {
		return nil, false, fmt.Errorf("rocksdb: get meta %q: %w", key, err)
	}
	return v, found, nil
}

// PutMeta writes a metadata record to the meta column family. It has the
// durability of any write: with the WAL disabled it persists at the next
// flush. The decree record is reserved to Write.
func (db *DB) PutMeta(key string, value []byte) error {
	if key == DecreeKey {
		return fmt.Errorf("rocksdb: put meta %q: %w", key, errReservedKey)
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return fmt.Errorf("rocksdb: put meta %q: %w", key, ErrClosed)
	}
	if err := db.raw.PutCF(db.writeOpts, db.metaCF, []byte(key), value); err != nil {
		return fmt.Errorf("rocksdb: put meta %q: %w", key, err)
	}
	return nil
}

var errReservedKey = errors.New("key is reserved for the applied decree")
