package rocksdb

import (
	"errors"
	"testing"
)

func TestWriteAppliesPutsDeletesAndDecree(t *testing.T) {
	db := openTest(t, Options{})
	writeKVs(t, db, 1, kv{"a", "old"}, kv{"b", "2"})

	b := db.NewBatch()
	defer b.Destroy()
	b.Put([]byte("a"), []byte("new"))
	b.Delete([]byte("b"))
	b.Delete([]byte("never-existed"))
	b.Put([]byte("c"), []byte("3"))
	b.Put([]byte("c"), []byte("3b")) // later records in a batch win
	if b.Count() != 5 {
		t.Fatalf("Count = %d, want 5", b.Count())
	}
	if err := db.Write(b, 2); err != nil {
		t.Fatal(err)
	}
	if got := db.LastAppliedDecree(); got != 2 {
		t.Errorf("LastAppliedDecree = %d, want 2", got)
	}
	wantRecords(t, db, []string{"a", "b", "c", "never-existed"}, kv{"a", "new"}, kv{"c", "3b"})

	// The decree record never shows in the caller's batch or the data CF.
	if b.Count() != 5 {
		t.Errorf("Count after Write = %d, want 5 (batch must be left as built)", b.Count())
	}
	if _, found := mustGet(t, db, DecreeKey); found {
		t.Error("decree record visible in the data column family")
	}
	// Reusing the batch after Clear works.
	b.Clear()
	if b.Count() != 0 {
		t.Errorf("Count after Clear = %d", b.Count())
	}
	b.Put([]byte("d"), []byte("4"))
	if err := db.Write(b, 3); err != nil {
		t.Fatal(err)
	}
	wantRecords(t, db, []string{"d"}, kv{"d", "4"})
}

func TestWriteRejectsStaleDecree(t *testing.T) {
	for _, tc := range []struct {
		name   string
		decree int64
	}{
		{"same", 5},
		{"older", 4},
		{"zero", 0},
		{"negative", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t, Options{})
			writeKVs(t, db, 5, kv{"a", "1"})
			b := db.NewBatch()
			defer b.Destroy()
			b.Put([]byte("a"), []byte("replayed"))
			b.Put([]byte("z"), []byte("replayed"))
			err := db.Write(b, tc.decree)
			if !errors.Is(err, ErrStaleDecree) {
				t.Fatalf("Write(decree %d) = %v, want ErrStaleDecree", tc.decree, err)
			}
			// Nothing of the refused batch is applied.
			wantRecords(t, db, []string{"a", "z"}, kv{"a", "1"})
			if got := db.LastAppliedDecree(); got != 5 {
				t.Errorf("LastAppliedDecree = %d, want 5", got)
			}
			// The batch is intact and applies at a newer decree.
			if err := db.Write(b, 6); err != nil {
				t.Fatal(err)
			}
			wantRecords(t, db, []string{"a", "z"}, kv{"a", "replayed"}, kv{"z", "replayed"})
		})
	}
}

func TestWriteAllowsDecreeGaps(t *testing.T) {
	db := openTest(t, Options{})
	writeKVs(t, db, 10, kv{"a", "1"})
	writeKVs(t, db, 1000, kv{"a", "2"})
	if got := db.LastAppliedDecree(); got != 1000 {
		t.Fatalf("LastAppliedDecree = %d, want 1000", got)
	}
}

func TestEmptyWriteAdvancesDecree(t *testing.T) {
	db := openTest(t, Options{})
	empty := db.NewBatch()
	defer empty.Destroy()
	if err := db.Write(empty, 1); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
	if err := db.Write(nil, 2); err != nil {
		t.Fatalf("nil batch: %v", err)
	}
	if got := db.LastAppliedDecree(); got != 2 {
		t.Fatalf("LastAppliedDecree = %d, want 2", got)
	}
	if err := db.Write(nil, 2); !errors.Is(err, ErrStaleDecree) {
		t.Fatalf("nil batch at stale decree = %v, want ErrStaleDecree", err)
	}
	// Still recorded persistently.
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, err := db.LastFlushedDecree(); err != nil || got != 2 {
		t.Fatalf("LastFlushedDecree = %d, %v; want 2", got, err)
	}
}

func TestDestroyedBatch(t *testing.T) {
	db := openTest(t, Options{})
	b := db.NewBatch()
	b.Put([]byte("a"), []byte("1"))
	b.Destroy()
	b.Destroy() // harmless
	b.Put([]byte("b"), []byte("2"))
	b.Delete([]byte("a"))
	b.Clear()
	if b.Count() != 0 {
		t.Errorf("Count of destroyed batch = %d", b.Count())
	}
	if err := db.Write(b, 1); err == nil {
		t.Fatal("Write of a destroyed batch succeeded")
	}
	if got := db.LastAppliedDecree(); got != 0 {
		t.Errorf("destroyed batch advanced the decree to %d", got)
	}
}

func TestBatchEmptyKeyAndValue(t *testing.T) {
	db := openTest(t, Options{})
	b := db.NewBatch()
	defer b.Destroy()
	b.Put(nil, nil) // upstream's "empty write" record
	b.Put([]byte("k"), []byte{})
	if err := db.Write(b, 1); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"", "k"} {
		v, found := mustGet(t, db, k)
		if !found || v != "" {
			t.Errorf("Get(%q) = %q, %v; want empty, found", k, v, found)
		}
	}
}
