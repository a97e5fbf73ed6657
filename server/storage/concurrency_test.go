package storage

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

// Reads, env updates and scanner sweeps run concurrently with the write
// loop; run with -race.
func TestConcurrentReadsAndWrites(t *testing.T) {
	f := newFixture(t)
	const writes = 300
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for i := 1; i <= writes; i++ {
			m := &Mutation{Decree: int64(i), TimestampUs: f.clock.Now().UnixMicro(),
				Writes: []Write{putW("h", fmt.Sprint(i%20), fmt.Sprint(i), 0), incrW("c", "n", 1, 0)}}
			if _, err := f.p.Apply(m); err != nil {
				t.Errorf("apply %d: %v", i, err) // not Fatal: this is not the test goroutine
				return
			}
		}
	}()
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := t.Context()
			for {
				select {
				case <-done:
					return
				default:
				}
				if r := f.p.MultiGet(ctx, &rrdb.MultiGetRequest{HashKey: blob("h")}); r.Error != 0 && r.Error != StatusIncomplete {
					t.Errorf("multi_get error %d", r.Error)
				}
				r := f.p.GetScanner(ctx, hashScanRequest("h", 3))
				if r.ContextID >= 0 {
					f.p.Scan(ctx, &rrdb.ScanRequest{ContextID: r.ContextID})
				}
				f.p.UpdateEnvs(map[string]string{EnvDefaultTTL: "0"})
				f.p.SweepScanners()
			}
		}()
	}
	wg.Wait()
	if g := f.get("c", "n"); string(g.Value.Bytes()) != fmt.Sprint(writes) {
		t.Fatalf("counter %q", g.Value.Bytes())
	}
}

// A scan reads the snapshot taken by GET_SCANNER: writes made between its
// batches are not seen.
func TestScannerSnapshot(t *testing.T) {
	f := newFixture(t)
	f.apply(multiPutW("h", 0, "1", "a", "3", "c", "5", "e"))
	ctx := t.Context()
	r := f.p.GetScanner(ctx, hashScanRequest("h", 1))
	f.apply(multiPutW("h", 0, "4", "d"), removeW("h", "5"))
	got := kvStrings(r.Kvs)
	for r.ContextID >= 0 {
		r = f.p.Scan(ctx, &rrdb.ScanRequest{ContextID: r.ContextID})
		got = append(got, kvStrings(r.Kvs)...)
	}
	if want := []string{fk("h", "1", "a"), fk("h", "3", "c"), fk("h", "5", "e")}; !slices.Equal(got, want) {
		t.Fatalf("scan saw %q", got)
	}
}
