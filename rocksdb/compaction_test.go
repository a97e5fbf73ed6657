package rocksdb

import (
	"bytes"
	"path/filepath"
	"sync"
	"testing"
)

// expiredPrefix marks values the test filter treats as expired.
var expiredPrefix = []byte("expired:")

func TestCompactRangeDropsWhatTheFilterSays(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	filter := func(key, value []byte) bool {
		mu.Lock()
		seen[string(key)] = true
		mu.Unlock()
		return bytes.HasPrefix(value, expiredPrefix)
	}
	dir := filepath.Join(t.TempDir(), "rdb")
	db := openAt(t, dir, Options{ExpiredFilter: filter})

	// Some records in SST files of different ages, some only in the memtable.
	writeKVs(t, db, 1, kv{"a", "live"}, kv{"b", "expired:1"}, kv{"c", "live"})
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	writeKVs(t, db, 2, kv{"d", "expired:2"}, kv{"e", ""})
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	writeKVs(t, db, 3, kv{"f", "expired:3"}, kv{"g", "live"})

	probe := []string{"a", "b", "c", "d", "e", "f", "g"}
	// Before compaction every record is still there: the filter only runs
	// inside compactions (hiding expired records from reads is storage's job).
	wantRecords(t, db, probe, kv{"a", "live"}, kv{"b", "expired:1"}, kv{"c", "live"},
		kv{"d", "expired:2"}, kv{"e", ""}, kv{"f", "expired:3"}, kv{"g", "live"})

	if err := db.CompactRange(nil, nil); err != nil {
		t.Fatal(err)
	}
	live := []kv{{"a", "live"}, {"c", "live"}, {"e", ""}, {"g", "live"}}
	wantRecords(t, db, probe, live...)

	mu.Lock()
	if seen[DecreeKey] {
		t.Error("the filter saw the meta column family")
	}
	for _, k := range probe {
		if !seen[k] {
			t.Errorf("the filter never saw %q", k)
		}
	}
	mu.Unlock()

	// Dropping records does not disturb the decree.
	if got := db.LastAppliedDecree(); got != 3 {
		t.Errorf("LastAppliedDecree = %d, want 3", got)
	}
	if got, err := readDecreeAfterClose(t, db, dir); err != nil || got != 3 {
		t.Errorf("decree on disk = %d, %v; want 3", got, err)
	}
}

// readDecreeAfterClose closes db and reads the decree from disk.
func readDecreeAfterClose(t *testing.T, db *DB, dir string) (int64, error) {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return ReadDecree(dir)
}

func TestCompactRangeWithoutFilterKeepsRecords(t *testing.T) {
	db := openTest(t, Options{})
	writeKVs(t, db, 1, kv{"a", "expired:x"}, kv{"b", "1"})
	b := db.NewBatch()
	b.Delete([]byte("b"))
	if err := db.Write(b, 2); err != nil {
		t.Fatal(err)
	}
	b.Destroy()
	if err := db.CompactRange([]byte("a"), []byte("z")); err != nil {
		t.Fatal(err)
	}
	wantRecords(t, db, []string{"a", "b"}, kv{"a", "expired:x"})
}

func TestPanickingFilterKeepsRecords(t *testing.T) {
	db := openTest(t, Options{ExpiredFilter: func(key, _ []byte) bool {
		if string(key) == "boom" {
			panic("filter bug")
		}
		return true
	}})
	writeKVs(t, db, 1, kv{"boom", "1"}, kv{"other", "2"})
	if err := db.CompactRange(nil, nil); err != nil {
		t.Fatal(err)
	}
	wantRecords(t, db, []string{"boom", "other"}, kv{"boom", "1"})
}

func TestCloseReleasesFilter(t *testing.T) {
	db := openTest(t, Options{ExpiredFilter: func(_, _ []byte) bool { return true }})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db.filter.fn.Load() != nil {
		t.Fatal("closed DB still references its filter predicate")
	}
	if remove, _ := db.filter.Filter(0, []byte("k"), []byte("v")); remove {
		t.Fatal("released filter removes records")
	}
}
