package rocksdb

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCheckpointOpensWithSameDataAndDecree(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"wal", Options{}},
		{"no-wal", Options{DisableWAL: true}}, // memtable data must be flushed into it
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t, tc.opts)
			writeKVs(t, db, 1, kv{"a", "1"}, kv{"b", "2"})
			if err := db.Flush(); err != nil {
				t.Fatal(err)
			}
			writeKVs(t, db, 2, kv{"c", "3"}) // only in the memtable
			if err := db.PutMeta("pegasus_data_version", []byte("1")); err != nil {
				t.Fatal(err)
			}

			cpDir := filepath.Join(t.TempDir(), "checkpoint.tmp")
			decree, err := db.Checkpoint(cpDir)
			if err != nil {
				t.Fatal(err)
			}
			if decree != 2 {
				t.Fatalf("Checkpoint decree = %d, want 2", decree)
			}
			if got, err := ReadDecree(cpDir); err != nil || got != 2 {
				t.Fatalf("ReadDecree(checkpoint) = %d, %v; want 2", got, err)
			}

			// Later writes to the source stay out of the checkpoint.
			writeKVs(t, db, 3, kv{"a", "changed"}, kv{"d", "4"})

			cp := openAt(t, cpDir, tc.opts)
			if got := cp.LastAppliedDecree(); got != 2 {
				t.Errorf("checkpoint opens at decree %d, want 2", got)
			}
			probe := []string{"a", "b", "c", "d"}
			wantRecords(t, cp, probe, kv{"a", "1"}, kv{"b", "2"}, kv{"c", "3"})
			if v, found, err := cp.GetMeta("pegasus_data_version"); err != nil || !found || string(v) != "1" {
				t.Errorf("checkpoint meta = %q, %v, %v", v, found, err)
			}
			// The copy is an independent DB.
			writeKVs(t, cp, 3, kv{"b", "cp-only"})
			wantRecords(t, db, probe, kv{"a", "changed"}, kv{"b", "2"}, kv{"c", "3"}, kv{"d", "4"})
		})
	}
}

func TestCheckpointOfNewDB(t *testing.T) {
	db := openTest(t, Options{})
	cpDir := filepath.Join(t.TempDir(), "cp")
	decree, err := db.Checkpoint(cpDir)
	if err != nil || decree != 0 {
		t.Fatalf("Checkpoint of a new DB = %d, %v; want 0", decree, err)
	}
}

func TestCheckpointIntoExistingDirFails(t *testing.T) {
	db := openTest(t, Options{})
	writeKVs(t, db, 1, kv{"a", "1"})
	dir := t.TempDir() // exists
	marker := filepath.Join(dir, "keep")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Checkpoint(dir); err == nil {
		t.Fatal("Checkpoint into an existing directory succeeded")
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("failed Checkpoint touched the existing directory: %v", err)
	}
}

func TestReadDecreeOfMissingDir(t *testing.T) {
	_, err := ReadDecree(filepath.Join(t.TempDir(), "nope"))
	if err == nil || errors.Is(err, ErrClosed) {
		t.Fatalf("ReadDecree of a missing dir = %v", err)
	}
}
