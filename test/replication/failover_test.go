package replication

import (
	"context"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
)

// replicatedWithin bounds waiting for a table to reach its full replica
// count: at start, and after a replica server came back and must learn
// what it missed.
const replicatedWithin = 60 * time.Second

// TestPrimaryKillFailover kills -9 the replica server that is primary of
// the most partitions of temp while a write load runs, and checks that
// every partition takes writes again within the lease plus the grace
// period (plus a margin), that no acknowledged write is lost, and that the
// server, restarted, learns what it missed and rejoins every partition;
// then a second primary dies, so that partitions fail over onto the
// rejoined server, and every acknowledged write still reads back.
func TestPrimaryKillFailover(t *testing.T) {
	b := startBox(t, hostPrimaryKill)
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	tb := openTable(t, b, onebox.TableName)
	tm := readTimers(t, b)
	parts := waitFullyReplicated(t, ac, onebox.TableName, replicatedWithin)

	victim := mostPrimaries(parts, b.Replicas)
	name := processOf(t, b, victim)
	led, _ := roles(parts, victim)
	t.Logf("%s (%s) is primary of partitions %v", name, victim, led)

	load := startWriteLoad(t, tb, "load", 3)
	load.waitProgress(t, 300, 30*time.Second)
	killed := time.Now()
	if err := b.Kill(name, syscall.SIGKILL, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	took, probes := waitWritable(t, tb, killed, tm.failoverBound())
	t.Logf("after kill -9 of %s, every partition took writes again in %v (bound %v = lease %v + grace %v + margin)",
		name, took, tm.failoverBound(), tm.lease, tm.grace)
	load.waitProgress(t, 300, 30*time.Second)
	acked := load.finish(t)
	merge(acked, probes)

	for _, p := range partitions(t, ac, onebox.TableName) {
		if p.Primary == "" || p.Primary == victim {
			t.Errorf("partition %d has primary %q after %s died", p.Index, p.Primary, victim)
		}
	}
	verify(t, tb, acked)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := b.Launch(ctx, name); err != nil {
		t.Fatalf("restart %s: %v", name, err)
	}
	parts = waitFullyReplicated(t, ac, onebox.TableName, replicatedWithin)
	verify(t, tb, acked)

	// A second failover with the restarted server a member again: the
	// server now leading the most partitions dies, its partitions move to
	// the other two — the restarted one among them, which must then serve
	// what it learned.
	survivors := slices.DeleteFunc(slices.Clone(b.Replicas), func(r string) bool { return r == victim })
	second := mostPrimaries(parts, survivors)
	load = startWriteLoad(t, tb, "load2", 3)
	load.waitProgress(t, 100, 30*time.Second)
	killed = time.Now()
	if err := b.Kill(processOf(t, b, second), syscall.SIGKILL, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	took, probes = waitWritable(t, tb, killed, tm.failoverBound())
	load.waitProgress(t, 100, 30*time.Second)
	merge(acked, load.finish(t))
	merge(acked, probes)
	rejoinedLeads, _ := roles(partitions(t, ac, onebox.TableName), victim)
	t.Logf("after kill -9 of %s, every partition took writes again in %v; the restarted %s now leads partitions %v",
		processOf(t, b, second), took, name, rejoinedLeads)
	verify(t, tb, acked)
}

// TestSecondaryKill kills -9 the replica server that is primary of the
// fewest partitions while a write load runs: the partitions it served as
// a secondary keep their primary, every partition takes writes again
// within the failover bound, nothing acknowledged is lost, and once it is
// restarted every partition is back to its full replica count.
func TestSecondaryKill(t *testing.T) {
	b := startBox(t, hostSecondaryKill)
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	tb := openTable(t, b, onebox.TableName)
	tm := readTimers(t, b)
	parts := waitFullyReplicated(t, ac, onebox.TableName, replicatedWithin)

	victim := fewestPrimaries(parts, b.Replicas)
	name := processOf(t, b, victim)
	led, followed := roles(parts, victim)
	t.Logf("%s (%s) is primary of partitions %v, secondary of %v", name, victim, led, followed)
	primaryBefore := map[int32]string{}
	for _, p := range parts {
		primaryBefore[p.Index] = p.Primary
	}

	load := startWriteLoad(t, tb, "load", 3)
	load.waitProgress(t, 300, 30*time.Second)
	killed := time.Now()
	if err := b.Kill(name, syscall.SIGKILL, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	took, probes := waitWritable(t, tb, killed, tm.failoverBound())
	t.Logf("after kill -9 of %s, every partition took writes again in %v (bound %v)", name, took, tm.failoverBound())
	load.waitProgress(t, 300, 30*time.Second)
	acked := load.finish(t)
	merge(acked, probes)

	for _, p := range partitions(t, ac, onebox.TableName) {
		switch {
		case p.Primary == "" || p.Primary == victim:
			t.Errorf("partition %d has primary %q after %s died", p.Index, p.Primary, victim)
		case slices.Contains(followed, p.Index) && p.Primary != primaryBefore[p.Index]:
			t.Errorf("partition %d moved its primary from %s to %s when its secondary %s died", p.Index, primaryBefore[p.Index], p.Primary, victim)
		}
	}
	verify(t, tb, acked)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := b.Launch(ctx, name); err != nil {
		t.Fatalf("restart %s: %v", name, err)
	}
	waitFullyReplicated(t, ac, onebox.TableName, replicatedWithin)
	verify(t, tb, acked)
}

// TestWholeClusterRestart writes, overwrites and deletes records, stops
// every process of the onebox, starts it again on the same directory, and
// checks that every record reads back as acknowledged, writes work, and
// every partition is back to its full replica count.
func TestWholeClusterRestart(t *testing.T) {
	b := startBox(t, hostWholeRestart)
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	tb := openTable(t, b, onebox.TableName)

	expected := writeRecords(t, tb, "rec", "first", 2000)
	merge(expected, writeRecords(t, tb, "rec", "second", 500)) // overwrites rec-0..rec-499
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for i := 1000; i < 1200; i++ {
		hk := "rec-" + strconv.Itoa(i)
		if err := tb.Del(ctx, []byte(hk), sortKey); err != nil {
			t.Fatalf("delete %s: %v", hk, err)
		}
		expected[hk] = want{}
	}
	verify(t, tb, expected)

	if err := b.Stop(15 * time.Second); err != nil {
		t.Fatalf("stop the onebox: %v", err)
	}
	if err := b.Start(ctx); err != nil {
		t.Fatalf("start the onebox again: %v", err)
	}
	verify(t, tb, expected)
	merge(expected, writeRecords(t, tb, "after", "restart", 200))
	verify(t, tb, expected)
	waitFullyReplicated(t, ac, onebox.TableName, replicatedWithin)
}
