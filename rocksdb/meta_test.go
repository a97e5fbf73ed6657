package rocksdb

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestMetaRecords(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rdb")
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, found, err := db.GetMeta("pegasus_data_version"); err != nil || found {
		t.Fatalf("GetMeta on a new DB = found %v, %v", found, err)
	}
	if err := db.PutMeta("pegasus_data_version", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := db.PutMeta("empty", nil); err != nil {
		t.Fatal(err)
	}
	if err := db.PutMeta(DecreeKey, []byte("99")); err == nil {
		t.Error("PutMeta of the decree key succeeded")
	}
	// Meta records live apart from data.
	if _, found := mustGet(t, db, "pegasus_data_version"); found {
		t.Error("meta record visible in the data column family")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openAt(t, dir, Options{})
	for key, want := range map[string]string{"pegasus_data_version": "1", "empty": ""} {
		v, found, err := db.GetMeta(key)
		if err != nil || !found || string(v) != want {
			t.Errorf("GetMeta(%q) after reopen = %q, %v, %v; want %q", key, v, found, err, want)
		}
	}
	if db.LastAppliedDecree() != 0 {
		t.Errorf("rejected PutMeta changed the decree to %d", db.LastAppliedDecree())
	}
}

func TestLastFlushedDecreeWithoutWAL(t *testing.T) {
	db := openTest(t, Options{DisableWAL: true})
	writeKVs(t, db, 1, kv{"a", "1"})
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	writeKVs(t, db, 2, kv{"b", "2"})
	writeKVs(t, db, 3, kv{"c", "3"})
	if got, err := db.LastFlushedDecree(); err != nil || got != 1 {
		t.Fatalf("LastFlushedDecree with decrees 2..3 in the memtable = %d, %v; want 1", got, err)
	}
	if got := db.LastAppliedDecree(); got != 3 {
		t.Fatalf("LastAppliedDecree = %d, want 3", got)
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, err := db.LastFlushedDecree(); err != nil || got != 3 {
		t.Fatalf("LastFlushedDecree after Flush = %d, %v; want 3", got, err)
	}
}

func TestCorruptDecreeRecordFailsOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rdb")
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Bypass PutMeta's guard the way only a bug or a bad disk could.
	if err := db.Raw().PutCF(db.writeOpts, db.metaCF, decreeKey, []byte("12x")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir, Options{})
	if err == nil {
		db.Close()
		t.Fatal("Open with a corrupt decree record succeeded")
	}
	if _, err := ReadDecree(dir); err == nil {
		t.Fatal("ReadDecree of a corrupt decree record succeeded")
	}
	if errors.Is(err, ErrClosed) {
		t.Fatalf("unexpected error kind: %v", err)
	}
}
