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

// TestBlockCacheTickers: with TickerStatistics, reads of flushed data count
// as block cache hits or misses; without, no figures are claimed.
func TestBlockCacheTickers(t *testing.T) {
	plain := openTest(t, Options{})
	if p, err := plain.Properties(); err != nil || p.HasCacheStats {
		t.Fatalf("without statistics: %+v %v", p, err)
	}
	db := openTest(t, Options{TickerStatistics: true})
	for i := 0; i < 100; i++ {
		writeKVs(t, db, int64(i+1), kv{fmt.Sprintf("key%03d", i), "value"})
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	const reads = 50
	for i := 0; i < reads; i++ {
		if _, found, err := db.Get([]byte(fmt.Sprintf("key%03d", i))); err != nil || !found {
			t.Fatalf("get %d: %v %v", i, found, err)
		}
	}
	p, err := db.Properties()
	if err != nil {
		t.Fatal(err)
	}
	// Every read of an SST block looks in the cache: the first misses,
	// the rest of the 50 reads of one small file hit.
	if !p.HasCacheStats || p.BlockCacheMisses == 0 || p.BlockCacheHits == 0 {
		t.Fatalf("after %d reads: %+v", reads, p)
	}
}
