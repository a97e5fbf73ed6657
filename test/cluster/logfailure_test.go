package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/test/testbox"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// TestFailedLogTakesTheServerOut: a replica server whose mutation log
// fails (here: its preallocated next segment vanishes, as when a second
// server on the same directory removed it) can take no write. It stops
// beaconing, the meta server declares it dead within lease + grace, and
// the table takes writes on every partition again from the other two.
func TestFailedLogTakesTheServerOut(t *testing.T) {
	b := testbox.Loopback(t, serverBinary, "127.0.0.74")
	b.LogSegmentBytes = 64 << 10
	testbox.Start(t, b, 90*time.Second, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	_, tb := openTable(t, b, onebox.TableName)

	// Load, so that the logs roll every few dozen writes.
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	value := []byte(strings.Repeat("v", 1000))
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; loadCtx.Err() == nil && i < 1_000_000; i++ {
				opCtx, c := context.WithTimeout(loadCtx, 2*time.Second)
				_ = tb.Set(opCtx, []byte(fmt.Sprintf("load-%d-%d", w, i%500)), nil, value) // failures expected meanwhile
				c()
			}
		}()
	}
	defer func() { stopLoad(); wg.Wait() }()

	victim := b.Replicas[2]
	name, err := b.ProcessAt(victim)
	if err != nil {
		t.Fatal(err)
	}
	logDir := filepath.Join(b.Dir, name, "data", "slog")
	serverLog := filepath.Join(b.Dir, name, "server.log")
	failed := func() bool {
		text, _ := os.ReadFile(serverLog)
		return bytes.Contains(text, []byte("entering error state")) && bytes.Contains(text, []byte("mlog: write"))
	}
	for deadline := time.Now().Add(60 * time.Second); !failed(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s's log did not fail in 60 s of removing its next segment under load", name)
		}
		// The next segment's file: zero-filled, or a collected one kept.
		next, _ := filepath.Glob(filepath.Join(logDir, "recycle.*"))
		for _, p := range append(next, filepath.Join(logDir, "spare.tmp")) {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Millisecond)
	}
	failedAt := time.Now()

	bound := 30 * time.Second // lease 8 s + grace 10 s + margin
	for {
		nodes, err := ac.ListNodes(ctx, admintypes.NodeStatus_NS_ALIVE)
		if err == nil && len(nodes) == 2 && !containsNode(nodes, victim) {
			break
		}
		if time.Since(failedAt) > bound {
			t.Fatalf("%s still counted alive %v after its log failed (alive: %v, %v)", victim, bound, nodes, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%s declared dead %v after its log failed", victim, time.Since(failedAt).Round(time.Millisecond))
	stopLoad()
	wg.Wait()

	// Every partition takes writes again, and they read back.
	checkKeys(t, tb, writeKeys(t, tb, "after", 200))
}

func containsNode(nodes []*admintypes.NodeInfo, addr string) bool {
	for _, n := range nodes {
		if n.GetHpNode().String() == addr || n.GetNode().String() == addr {
			return true
		}
	}
	return false
}
