package rocksdb

import (
	"fmt"
	"path/filepath"
	"testing"
)

// openTest opens a DB in a fresh temp dir and closes it at cleanup.
func openTest(t testing.TB, opts Options) *DB {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "rdb"), opts)
}

func openAt(t testing.TB, dir string, opts Options) *DB {
	t.Helper()
	db, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// kv is one record to write or expect.
type kv struct{ k, v string }

// writeKVs applies puts in one batch at decree.
func writeKVs(t testing.TB, db *DB, decree int64, kvs ...kv) {
	t.Helper()
	b := db.NewBatch()
	defer b.Destroy()
	for _, r := range kvs {
		b.Put([]byte(r.k), []byte(r.v))
	}
	if err := db.Write(b, decree); err != nil {
		t.Fatalf("Write(decree %d): %v", decree, err)
	}
}

// mustGet returns the value of key and whether it was found.
func mustGet(t testing.TB, db *DB, key string) (string, bool) {
	t.Helper()
	v, found, err := db.Get([]byte(key))
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return string(v), found
}

// wantRecords checks that exactly the listed keys among probe exist, with
// their values.
func wantRecords(t testing.TB, db *DB, probe []string, want ...kv) {
	t.Helper()
	wantMap := map[string]string{}
	for _, r := range want {
		wantMap[r.k] = r.v
	}
	for _, k := range probe {
		v, found := mustGet(t, db, k)
		wv, wfound := wantMap[k]
		if found != wfound || v != wv {
			t.Errorf("Get(%q) = %q, %v; want %q, %v", k, v, found, wv, wfound)
		}
	}
}

func numberedKey(i int) string { return fmt.Sprintf("key%06d", i) }
