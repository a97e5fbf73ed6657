package rocksdb

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenNewDBStartsAtDecreeZero(t *testing.T) {
	db := openTest(t, Options{})
	if got := db.LastAppliedDecree(); got != 0 {
		t.Fatalf("LastAppliedDecree of a new DB = %d, want 0", got)
	}
	if _, found := mustGet(t, db, "anything"); found {
		t.Fatal("new DB has a record")
	}
}

func TestReopenRestoresDataAndDecree(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"wal", Options{}},
		{"wal-sync", Options{SyncWrites: true}},
		{"no-wal", Options{DisableWAL: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "a", "b", "rdb") // parents are created
			db, err := Open(dir, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			writeKVs(t, db, 1, kv{"a", "1"}, kv{"b", "2"})
			b := db.NewBatch()
			b.Delete([]byte("a"))
			b.Put([]byte("c"), []byte("3"))
			if err := db.Write(b, 7); err != nil {
				t.Fatal(err)
			}
			b.Destroy()
			if err := db.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := db.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}

			db = openAt(t, dir, tc.opts)
			if got := db.LastAppliedDecree(); got != 7 {
				t.Errorf("LastAppliedDecree after reopen = %d, want 7", got)
			}
			wantRecords(t, db, []string{"a", "b", "c"}, kv{"b", "2"}, kv{"c", "3"})
		})
	}
}

func TestOpenOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    Options
		wantErr string // "" = opens
	}{
		{"zero", Options{}, ""},
		{"none", Options{Compression: CompressionNone}, ""},
		{"snappy", Options{Compression: CompressionSnappy}, ""},
		{"lz4", Options{Compression: CompressionLZ4}, ""},
		{"zstd", Options{Compression: CompressionZSTD}, ""},
		{"tuned", Options{BlockCacheBytes: 8 << 20, WriteBufferBytes: 4 << 20, MaxWriteBufferNumber: 3, BloomBitsPerKey: 10}, ""},
		{"unknown compression", Options{Compression: "gzip"}, `unknown compression "gzip"`},
		{"compression case matters", Options{Compression: "LZ4"}, `unknown compression "LZ4"`},
		{"negative cache", Options{BlockCacheBytes: -1}, "BlockCacheBytes"},
		{"negative write buffer", Options{WriteBufferBytes: -1}, "WriteBufferBytes"},
		{"negative buffer number", Options{MaxWriteBufferNumber: -2}, "MaxWriteBufferNumber"},
		{"negative bloom", Options{BloomBitsPerKey: -0.5}, "BloomBitsPerKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "rdb")
			db, err := Open(dir, tc.opts)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				writeKVs(t, db, 1, kv{"k", "v"})
				if err := db.Flush(); err != nil {
					t.Fatalf("Flush: %v", err)
				}
				if v, _ := mustGet(t, db, "k"); v != "v" {
					t.Fatalf("Get after flush = %q", v)
				}
				if err := db.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				return
			}
			if err == nil {
				db.Close()
				t.Fatalf("Open succeeded, want error containing %q", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Open error %q does not mention %q", err, tc.wantErr)
			}
			if _, statErr := os.Stat(filepath.Join(dir, "CURRENT")); statErr == nil {
				t.Fatal("rejected options still created a DB")
			}
		})
	}
}

func TestOpenFailsOnAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if db, err := Open(path, Options{}); err == nil {
		db.Close()
		t.Fatal("Open on a regular file succeeded")
	}
}

func TestOpenTwiceIsRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rdb")
	openAt(t, dir, Options{})
	if db, err := Open(dir, Options{}); err == nil {
		db.Close()
		t.Fatal("second Open of a locked DB succeeded")
	}
}

func TestCallsAfterCloseReturnErrClosed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rdb")
	db, err := Open(dir, Options{ExpiredFilter: func(k, v []byte) bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	writeKVs(t, db, 3, kv{"a", "1"})
	openIt := db.NewIterator(IterOptions{})
	openIt.SeekToFirst()
	if !openIt.Valid() {
		t.Fatal("iterator not valid before Close")
	}
	b := db.NewBatch()
	b.Put([]byte("x"), []byte("y"))

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	checks := map[string]error{
		"Write":        db.Write(b, 4),
		"Write(nil)":   db.Write(nil, 5),
		"PutMeta":      db.PutMeta("k", nil),
		"Flush":        db.Flush(),
		"CompactRange": db.CompactRange(nil, nil),
	}
	_, _, checks["Get"] = db.Get([]byte("a"))
	_, _, checks["GetMeta"] = db.GetMeta("k")
	_, checks["LastFlushedDecree"] = db.LastFlushedDecree()
	_, checks["Checkpoint"] = db.Checkpoint(filepath.Join(t.TempDir(), "cp"))
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}

	// The iterator that was open is closed with the DB, safely.
	if openIt.Valid() || openIt.Key() != nil || openIt.Value() != nil {
		t.Error("iterator still valid after DB Close")
	}
	openIt.Next()
	openIt.SeekToFirst()
	if openIt.Valid() {
		t.Error("closed iterator became valid")
	}
	if !errors.Is(openIt.Err(), ErrClosed) {
		t.Errorf("open iterator Err after Close = %v, want ErrClosed", openIt.Err())
	}
	openIt.Close()

	newIt := db.NewIterator(IterOptions{})
	newIt.SeekToFirst()
	if newIt.Valid() || !errors.Is(newIt.Err(), ErrClosed) {
		t.Errorf("iterator of closed DB: valid %v, err %v", newIt.Valid(), newIt.Err())
	}
	newIt.Close()

	// Batches are independent of the DB: still usable, freed once.
	b.Put([]byte("z"), nil)
	if b.Count() != 2 {
		t.Errorf("batch Count = %d, want 2", b.Count())
	}
	b.Destroy()

	if got := db.LastAppliedDecree(); got != 3 {
		t.Errorf("LastAppliedDecree after Close = %d, want 3", got)
	}
	if s := db.Stats(); s.LastAppliedDecree != 3 || s.EstimatedKeys != 0 {
		t.Errorf("Stats after Close = %+v", s)
	}
}

func TestCHandleRejectsNonWrappers(t *testing.T) {
	type noC struct{ x int }
	for _, v := range []any{nil, 3, &noC{}, (*noC)(nil)} {
		if _, err := cHandle(v); err == nil {
			t.Errorf("cHandle(%#v) succeeded", v)
		}
	}
}

func TestStats(t *testing.T) {
	db := openTest(t, Options{})
	for i := 1; i <= 100; i++ {
		writeKVs(t, db, int64(i), kv{numberedKey(i), strings.Repeat("v", 100)})
	}
	before := db.Stats()
	if before.MemtableBytes == 0 || before.LastAppliedDecree != 100 {
		t.Errorf("Stats before flush = %+v", before)
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	after := db.Stats()
	if after.SSTBytes == 0 || after.EstimatedKeys < 50 || after.EstimatedKeys > 200 {
		t.Errorf("Stats after flush = %+v", after)
	}
}
