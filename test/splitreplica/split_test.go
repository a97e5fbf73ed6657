// Package splitreplica is the process-level test of the replica servers'
// side of online partition split (issue 11): a real onebox (one meta
// server, three replica servers, pegasus-server processes) on 127.0.0.91
// doubles table temp's partitions while a writer keeps writing; every
// acknowledged write is read back afterwards through the refreshed
// routing, and a full scan sees every record exactly once.
//
// It uses loopback addresses 127.0.0.91–127.0.0.94 only (test/split, the
// tools' suite, has 127.0.0.90 and .95–.99).
package splitreplica

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/test/testbox"
)

var serverBinary string

func TestMain(m *testing.M) {
	testbox.Main(m, []string{"pegasus-server"}, []*string{&serverBinary})
}

// Bounds of the load loops.
const (
	preloadKeys   = 2000
	maxLiveWrites = 20000
)

func TestSplitUnderWrites(t *testing.T) {
	b := testbox.Loopback(t, serverBinary, "127.0.0.91")
	testbox.Start(t, b, 90*time.Second, nil)
	tb := testbox.OpenTable(t, b, "temp")
	adm := admin.New(b.MetaServers())
	t.Cleanup(func() { adm.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cfg, err := adm.QueryConfig(ctx, "temp")
	if err != nil {
		t.Fatal(err)
	}
	oldCount := cfg.PartitionCount
	acked := map[string]string{}
	for i := range preloadKeys {
		hk, v := fmt.Sprintf("pre-%d", i), fmt.Sprintf("v%d", i)
		if err := tb.Set(ctx, []byte(hk), []byte("s"), []byte(v)); err != nil {
			t.Fatalf("preload %s: %v", hk, err)
		}
		acked[hk] = v
	}

	// A writer keeps writing new keys during the split; it records what was
	// acknowledged. Failed writes (deadline inside a pause) are retried
	// with the same value, so each key's value is known either way.
	stop := make(chan struct{})
	type result struct {
		acked  map[string]string
		failed int
	}
	done := make(chan result, 1)
	go func() {
		res := result{acked: map[string]string{}}
		for i := 0; i < maxLiveWrites; i++ {
			select {
			case <-stop:
				done <- res
				return
			default:
			}
			hk, v := fmt.Sprintf("live-%d", i), fmt.Sprintf("w%d", i)
			wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
			err := tb.Set(wctx, []byte(hk), []byte("s"), []byte(v))
			wcancel()
			if err != nil {
				res.failed++
				continue
			}
			res.acked[hk] = v
		}
		done <- res
	}()

	start := time.Now()
	if err := adm.StartPartitionSplit(ctx, "temp", 2*oldCount); err != nil {
		close(stop)
		<-done
		t.Fatalf("start split: %v", err)
	}
	outcome, err := adm.WaitPartitionSplit(ctx, "temp", 2*oldCount, 500*time.Millisecond, nil)
	took := time.Since(start)
	close(stop)
	live := <-done
	if err != nil {
		t.Fatalf("wait for the split: %v", err)
	}
	if outcome != admin.SplitFinished {
		t.Fatalf("split outcome %s", outcome)
	}
	t.Logf("split %d -> %d took %v with %d live writes acknowledged, %d failed", oldCount, 2*oldCount, took, len(live.acked), live.failed)
	if live.failed > 0 {
		t.Errorf("%d writes failed during the split (retries must stay inside the client's deadline)", live.failed)
	}
	for k, v := range live.acked {
		acked[k] = v
	}

	// Every acknowledged write reads back (the client refreshes its
	// routing on ERR_PARENT_PARTITION_MISUSED).
	for hk, v := range acked {
		got, err := tb.Get(ctx, []byte(hk), []byte("s"))
		if err != nil || string(got) != v {
			t.Fatalf("read %s after split: %q, %v; want %q", hk, got, err, v)
		}
	}
	// A full scan sees each record exactly once.
	seen := map[string]int{}
	scanners, err := tb.GetUnorderedScanners(ctx, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scanners {
		for n := 0; n < 10*len(acked); n++ {
			completed, hk, _, _, err := s.Next(ctx)
			if err != nil {
				t.Fatalf("scan: %v", err)
			}
			if completed {
				break
			}
			seen[string(hk)]++
		}
		s.Close()
	}
	for hk := range acked {
		if seen[hk] != 1 {
			t.Errorf("full scan saw %s %d times", hk, seen[hk])
		}
	}
	if len(seen) != len(acked) {
		t.Errorf("full scan saw %d hash keys, %d written", len(seen), len(acked))
	}
	logPauses(t, b.Dir, len(b.Replicas))
}

// logPauses logs the registration pauses the replica servers recorded.
func logPauses(t *testing.T, dir string, replicas int) {
	t.Helper()
	var pauses []string
	for i := 1; i <= replicas; i++ {
		raw, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("replica%d", i), "server.log"))
		if err != nil {
			t.Errorf("read replica%d log: %v", i, err)
			continue
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if i := strings.Index(line, " pause="); i >= 0 && strings.Contains(line, "split child registered") {
				t.Log(line[i:])
				pauses = append(pauses, strings.Fields(line[i+1:])[0])
			}
		}
	}
	t.Logf("registration pauses: %s", strings.Join(pauses, " "))
}
