package replication

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/test/testbox"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// TestPrimaryCutOffFromPeers separates a primary from its secondaries
// while the meta server and clients still reach it. Its beacons go on, so
// the meta server keeps it primary; its prepares go unanswered, so it asks
// the meta server to remove the secondaries one after the other, as
// PacificA has it, and is left alone in the configuration. It then keeps
// serving reads (its lease is good and nobody else leads the partition)
// but must refuse writes: an acknowledged write would be on one server
// only (the minimum is two members, mutation_2pc_min_replica_count). New
// learners cannot reach it, so the partition stays that way until the link
// comes back; then it has three replicas again and takes writes. A write
// sent as the link went down has an unknown outcome (its prepare was
// cut off) and may show up. A checked load runs throughout on a second
// table, whose partitions on replica1 go through the same: its writes wait
// (the client retries within 30 s) and none may fail or be lost.
func TestPrimaryCutOffFromPeers(t *testing.T) {
	c := startCutOff(t, "peers", 0)
	before := partitionConfig(t, c.ac, c.pidx)
	cut := time.Now()
	heal := c.cut(t, c.net.CutPeers, c.net.HealPeers)

	// A write through the client: its prepare cannot reach the
	// secondaries, so it times out with an unknown outcome, and its
	// prepare's timeout makes the primary ask for the secondaries'
	// removal (with no write the group check would, later).
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	err := c.tb.Set(ctx, []byte(c.hk), sortKey, []byte("unknown"))
	cancel()
	if err == nil {
		t.Fatalf("a write was acknowledged by a primary cut off from both secondaries")
	}

	// The meta server must keep replica1 primary (its beacons are
	// answered) and take the secondaries out at its request.
	var aloneBallot int64
	testbox.WaitFor(t, 3*c.tm.failoverBound(), 200*time.Millisecond, c.victim+" is left alone in partition "+fmt.Sprint(c.pidx), func() (bool, string) {
		p := partitionConfig(t, c.ac, c.pidx)
		if p.Primary != c.victim {
			t.Fatalf("%v after the cut the meta server made %q primary of partition %d (ballot %d); %s still reaches it",
				time.Since(cut).Round(time.Millisecond), p.Primary, c.pidx, p.Ballot, c.victim)
		}
		aloneBallot = p.Ballot
		return len(p.Secondaries) == 0, fmt.Sprintf("ballot %d, secondaries %v", p.Ballot, p.Secondaries)
	})
	t.Logf("%v after the cut %s is alone in partition %d (ballot %d -> %d)",
		time.Since(cut).Round(time.Millisecond), c.victim, c.pidx, before.Ballot, aloneBallot)

	// Alone, it serves reads, and refuses writes. The replica takes the
	// new configuration a moment after the meta stores it: retry the read
	// while it is in transition (ERR_INVALID_STATE).
	var got string
	testbox.WaitFor(t, 30*time.Second, 100*time.Millisecond, c.victim+" serves a read alone", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		v, code, err := c.at.get(ctx)
		if err == nil && code != 0 {
			t.Fatalf("read at %s: storage error %d", c.victim, code)
		}
		got = v
		return err == nil, fmt.Sprint(err)
	})
	if got != "old" && got != "unknown" {
		t.Fatalf("%s alone read %q, want \"old\" or the write of unknown outcome", c.victim, got)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var refusal *rpc.RemoteError
	if decree, code, err := c.at.put(ctx); err == nil {
		t.Fatalf("%s, alone in partition %d, acknowledged a put (decree %d, storage error %d): the write is on one server only",
			c.victim, c.pidx, decree, code)
	} else if !errors.As(err, &refusal) || refusal.Errno != base.ERR_NOT_ENOUGH_MEMBER {
		t.Fatalf("a put at %s, alone in partition %d: %v, want ERR_NOT_ENOUGH_MEMBER", c.victim, c.pidx, err)
	}
	t.Logf("alone, %s read %q and refused a put: %v", c.victim, got, refusal)
	if p := partitionConfig(t, c.ac, c.pidx); p.Primary != c.victim {
		t.Fatalf("the meta server made %q primary of partition %d while %s served reads", p.Primary, c.pidx, c.victim)
	}

	heal()
	healedAt := time.Now()
	parts := waitFullyReplicated(t, c.ac, onebox.TableName, 2*replicatedWithin)
	t.Logf("%v after the link came back every partition has three replicas again", time.Since(healedAt).Round(time.Millisecond))
	writeNew(t, c.tb, c.hk, time.Now().Add(c.tm.failoverBound()))
	c.load.WaitAcked(t, 300, 30*time.Second)
	c.load.Finish(t)

	verify(t, c.tb, map[string]want{c.hk: {value: "new", present: true}})
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	i := slices.IndexFunc(parts, func(p admin.Partition) bool { return p.Index == c.pidx })
	now := directTo(t, ctx, parts[i].Primary, c.gpid, c.hk)
	if v, code, err := now.get(ctx); err != nil || code != 0 || v != "new" {
		t.Errorf("partition %d's primary %s read %q (storage error %d), %v; want \"new\"", c.pidx, parts[i].Primary, v, code, err)
	}
}
