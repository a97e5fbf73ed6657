package replication

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/bench"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/test/testbox"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// TestPrimaryCutOffFromMeta separates a running primary from the meta
// server while clients and its peers still reach it: the partition that
// lease-based PacificA exists for. The server keeps running and keeps
// getting requests; only its beacons go unanswered. It must stop serving
// when its lease runs out, which is before the meta server's grace period
// ends and another replica becomes primary: by the time the test sees the
// new primary, a read sent straight to the old one is refused, and after a
// new value is written through the new primary, neither a read nor a write
// at the old one is served. When the link comes back the server rejoins
// as a secondary. A checked load runs throughout on a second table: no
// acknowledged write may be lost and no read may return a value that was
// never acknowledged or was overwritten. The test needs root (it builds a
// network namespace, netcut_test.go) and skips itself without it.
func TestPrimaryCutOffFromMeta(t *testing.T) {
	c := startCutOff(t, "cutoff", 0)
	ac, tb, tm, victim, pidx, hk, at := c.ac, c.tb, c.tm, c.victim, c.pidx, c.hk, c.at

	cut := time.Now()
	heal := c.cut(t, c.net.Cut, c.net.Heal)

	// Poll both sides until the meta server has named another primary and
	// the old one refuses reads. A read the old primary serves after the
	// test has seen the new one is a read served by a deposed primary: its
	// lease should have run out before the meta's grace period did.
	var newPrimary string
	var newSeen, refused, lastServed time.Time
	deadline := cut.Add(tm.failoverBound())
	for newSeen.IsZero() || refused.IsZero() {
		if newPrimary == "" {
			for _, p := range partitions(t, ac, onebox.TableName) {
				if p.Index == pidx && p.Primary != "" && p.Primary != victim {
					newPrimary, newSeen = p.Primary, time.Now()
				}
			}
		}
		callCtx, callCancel := context.WithTimeout(context.Background(), 5*time.Second)
		got, code, err := at.get(callCtx)
		callCancel()
		var refusal *rpc.RemoteError
		switch {
		case errors.As(err, &refusal):
			if refused.IsZero() {
				refused = time.Now()
				t.Logf("%s refused reads %v after the cut: %v", victim, refused.Sub(cut).Round(time.Millisecond), err)
			}
		case err != nil:
			t.Fatalf("read at the cut-off %s: %v (want a value or a refusal)", victim, err)
		case !newSeen.IsZero():
			t.Fatalf("the cut-off %s served a read (%q, storage error %d) %v after the meta server had named %s primary of partition %d",
				victim, got, code, time.Since(newSeen).Round(time.Millisecond), newPrimary, pidx)
		case code != 0 || got != "old":
			t.Fatalf("the cut-off %s read %q (storage error %d), want \"old\"", victim, got, code)
		default:
			lastServed = time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v after the cut: new primary %q, refused %v, last served %v after the cut",
				time.Since(cut).Round(time.Millisecond), newPrimary, !refused.IsZero(), lastServed.Sub(cut).Round(time.Millisecond))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("partition %d moved its primary to %s %v after the cut; %s had served its last read %v after it",
		pidx, newPrimary, newSeen.Sub(cut).Round(time.Millisecond), victim, lastServed.Sub(cut).Round(time.Millisecond))
	writeNew(t, tb, hk, cut.Add(tm.failoverBound()))
	// Neither a read nor a write may be served by the deposed primary now.
	callCtx, callCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer callCancel()
	var refusal *rpc.RemoteError
	if got, code, err := at.get(callCtx); err == nil {
		t.Errorf("the deposed primary %s answered a get: %q, storage error %d", victim, got, code)
	} else if !errors.As(err, &refusal) {
		t.Errorf("the deposed primary %s gave a get no answer: %v", victim, err)
	}
	if decree, code, err := at.put(callCtx); err == nil {
		t.Errorf("the deposed primary %s acknowledged a put: decree %d, storage error %d", victim, decree, code)
	} else if !errors.As(err, &refusal) {
		t.Errorf("the deposed primary %s gave a put no answer: %v", victim, err)
	}
	// The load goes on while the old primary is still cut off.
	c.load.WaitAcked(t, 300, 30*time.Second)

	heal()
	parts := waitFullyReplicated(t, ac, onebox.TableName, 2*replicatedWithin)
	t.Logf("%s rejoined; every partition has three replicas again %v after the cut", victim, time.Since(cut).Round(time.Millisecond))
	c.load.WaitAcked(t, 300, 30*time.Second) // and on the healed box
	c.load.Finish(t)

	verify(t, tb, map[string]want{hk: {value: "new", present: true}})
	// And straight from whichever server leads the partition now.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, p := range parts {
		if p.Index != pidx {
			continue
		}
		now := directTo(t, ctx, p.Primary, c.gpid, hk)
		if got, code, err := now.get(ctx); err != nil || code != 0 || got != "new" {
			t.Errorf("partition %d's primary %s read %q (storage error %d), %v; want \"new\"", pidx, p.Primary, got, code, err)
		}
	}
}

// cutOff is a onebox whose replica1 runs in a network namespace (cutNet),
// with a record in a partition replica1 leads, a connection of the test's
// own to replica1, and a checked load running on a second table.
type cutOff struct {
	net    *cutNet
	box    *onebox.Box
	ac     *admin.Client
	tb     *client.Table // temp
	tm     timers
	victim string    // replica1's address
	pidx   int32     // a partition of temp that victim leads
	gpid   base.Gpid // that partition
	hk     string    // the record's hash key, in pidx; its value is "old"
	at     *direct   // the record, straight at victim
	load   *testbox.CheckedLoad
}

// startCutOff builds the network and the box (with the meta server's
// grace period if grace > 0), writes "old" to a record (hash key prefix
// prefix) of a partition replica1 leads, checks that replica1 serves it,
// and starts the load.
func startCutOff(t *testing.T, prefix string, grace time.Duration) *cutOff {
	t.Helper()
	n := newCutNet(t)
	b := n.Box(t)
	b.Grace = grace
	testbox.Start(t, b, 90*time.Second, nil)
	c := &cutOff{net: n, box: b, ac: testbox.AdminClient(t, b), tb: openTable(t, b, onebox.TableName), tm: readTimers(t, b), victim: b.Replicas[0]}
	parts := waitFullyReplicated(t, c.ac, onebox.TableName, replicatedWithin)
	appID, _, err := c.ac.TablePartitions(context.Background(), onebox.TableName)
	if err != nil {
		t.Fatal(err)
	}
	led, _ := roles(parts, c.victim)
	if len(led) == 0 {
		t.Fatalf("%s leads no partition of %s: nothing to cut off", c.victim, onebox.TableName)
	}
	c.pidx = led[0]
	c.gpid = base.Gpid{Appid: appID, PartitionIndex: c.pidx}
	c.hk = hashKeysIn(prefix, len(parts), []int32{c.pidx}, 1)[0]
	t.Logf("%s is primary of partitions %v; record %q is in partition %d", c.victim, led, c.hk, c.pidx)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.tb.Set(ctx, []byte(c.hk), sortKey, []byte("old")); err != nil {
		t.Fatalf("write the old value: %v", err)
	}
	c.at = directTo(t, ctx, c.victim, c.gpid, c.hk)
	if got, code, err := c.at.get(ctx); err != nil || code != 0 || got != "old" {
		t.Fatalf("before the cut, %s answered the read with %q (storage error %d), %v; want \"old\"", c.victim, got, code, err)
	}

	// The load goes to a table of its own, so that the record's partition
	// sees no writes but the test's: the old primary then has no prepare
	// of its own bounced by a secondary that moved on, which would tell it
	// early that it was deposed, and only its lease stands between it and
	// a stale read.
	if _, err := c.ac.CreateTableWith(ctx, "cutload", admin.CreateOptions{Partitions: 8, Replicas: 3, FailIfExist: true}); err != nil {
		t.Fatalf("create table cutload: %v", err)
	}
	if err := c.ac.WaitReady(ctx, "cutload", 200*time.Millisecond, nil); err != nil {
		t.Fatalf("table cutload not ready: %v", err)
	}
	c.load = testbox.StartLoad(t, bench.Config{
		MetaServers: b.MetaServers(), Table: "cutload", Op: "mixed", ReadRatio: 0.5,
		Workers: 8, ValueSize: 128, Keys: 4000, Duration: 10 * time.Minute, Rate: 300,
		Timeout: 30 * time.Second, Seed: time.Now().UnixNano(),
	})
	// Writes to the cut-off server's partitions wait (the client retries)
	// until the partitions move or the server is back: none may fail.
	c.load.WaitAcked(t, 300, 30*time.Second)
	return c
}

// cut makes a cut with do (c.net.Cut, say) and returns its undo, which
// runs at most once: when the test calls it, or when the test ends (before
// the box stops, also when the test fails).
func (c *cutOff) cut(t *testing.T, do, undo func() error) (heal func()) {
	t.Helper()
	if err := do(); err != nil {
		t.Fatal(err)
	}
	healed := false
	heal = func() {
		if !healed {
			healed = true
			if err := undo(); err != nil {
				t.Errorf("heal the cut: %v", err)
			}
		}
	}
	t.Cleanup(heal)
	return heal
}
