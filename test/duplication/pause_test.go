package duplication

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin/onebox"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// monotonic remembers the highest confirmed decree seen per partition and
// fails the test if one goes back: a duplication never forgets progress
// the follower acknowledged, across pauses and failovers.
type monotonic map[int32]int64

func (m monotonic) observe(t *testing.T, pr progress) {
	t.Helper()
	for pidx, q := range pr {
		if seen, ok := m[pidx]; ok && q.Confirmed < seen {
			t.Fatalf("partition %d: confirmed decree went back from %d to %d", pidx, seen, q.Confirmed)
		}
		m[pidx] = q.Confirmed
	}
}

// A duplication paused for a minute under load ships nothing meanwhile
// and loses nothing: started again, it drains the backlog. Then the
// primary of a partition on the source is killed with SIGKILL in the
// middle of shipping: the new primary goes on from the confirmed progress
// (which never goes back), and once the load stops the follower equals
// the source.
func TestPauseResumeAndPrimaryKill(t *testing.T) {
	p := startPair(t, hostPause, 0)
	const table, partitions = "duppf", 4
	createTable(t, p.a, p.ac, table, partitions)
	src := openTable(t, p.a, table)
	dupid := addDup(t, p.a, table, onebox.SecondName, true)
	dst := followerTable(t, p.b, table)
	seen := monotonic{}
	status := func() (admintypes.DuplicationStatus, progress) {
		st, pr := dupProgress(t, p.ac, table, dupid)
		seen.observe(t, pr)
		return st, pr
	}
	waitFor(t, 60*time.Second, "the (empty) checkpoint to finish", func() (bool, string) {
		st, pr := status()
		return st == admintypes.DuplicationStatus_DS_LOG, st.String() + " " + pr.String()
	})

	ld := &load{prefix: "pf", hashKeys: 50, max: 40000, limit: 4 * time.Minute, pause: 10 * time.Millisecond}
	ld.start(src)
	t.Cleanup(ld.stop)
	waitWrites := func(n int, what string) {
		t.Helper()
		base, _ := ld.counts()
		waitFor(t, 60*time.Second, what, func() (bool, string) {
			ok, failed := ld.counts()
			status()
			return ok >= base+n, fmt.Sprintf("ok %d, failed %d", ok, failed)
		})
	}
	waitWrites(300, "writes before the pause")

	cmd := fmt.Sprintf("pause_dup %s %d", table, dupid)
	if out := shell(t, p.a, cmd); !strings.Contains(out, fmt.Sprintf("pausing duplication(%d) for app %s succeed", dupid, table)) {
		t.Fatalf("%s:\n%s", cmd, out)
	}
	pausedAt := time.Now()
	// A batch already on its way may still land; after a few progress
	// reports nothing moves any more.
	sleep(t, 3*time.Second)
	st, before := status()
	if st != admintypes.DuplicationStatus_DS_PAUSE {
		t.Fatalf("status %s after pause_dup", st)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	rowsBefore, err := scanAll(ctx, dst)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	sleep(t, time.Minute-time.Since(pausedAt))
	_, after := status()
	ctx, cancel = context.WithTimeout(t.Context(), 30*time.Second)
	rowsAfter, err := scanAll(ctx, dst)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	var grown bool
	for pidx, q := range after {
		if q.Confirmed != before[pidx].Confirmed {
			t.Errorf("partition %d confirmed %d -> %d while paused", pidx, before[pidx].Confirmed, q.Confirmed)
		}
		grown = grown || q.LastCommitted > before[pidx].LastCommitted
	}
	if !grown || len(rowsAfter) != len(rowsBefore) {
		t.Fatalf("paused minute: source committed more: %v; follower rows %d -> %d (want unchanged)", grown, len(rowsBefore), len(rowsAfter))
	}

	cmd = fmt.Sprintf("start_dup %s %d", table, dupid)
	if out := shell(t, p.a, cmd); !strings.Contains(out, fmt.Sprintf("starting duplication(%d) for app %s succeed", dupid, table)) {
		t.Fatalf("%s:\n%s", cmd, out)
	}
	// The backlog drains while the load goes on: every partition confirms
	// at least what it had committed by the end of the pause.
	waitFor(t, 90*time.Second, "the backlog of the pause to drain", func() (bool, string) {
		st, pr := status()
		for pidx, q := range pr {
			if q.Confirmed < after[pidx].LastCommitted {
				return false, st.String() + " " + pr.String()
			}
		}
		return st == admintypes.DuplicationStatus_DS_LOG, st.String()
	})

	// Kill the primary of partition 0 on A mid-shipping.
	ctx, cancel = context.WithTimeout(t.Context(), 10*time.Second)
	cfg, err := p.ac.QueryConfig(ctx, table)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	primary := cfg.Partitions[0].Primary.String()
	victim, err := p.a.ProcessAt(primary)
	if err != nil {
		t.Fatal(err)
	}
	_, beforeKill := status()
	if err := p.a.Kill(victim, syscall.SIGKILL, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed %s (%s), primary of partition 0; progress was %s", victim, primary, beforeKill)
	waitWrites(500, "writes to go on after the failover")
	waitFor(t, 60*time.Second, "partition 0 to ship again from a new primary", func() (bool, string) {
		_, pr := status()
		return pr[0].Confirmed > beforeKill[0].LastCommitted, pr.String()
	})
	ld.stop()
	ok, failed := ld.counts()

	rows := waitEqual(t, 2*time.Minute, src, dst)
	waitFor(t, 30*time.Second, "every partition confirmed", func() (bool, string) {
		st, pr := status()
		return pr.caughtUp(partitions), st.String() + " " + pr.String()
	})
	t.Logf("%d writes (%d failed during the failover), %d rows equal on both clusters", ok, failed, rows)
}

// sleep waits d unless the test ends first.
func sleep(t *testing.T, d time.Duration) {
	t.Helper()
	if d <= 0 {
		return
	}
	select {
	case <-t.Context().Done():
		t.Fatal(t.Context().Err())
	case <-time.After(d):
	}
}
