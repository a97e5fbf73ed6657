package storage

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func TestCheckpoint(t *testing.T) {
	f := newFixture(t)
	f.put("h", "a", "1", 0)
	f.put("h", "b", "2", 0)
	dir := filepath.Join(t.TempDir(), "checkpoint.2")
	decree, err := f.p.Checkpoint(dir)
	if err != nil || decree != 2 {
		t.Fatalf("Checkpoint = %d, %v", decree, err)
	}
	f.put("h", "c", "3", 0) // after the checkpoint

	opts := f.opts
	opts.Dir = dir
	cp, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if cp.LastAppliedDecree() != 2 || cp.DataVersion() != DataVersion1 {
		t.Fatalf("checkpoint decree %d, data version %d", cp.LastAppliedDecree(), cp.DataVersion())
	}
	ctx := t.Context()
	if r := cp.Get(ctx, key("h", "b")); string(r.Value.Bytes()) != "2" {
		t.Fatalf("checkpoint data %+v", r)
	}
	if r := cp.Get(ctx, key("h", "c")); r.Error != StatusNotFound {
		t.Fatal("checkpoint holds a later write")
	}
	if _, err := f.p.Checkpoint(dir); err == nil {
		t.Fatal("checkpoint into an existing directory succeeded")
	}
}

func TestClosedPartition(t *testing.T) {
	f := newFixture(t)
	f.put("h", "a", "1", 0)
	scan := f.p.GetScanner(t.Context(), hashScanRequest("h", 1))
	if err := f.p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := t.Context()
	if r := f.get("h", "a"); r.Error != StatusShutdownInProgress {
		t.Fatalf("get after close %+v", r)
	}
	if r := f.p.MultiGet(ctx, &rrdbMultiGetAll); r.Error != StatusShutdownInProgress {
		t.Fatalf("multi_get after close %+v", r)
	}
	if r := f.p.Scan(ctx, scanReq(scan.ContextID)); r.Error != StatusNotFound {
		t.Fatalf("scan after close %+v", r)
	}
	if _, err := f.p.Apply(&Mutation{Decree: 10}); !errors.Is(err, ErrClosed) {
		t.Fatalf("apply after close: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := f.p.Compact(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("compact with a cancelled ctx: %v", err)
	}
	f.open() // for the fixture's cleanup
}
