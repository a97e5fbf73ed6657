package rocksdb

import (
	"fmt"

	"github.com/linxGnu/grocksdb"
)

// Get reads key from the data column family. The value is a Go-owned copy;
// found is false when the key is absent, and an empty value with found true
// is a legal record.
func (db *DB) Get(key []byte) (value []byte, found bool, err error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return nil, false, fmt.Errorf("rocksdb: get: %w", ErrClosed)
	}
	value, found, err = getCopy(db.raw, db.readOpts, db.dataCF, key)
	if err != nil {
		return nil, false, fmt.Errorf("rocksdb: get: %w", err)
	}
	return value, found, nil
}

// getCopy reads through a pinned slice, so the value is copied once, from
// the block cache or memtable straight into Go memory.
func getCopy(raw *grocksdb.DB, ro *grocksdb.ReadOptions, cf *grocksdb.ColumnFamilyHandle, key []byte) ([]byte, bool, error) {
	h, err := raw.GetPinnedCF(ro, cf, key)
	if err != nil {
		return nil, false, err
	}
	if !h.Exists() {
		return nil, false, nil
	}
	defer h.Destroy()
	v := h.Data()
	out := make([]byte, len(v))
	copy(out, v)
	return out, true, nil
}
