package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/test/testbox"
)

// TestKillAllReplaysLargeLog: 12 MiB written to one partition stays in
// memtables (64 MiB) and the mutation log only; after kill -9 of every
// process each replica server replays it — in several batches — and every
// acknowledged write reads back, the last value of each key.
func TestKillAllReplaysLargeLog(t *testing.T) {
	b := testbox.Loopback(t, serverBinary, "127.0.0.73")
	testbox.Start(t, b, 90*time.Second, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	appID, err := ac.CreateTable(ctx, "replay", 1, 3, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	// Every replica a full member before the writes (not one still learning).
	if err := b.WaitTableServed(ctx, "replay"); err != nil {
		t.Fatal(err)
	}
	_, tb := openTable(t, b, "replay")

	const keys, rounds, workers = 4000, 3, 16
	pad := strings.Repeat("p", 1000)
	var mu sync.Mutex
	acked := map[string]string{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range rounds {
				for k := w; k < keys; k += workers {
					hk, v := fmt.Sprintf("r-%d", k), fmt.Sprintf("%d-%d-%s", k, round, pad)
					if err := tb.Set(ctx, []byte(hk), []byte("sk"), []byte(v)); err != nil {
						errs <- fmt.Errorf("set %s round %d: %w", hk, round, err)
						return
					}
					mu.Lock()
					acked[hk] = v
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	for _, name := range b.Processes() {
		if err := b.Kill(name, syscall.SIGKILL, 15*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Start(ctx); err != nil {
		t.Fatalf("start the box again: %v", err)
	}
	checkKeys(t, tb, acked)
	// Every replica server rebuilt its copy from the log (nothing was
	// flushed): its start-up says how many entries it replayed.
	replayed := regexp.MustCompile(`msg="replica: replayed mutation log".* gpid=` + strconv.Itoa(int(appID)) + `\.0 entries=(\d+)`)
	for _, addr := range b.Replicas {
		name, err := b.ProcessAt(addr)
		if err != nil {
			t.Fatal(err)
		}
		text, err := os.ReadFile(filepath.Join(b.Dir, name, "server.log"))
		if err != nil {
			t.Fatal(err)
		}
		m := replayed.FindAllSubmatch(text, -1)
		if len(m) == 0 {
			t.Fatalf("%s did not replay partition %d.0 from its log", name, appID)
		}
		most := 0
		for _, sub := range m {
			n, _ := strconv.Atoi(string(sub[1]))
			most = max(most, n)
		}
		if most < 100 {
			t.Fatalf("%s replayed at most %d entries of partition %d.0; want the ~12,000 writes' mutations", name, most, appID)
		}
	}
}
