package replication

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/test/testbox"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// TestPrimaryBackBeforeGrace cuts a primary off from the meta server until
// its server has given up its lease, then heals the link before the meta
// server's grace period ends (16 s here, against a lease of 8 s, so that
// there is room between the two). While its lease is out the server must
// refuse reads. The meta server never declared it dead, so no other
// replica took over: once its beacons are answered again it must take its
// partitions back and serve them, within a bound, under the same ballot,
// with the record and every acknowledged write of the load intact.
func TestPrimaryBackBeforeGrace(t *testing.T) {
	c := startCutOff(t, "back", 16*time.Second)
	before := partitionConfig(t, c.ac, c.pidx)
	logPath := filepath.Join(c.box.Dir, "replica1", "server.log")
	expiredBefore := countLines(t, logPath, leaseExpiredLog)
	cut := time.Now()
	heal := c.cut(t, c.net.Cut, c.net.Heal)

	// The read path's own deadline refuses reads first; the lease loop
	// then marks every replica inactive (a check interval later at most).
	refuseBy := cut.Add(c.tm.lease + c.tm.beacon + 10*time.Second)
	for {
		callCtx, callCancel := context.WithTimeout(context.Background(), 5*time.Second)
		got, code, err := c.at.get(callCtx)
		callCancel()
		var refusal *rpc.RemoteError
		if errors.As(err, &refusal) {
			break
		}
		switch {
		case err != nil:
			t.Fatalf("read at the cut-off %s: %v (want a value or a refusal)", c.victim, err)
		case code != 0 || got != "old":
			t.Fatalf("the cut-off %s read %q (storage error %d), want \"old\"", c.victim, got, code)
		case time.Now().After(refuseBy):
			t.Fatalf("%s still serves reads %v after it lost the meta server (lease %v)", c.victim, time.Since(cut), c.tm.lease)
		}
		time.Sleep(100 * time.Millisecond)
	}
	refused := time.Since(cut)
	testbox.WaitFor(t, c.tm.lease+c.tm.beacon+10*time.Second, 50*time.Millisecond, c.victim+" gives up its lease", func() (bool, string) {
		n := countLines(t, logPath, leaseExpiredLog)
		return n > expiredBefore, fmt.Sprintf("%d lines %q in %s", n, leaseExpiredLog, logPath)
	})
	gaveUp := time.Since(cut)
	if after := partitionConfig(t, c.ac, c.pidx); after.Primary != before.Primary || after.Ballot != before.Ballot {
		t.Fatalf("partition %d moved before its grace period ended (%v after the cut): primary %s ballot %d, before %s ballot %d",
			c.pidx, gaveUp, after.Primary, after.Ballot, before.Primary, before.Ballot)
	}
	heal()
	healed := time.Now()
	t.Logf("%s refused reads %v and gave up its lease %v after the cut; healed then",
		c.victim, refused.Round(time.Millisecond), gaveUp.Round(time.Millisecond))

	testbox.WaitFor(t, 30*time.Second, 100*time.Millisecond, c.victim+" serves the record again", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		got, code, err := c.at.get(ctx)
		return err == nil && code == 0 && got == "old", fmt.Sprintf("%q, storage error %d, %v", got, code, err)
	})
	t.Logf("%s serves again %v after the link came back", c.victim, time.Since(healed).Round(time.Millisecond))
	if after := partitionConfig(t, c.ac, c.pidx); after.Primary != before.Primary || after.Ballot != before.Ballot {
		t.Errorf("partition %d changed its configuration though the meta never lost %s for its grace period: primary %s ballot %d, before %s ballot %d",
			c.pidx, c.victim, after.Primary, after.Ballot, before.Primary, before.Ballot)
	}

	writeNew(t, c.tb, c.hk, time.Now().Add(30*time.Second))
	waitFullyReplicated(t, c.ac, onebox.TableName, replicatedWithin)
	c.load.WaitAcked(t, 300, 30*time.Second) // some load on the healed box
	c.load.Finish(t)
	verify(t, c.tb, map[string]want{c.hk: {value: "new", present: true}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if got, code, err := c.at.get(ctx); err != nil || code != 0 || got != "new" {
		t.Errorf("%s read %q (storage error %d), %v; want \"new\"", c.victim, got, code, err)
	}
}

// leaseExpiredLog is what a replica server logs when its lease loop finds
// the meta server's lease gone (failure_detector.go).
const leaseExpiredLog = "lease from the meta expired"

// countLines counts the occurrences of s, a one-line message, in the
// file at path.
func countLines(t *testing.T, path, s string) int {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return strings.Count(string(raw), s)
}

// partitionConfig is partition pidx of temp as the meta server has it.
func partitionConfig(t *testing.T, ac *admin.Client, pidx int32) admin.Partition {
	t.Helper()
	for _, p := range partitions(t, ac, onebox.TableName) {
		if p.Index == pidx {
			return p
		}
	}
	t.Fatalf("temp has no partition %d", pidx)
	return admin.Partition{}
}
