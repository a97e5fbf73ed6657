package rocksdb

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

// TestProperties: writes show in the memtable figure, a flush moves them
// into SST files, and a closed DB says so.
func TestProperties(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "rdb"), Options{BlockCacheBytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := db.Properties()
	if err != nil {
		t.Fatal(err)
	}
	if empty.SSTBytes != 0 || empty.SSTFiles != 0 || empty.BlockCacheCapacity != 8<<20 {
		t.Fatalf("a new DB: %+v", empty)
	}
	for i := 0; i < 100; i++ {
		writeKVs(t, db, int64(i+1), kv{fmt.Sprintf("key%03d", i), "some value of a record"})
	}
	written, err := db.Properties()
	if err != nil {
		t.Fatal(err)
	}
	if written.MemtableBytes <= empty.MemtableBytes || written.EstimatedKeys == 0 {
		t.Fatalf("after 100 puts: %+v (empty %+v)", written, empty)
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	flushed, err := db.Properties()
	if err != nil {
		t.Fatal(err)
	}
	if flushed.SSTBytes == 0 || flushed.LiveSSTBytes == 0 || flushed.SSTFiles != 2 || // one per column family
		flushed.MemtableBytes >= written.MemtableBytes {
		t.Fatalf("after flush: %+v (before %+v)", flushed, written)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Properties(); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed DB: %v", err)
	}
}
