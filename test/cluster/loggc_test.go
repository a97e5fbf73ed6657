package cluster

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/test/testbox"
)

// TestQuietTableDoesNotHoldTheLog: a table that takes a few writes and goes
// quiet never fills a memtable, so its entries in the shared mutation log
// never become durable in storage on their own, and every later segment
// would stay with them. With the log bounded at 1 MiB (64 KiB segments),
// the replica servers flush the replicas holding the oldest segment and
// the log shrinks back under the bound after ~3 MiB of writes to another
// table whose memtables do not fill either. Later segments reuse the
// collected files, and everything written reads back after the whole box
// restarts.
func TestQuietTableDoesNotHoldTheLog(t *testing.T) {
	const bound = 1 << 20
	b := testbox.Loopback(t, serverBinary, "127.0.0.72")
	b.LogSegmentBytes = 64 << 10
	b.LogMaxBytes = bound
	testbox.Start(t, b, 90*time.Second, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	ac := admin.New(b.MetaServers())
	defer ac.Close()
	if _, err := ac.CreateTable(ctx, "quiet", 4, 3, nil, true); err != nil {
		t.Fatal(err)
	}
	_, quiet := openTable(t, b, "quiet")
	acked := map[string]map[string]string{"quiet": writeKeys(t, quiet, "q", 20)}

	// 3 MiB to temp: every server holds a replica of every partition, so
	// each logs all of it.
	_, temp := openTable(t, b, onebox.TableName)
	value := strings.Repeat("v", 1000)
	acked[onebox.TableName] = map[string]string{}
	for i := range 3000 {
		hk, v := fmt.Sprintf("t-%d", i), fmt.Sprintf("%d-%s", i, value)
		if err := temp.Set(ctx, []byte(hk), []byte("sk"), []byte(v)); err != nil {
			t.Fatalf("set %s: %v", hk, err)
		}
		acked[onebox.TableName][hk] = v
	}
	peak := map[string]float64{}
	for _, addr := range b.Replicas {
		s := series(t, addr)
		peak[addr], _ = sumOf(s, "pegasus_mlog_size_bytes")
		if got, _ := sumOf(s, "pegasus_mlog_max_bytes"); got != bound {
			t.Errorf("%s: pegasus_mlog_max_bytes %v, want the configured %d", addr, got, bound)
		}
	}

	// The log is collected every 10 s.
	deadline := time.Now().Add(60 * time.Second)
	for _, addr := range b.Replicas {
		for {
			size, _ := sumOf(series(t, addr), "pegasus_mlog_size_bytes")
			if size <= bound {
				t.Logf("%s: mutation log %.0f bytes after the writes, %.0f now (bound %d)", addr, peak[addr], size, bound)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: mutation log still %.0f bytes (%.0f after the writes), over its bound of %d", addr, size, peak[addr], bound)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	for addr, p := range peak {
		if p <= 2*bound {
			t.Errorf("%s: the log held only %.0f bytes after the writes; the test needs it well over the bound", addr, p)
		}
	}

	for _, addr := range b.Replicas {
		if kept, n := sumOf(series(t, addr), "pegasus_mlog_segment_files_kept"); n != 1 || kept == 0 {
			t.Errorf("%s: %v collected segment files kept for reuse (%d series) after the log shrank", addr, kept, n)
		}
	}

	// More writes: the new segments take the files GC kept (each still
	// holding its old records after the new ones).
	for i := range 1000 {
		hk, v := fmt.Sprintf("r-%d", i), fmt.Sprintf("%d-%s", i, value)
		if err := temp.Set(ctx, []byte(hk), []byte("sk"), []byte(v)); err != nil {
			t.Fatalf("set %s: %v", hk, err)
		}
		acked[onebox.TableName][hk] = v
	}
	for _, addr := range b.Replicas {
		if reused, _ := sumOf(series(t, addr), "pegasus_mlog_segment_files_reused_total"); reused == 0 {
			t.Errorf("%s: no log segment reused a collected file", addr)
		}
	}

	// kill -9 of every process: what the collected segments held must come
	// back from storage, the rest from the log (reused files included).
	for _, name := range b.Processes() {
		if err := b.Kill(name, syscall.SIGKILL, 15*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Start(ctx); err != nil {
		t.Fatalf("start the box again: %v", err)
	}
	checkKeys(t, quiet, acked["quiet"])
	checkKeys(t, temp, acked[onebox.TableName])
}
