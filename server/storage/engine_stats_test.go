package storage

import (
	"errors"
	"fmt"
	"testing"
)

// TestFlushAndEngineProperties: with the WAL off, Flush makes the applied
// decree durable and moves the memtable into SST files, as the figures
// show; a closed partition answers ErrClosed.
func TestFlushAndEngineProperties(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 50; i++ {
		f.put(fmt.Sprintf("h%d", i), "s", "value", 0)
	}
	before, err := f.p.EngineProperties()
	if err != nil {
		t.Fatal(err)
	}
	if durable, _ := f.p.LastFlushedDecree(); durable >= f.decree {
		t.Fatalf("durable %d before the flush, applied %d", durable, f.decree)
	}
	durable, err := f.p.Flush()
	if err != nil || durable != f.decree {
		t.Fatalf("Flush: durable %d, %v; want %d", durable, err, f.decree)
	}
	after, err := f.p.EngineProperties()
	if err != nil {
		t.Fatal(err)
	}
	if after.SSTBytes <= before.SSTBytes || after.MemtableBytes >= before.MemtableBytes {
		t.Fatalf("flush did not move data: before %+v after %+v", before, after)
	}
	if err := f.p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.p.EngineProperties(); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed: %v", err)
	}
	if _, err := f.p.Flush(); !errors.Is(err, ErrClosed) {
		t.Fatalf("flush closed: %v", err)
	}
}
