package duplication

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
)

var flushLogLine = regexp.MustCompile(`(\d+) bytes in (\d+) segments before, (\d+) bytes in (\d+) segments after`)

// flushLog runs the flush-log remote command on every replica server of
// box — memtables to SST files, then the mutation log collected at once —
// and returns each server's segment count after it.
func flushLog(t *testing.T, box *onebox.Box, servers []string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, addr := range servers {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		text, err := admin.RemoteCommand(ctx, addr, "flush-log", nil)
		cancel()
		if err != nil {
			t.Fatalf("flush-log on %s: %v", addr, err)
		}
		m := flushLogLine.FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("flush-log on %s answered:\n%s", addr, text)
		}
		n, _ := strconv.Atoi(m[4])
		out[addr] = n
	}
	return out
}

// Small log segments (64 KiB) and a paused duplication: the replica
// servers keep every segment the duplication has not shipped, even when
// asked to collect the log after flushing storage; once the duplication
// is removed, the same request collects them.
func TestLogRetainedWhilePausedCollectedAfterRemove(t *testing.T) {
	const segment = 64 << 10
	p := startPair(t, hostLogGC, segment)
	const table, partitions = "dupgc", 4
	createTable(t, p.a, p.ac, table, partitions)
	src := openTable(t, p.a, table)
	dupid := addDup(t, p.a, table, onebox.SecondName, false)
	followerTable(t, p.b, table)
	waitStarted(t, p, p.a, table, dupid, partitions)
	if out := shell(t, p.a, fmt.Sprintf("pause_dup %s %d", table, dupid)); !strings.Contains(out, "succeed") {
		t.Fatalf("pause_dup:\n%s", out)
	}
	waitFor(t, 30*time.Second, "the pause to reach the primaries", func() (bool, string) {
		st, _ := dupProgress(t, p.ac, table, dupid)
		return st == admintypes.DuplicationStatus_DS_PAUSE, st.String()
	})

	// About 2.5 MiB of writes: some 40 segments on every replica server.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	value := []byte(strings.Repeat("v", 1000))
	const writes = 2500
	for i := range writes {
		if err := src.Set(ctx, []byte(fmt.Sprintf("h%03d", i%100)), []byte(strconv.Itoa(i)), value); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	servers := p.a.Replicas
	retained := flushLog(t, p.a, servers)
	for addr, n := range retained {
		// Every server holds a replica of every partition (3 replicas on 3
		// servers), so every server logged all the writes.
		if n < 20 {
			t.Errorf("%s kept %d log segments under a paused duplication; want the ~40 written", addr, n)
		}
	}
	t.Logf("segments kept while paused: %v", retained)

	if out := shell(t, p.a, fmt.Sprintf("remove_dup %s %d", table, dupid)); !strings.Contains(out, "succeed") {
		t.Fatalf("remove_dup:\n%s", out)
	}
	var collected map[string]int
	waitFor(t, 60*time.Second, "the log to be collected after remove_dup", func() (bool, string) {
		collected = flushLog(t, p.a, servers)
		for _, n := range collected {
			if n > 3 {
				return false, fmt.Sprint(collected)
			}
		}
		return true, ""
	})
	t.Logf("segments after remove: %v", collected)
	// The removed duplication is gone from query_dup.
	if q := queryDup(t, p.a, table); len(q.Duplications) != 0 && q.Duplications[0].Status != "DS_REMOVED" {
		t.Errorf("query_dup after remove: %+v", q)
	}
}
