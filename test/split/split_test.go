package split

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/shell"
	"github.com/pegasus-go/pegasus/test/testbox"
	"github.com/pegasus-go/pegasus/thrift/base"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// checkFinalConfig requires table to have count partitions, every one with
// a primary and a ballot >= 0 (no child left unregistered).
func checkFinalConfig(t *testing.T, c *admin.Client, table string, count int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg, err := c.QueryConfig(ctx, table)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PartitionCount != count || len(cfg.Partitions) != int(count) {
		t.Fatalf("%s has %d partitions (%d listed), want %d", table, cfg.PartitionCount, len(cfg.Partitions), count)
	}
	for _, pc := range cfg.Partitions {
		if pc.Ballot < 0 {
			t.Fatalf("%s partition %d still has ballot %d", table, pc.Pid.PartitionIndex, pc.Ballot)
		}
	}
}

// TestSplitUnderLoad splits a table 8 -> 16 -> 32 while a checked load
// writes and reads: no acknowledged write is lost, no read is wrong, no
// operation fails (errors only as retries inside their deadlines), and
// count_data equals the rows before plus the load's keys.
func TestSplitUnderLoad(t *testing.T) {
	b := startBox(t, hostLoad)
	c := adminClient(t, b)
	const table = "split"
	createTable(t, c, table, 8)
	tb := openTable(t, b, table)
	prefill(t, tb, 3000, 100)
	before := countData(t, tb)
	if before != 3000 {
		t.Fatalf("count_data after the prefill: %d, want 3000", before)
	}
	l := startLoad(t, b, table, 300, 8*time.Minute)
	l.WaitAcked(t, 300, time.Minute) // the load runs before the split
	d16 := split(t, c, table, 16, 4*time.Minute)
	checkFinalConfig(t, c, table, 16)
	d32 := split(t, c, table, 32, 4*time.Minute)
	checkFinalConfig(t, c, table, 32)
	l.WaitAcked(t, 300, time.Minute) // and after it, on 32 partitions
	l.Finish(t)
	t.Logf("split 8->16 took %v, 16->32 took %v", d16.Round(time.Millisecond), d32.Round(time.Millisecond))

	checkCounts(t, openTable(t, b, table), before)
	// The old client (routes cached at 8 partitions) reads every prefilled
	// record through the splits' refreshes.
	for i := 0; i < 3000; i += 37 {
		v, err := tb.Get(t.Context(), []byte(fmt.Sprintf("pre-%d", i)), []byte("s"))
		if err != nil || !bytes.HasPrefix(v, []byte(fmt.Sprintf("value-%d-", i))) {
			t.Fatalf("pre-%d through the old client: %.20q, %v", i, v, err)
		}
	}
}

// TestFullScanAcrossProcessSplit starts a full scan before a split, reads
// part of it, lets the split finish, and reads the rest: every record
// exactly once.
func TestFullScanAcrossProcessSplit(t *testing.T) {
	b := startBox(t, hostScan)
	c := adminClient(t, b)
	const table = "scan"
	createTable(t, c, table, 4)
	tb := openTable(t, b, table)
	prefill(t, tb, 2000, 10)
	ctx := t.Context()
	o := clientScanOptions(50)
	scanners, err := tb.GetUnorderedScanners(ctx, 2, o)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	next := func(i int) bool {
		done, hk, _, _, err := scanners[i].Next(ctx)
		if err != nil {
			t.Fatalf("scanner %d after %d records: %v", i, len(got), err)
		}
		if !done {
			got = append(got, string(hk))
		}
		return !done
	}
	for range 300 {
		next(0)
		next(1)
	}
	split(t, c, table, 8, 3*time.Minute)
	for next(0) {
	}
	for next(1) {
	}
	slices.Sort(got)
	if n := len(slices.Compact(slices.Clone(got))); n != 2000 || len(got) != 2000 {
		t.Fatalf("the scan across the split returned %d records, %d distinct; want 2000 once each", len(got), n)
	}
}

// victimOf names the onebox process serving partition pidx's primary.
func victimOf(t *testing.T, b *onebox.Box, c *admin.Client, table string, pidx int) string {
	t.Helper()
	_, parts, err := c.TablePartitions(t.Context(), table)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range b.Replicas {
		if a == parts[pidx].Primary {
			return fmt.Sprintf("replica%d", i+1)
		}
	}
	t.Fatalf("primary %q of partition %d is none of %v", parts[pidx].Primary, pidx, b.Replicas)
	return ""
}

// TestSplitSurvivesPrimaryKill kills -9 the server holding parent 0's
// primary right after a split starts: the split completes (or, if it
// cannot, is canceled), and the checked load loses nothing.
func TestSplitSurvivesPrimaryKill(t *testing.T) {
	b := startBox(t, hostKill)
	c := adminClient(t, b)
	const table = "kill"
	createTable(t, c, table, 8)
	tb := openTable(t, b, table)
	prefill(t, tb, 3000, 100)
	before := countData(t, tb)
	l := startLoad(t, b, table, 200, 8*time.Minute)
	// Writes to the killed server's primaries time out until the meta's
	// failure detector moves them: those failures are the kill's, not the
	// split's.
	l.FailuresExpected = true
	l.WaitAcked(t, 100, time.Minute)
	victim := victimOf(t, b, c, table, 0)

	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	if err := c.StartPartitionSplit(ctx, table, 16); err != nil {
		t.Fatal(err)
	}
	// Mid-split: kill once parent 0's primary has created its child (the
	// child of 0 in 8 -> 16 is partition 8, in the server's replica dir).
	appID, _, err := c.TablePartitions(ctx, table)
	if err != nil {
		t.Fatal(err)
	}
	childDir := filepath.Join(b.Dir, victim, "data", "reps", fmt.Sprintf("%d.8.pegasus", appID))
	testbox.WaitFor(t, time.Minute, 20*time.Millisecond, "parent 0's primary creates its child", func() (bool, string) {
		_, err := os.Stat(childDir)
		return err == nil, fmt.Sprint(err)
	})
	if err := b.Kill(victim, syscall.SIGKILL, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed %s (primary of parent 0)", victim)
	time.Sleep(5 * time.Second) // down for a while before it comes back
	if err := b.Launch(ctx, victim); err != nil {
		t.Fatalf("relaunch %s: %v", victim, err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 3*time.Minute)
	outcome, err := c.WaitPartitionSplit(wctx, table, 16, 300*time.Millisecond, nil)
	wcancel()
	switch {
	case err == nil && outcome == admin.SplitFinished:
		t.Logf("the split completed across the kill")
		checkFinalConfig(t, c, table, 16)
	case err != nil:
		t.Logf("the split did not finish within 3m after the kill (%v); canceling it", err)
		if cerr := c.ControlPartitionSplit(ctx, table, admin.SplitCancel, admin.AllParents, 8); cerr != nil {
			t.Fatalf("the split neither completed nor could be canceled: %v", cerr)
		}
		waitSplit(t, ctx, c, table, 16, admin.SplitCanceled)
		checkFinalConfig(t, c, table, 8)
	default:
		t.Fatalf("split outcome %s without a cancel", outcome)
	}
	l.Finish(t)
	checkCounts(t, openTable(t, b, table), before)
}

// shellRunner runs pegasus-shell command lines in process against b.
func shellRunner(t *testing.T, b *onebox.Box) func(line string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	s, err := shell.NewSession(shell.Options{Cluster: strings.Join(b.MetaServers(), ","), Stdout: &out, Stderr: &errb})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return func(line string) (int, string, string) {
		out.Reset()
		errb.Reset()
		code := s.Exec(t.Context(), line)
		t.Logf("> %s\n%s%s[exit %d]", line, out.String(), errb.String(), code)
		return code, out.String(), errb.String()
	}
}

// TestSplitPauseRestartCancel drives a live, loaded table through the
// shell: pause every parent right after a start, see them PAUSED, restart,
// let the split finish; then start another split and cancel it at once:
// the table is back at its count and nothing is lost.
func TestSplitPauseRestartCancel(t *testing.T) {
	b := startBox(t, hostControl)
	c := adminClient(t, b)
	const table = "ctl"
	createTable(t, c, table, 8)
	tb := openTable(t, b, table)
	prefill(t, tb, 2000, 100)
	before := countData(t, tb)
	l := startLoad(t, b, table, 200, 8*time.Minute)
	run := shellRunner(t, b)

	if code, _, _ := run("start_partition_split " + table + " 16"); code != shell.ExitOK {
		t.Fatal("start failed")
	}
	code, out, _ := run("partition-split pause -a " + table + " --wait")
	if code != shell.ExitOK || !strings.Contains(out, "paused (every parent)") {
		t.Fatalf("pause: exit %d", code)
	}
	ctx := t.Context()
	st, err := c.QueryPartitionSplit(ctx, table)
	if errors.Is(err, admin.ErrNotSplitting) {
		t.Fatalf("every child registered before the pause took hold; the pause was not exercised")
	}
	if err != nil {
		t.Fatal(err)
	}
	for p, s := range st.Parents {
		if s != admintypes.SplitStatus_PAUSED {
			t.Fatalf("parent %d is %s after the pause", p, s)
		}
	}
	paused := len(st.Parents)
	if code, out, _ := run("query_partition_split " + table); code != shell.ExitOK || strings.Count(out, "PAUSED") != paused {
		t.Fatalf("query after the pause: exit %d", code)
	}
	// Paused, the table still serves: the checked load goes on.
	l.WaitAcked(t, 200, time.Minute)
	if code, _, _ := run("restart_partition_split " + table); code != shell.ExitOK {
		t.Fatal("restart failed")
	}
	wctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	waitSplit(t, wctx, c, table, 16, admin.SplitFinished)
	cancel()
	checkFinalConfig(t, c, table, 16)

	// A cancel right after the start, before any child registered.
	if code, _, _ := run("partition-split start -a " + table + " -p 32"); code != shell.ExitOK {
		t.Fatal("second start failed")
	}
	code, out, errs := run("cancel_partition_split " + table + " --wait --wait_timeout 240")
	if code != shell.ExitOK || !strings.Contains(out, "back at 16 partitions") {
		t.Fatalf("cancel: exit %d: %s%s", code, out, errs)
	}
	checkFinalConfig(t, c, table, 16)
	if code, _, errs := run("query_partition_split " + table); code != shell.ExitFailed || !strings.Contains(errs, "not splitting") {
		t.Fatalf("query after the cancel: exit %d, %q", code, errs)
	}
	l.Finish(t)
	checkCounts(t, openTable(t, b, table), before)
	after := countData(t, openTable(t, b, table))
	// And the canceled table splits again.
	split(t, c, table, 32, 4*time.Minute)
	checkFinalConfig(t, c, table, 32)
	if n := countData(t, openTable(t, b, table)); n != after {
		t.Fatalf("count_data after the last split: %d, want %d", n, after)
	}
}

// TestSplitCancelRefusedAfterRegistration keeps one parent paused while
// the others register, then asks for a cancel: refused with
// ERR_CHILD_REGISTERED and a hint, through the admin call and the shell.
func TestSplitCancelRefusedAfterRegistration(t *testing.T) {
	b := startBox(t, hostRefused)
	c := adminClient(t, b)
	const table = "refused"
	createTable(t, c, table, 8)
	tb := openTable(t, b, table)
	prefill(t, tb, 1000, 100)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	if err := c.StartPartitionSplit(ctx, table, 16); err != nil {
		t.Fatal(err)
	}
	// Pause one parent still pending (retrying on another if it registers
	// first).
	held := int32(-1)
	for held < 0 {
		st, err := c.QueryPartitionSplit(ctx, table)
		if err != nil {
			t.Fatalf("query: %v (every parent registered before one could be paused?)", err)
		}
		pending := st.Pending()
		p := pending[len(pending)-1]
		if err := c.ControlPartitionSplit(ctx, table, admin.SplitPause, p, 8); err == nil {
			held = p
		}
	}
	// Wait until some child registered while parent `held` stays paused.
	var st admin.SplitState
	for {
		var err error
		st, err = c.QueryPartitionSplit(ctx, table)
		if err != nil {
			t.Fatalf("query: %v", err)
		}
		if len(st.Parents) < 8 {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("no child registered")
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%d/8 children registered, parent %d held", 8-len(st.Parents), held)
	err := c.ControlPartitionSplit(ctx, table, admin.SplitCancel, admin.AllParents, 8)
	var oe *admin.OpError
	if !errors.As(err, &oe) || oe.Errno != base.ERR_CHILD_REGISTERED || oe.Hint == "" {
		t.Fatalf("cancel after a registration: %v, want ERR_CHILD_REGISTERED with a hint", err)
	}
	run := shellRunner(t, b)
	code, _, errs := run("partition-split cancel -a " + table)
	if code != shell.ExitFailed || !strings.Contains(errs, "ERR_CHILD_REGISTERED") {
		t.Fatalf("shell cancel: exit %d, %q", code, errs)
	}
	// The refused cancel changed nothing: restart the held parent, finish.
	if code, _, _ := run(fmt.Sprintf("restart_partition_split %s %d", table, held)); code != shell.ExitOK {
		t.Fatal("restart failed")
	}
	waitSplit(t, ctx, c, table, 16, admin.SplitFinished)
	checkFinalConfig(t, c, table, 16)
	if n := countData(t, openTable(t, b, table)); n != 1000 {
		t.Fatalf("count_data after the split: %d, want 1000", n)
	}
}
