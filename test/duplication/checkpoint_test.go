package duplication

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/client"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// followerTable waits until the duplication created table on the
// follower box and every partition of it is served, then opens it.
func followerTable(t *testing.T, box *onebox.Box, table string) *client.Table {
	t.Helper()
	waitFor(t, 90*time.Second, "the follower table "+table+" on "+box.ClusterName, func() (bool, string) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		if err := box.WaitTable(ctx, table); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
	return openTable(t, box, table)
}

// A table written under load gets a duplication with a checkpoint while
// the load runs: once the load stops, the follower table on B equals the
// source on A — every key, value and TTL, the rows written before the
// duplication (shipped by the checkpoint) and after it (shipped from the
// log) alike — and every partition's confirmed decree reaches its last
// committed one.
func TestCheckpointThenLog(t *testing.T) {
	p := startPair(t, hostCheckpoint, 0)
	const table, partitions = "dupcp", 4
	createTable(t, p.a, p.ac, table, partitions)
	src := openTable(t, p.a, table)

	ld := &load{prefix: "cp", hashKeys: 40, max: 3000, limit: 2 * time.Minute, pause: 3 * time.Millisecond}
	ld.start(src)
	t.Cleanup(ld.stop)
	waitFor(t, 30*time.Second, "500 writes before the duplication", func() (bool, string) {
		ok, failed := ld.counts()
		return ok >= 500, "ok/failed " + strconv.Itoa(ok) + "/" + strconv.Itoa(failed)
	})

	dupid := addDup(t, p.a, table, onebox.SecondName, true)
	// Adding it again is refused as existing, with a warning, exit 0.
	if out := shell(t, p.a, "add_dup "+table+" "+onebox.SecondName+" -s"); !strings.Contains(out, "WARNING: duplication has been existing") {
		t.Errorf("second add_dup:\n%s", out)
	}
	// A duplication to itself or to an unknown cluster is refused.
	if out, err := shellRun(p.a, "add_dup "+table+" "+onebox.DefaultName); err == nil {
		t.Errorf("add_dup to the source cluster itself succeeded:\n%s", out)
	}
	if out, err := shellRun(p.a, "add_dup "+table+" nowhere"); err == nil || !strings.Contains(out, "ERR_CLUSTER_NOT_FOUND") {
		t.Errorf("add_dup to an unknown cluster: %v\n%s", err, out)
	}

	dst := followerTable(t, p.b, table)
	waitFor(t, 2*time.Minute, "the load to finish", func() (bool, string) {
		ok, failed := ld.counts()
		return ok+failed >= ld.max, "ok/failed " + strconv.Itoa(ok) + "/" + strconv.Itoa(failed)
	})
	ld.stop()
	if ok, failed := ld.counts(); failed > 0 {
		t.Errorf("%d of %d writes failed on a healthy cluster", failed, ok+failed)
	}

	rows := waitEqual(t, 90*time.Second, src, dst)
	if rows < 1000 {
		t.Fatalf("only %d rows compared", rows)
	}
	waitFor(t, 30*time.Second, "every partition confirmed", func() (bool, string) {
		st, prog := dupProgress(t, p.ac, table, dupid)
		return st == admintypes.DuplicationStatus_DS_LOG && prog.caughtUp(partitions), st.String() + " " + prog.String()
	})
	// The shell shows the same duplication, in DS_LOG, with no gap left.
	q := queryDup(t, p.a, table)
	if len(q.Duplications) != 1 || q.Duplications[0].DupID != dupid || q.Duplications[0].Status != "DS_LOG" ||
		q.Duplications[0].Remote != onebox.SecondName || len(q.Duplications[0].Partitions) != partitions {
		t.Fatalf("query_dup: %+v", q)
	}
	for _, part := range q.Duplications[0].Partitions {
		if part.Gap != 0 || part.Confirmed <= 0 {
			t.Errorf("query_dup partition %d: confirmed %d, last committed %d", part.Partition, part.Confirmed, part.LastCommitted)
		}
	}
	t.Logf("query_dup:\n%s", shell(t, p.a, "query_dup "+table))
	if out := shell(t, p.a, "dups -p"); !strings.Contains(out, "duplication_count_by_status(DS_LOG)") || !strings.Contains(out, table) {
		t.Errorf("dups -p:\n%s", out)
	} else {
		t.Logf("dups -p:\n%s", out)
	}
	t.Logf("%d rows equal on both clusters", rows)
}
