package replication

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/bench"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/test/testbox"
)

const hostChaos = 56

var (
	chaosFor  = flag.Duration("chaos.duration", 75*time.Second, "how long TestChaos injects faults (for a soak, 15m with go test -timeout 40m)")
	chaosSeed = flag.Int64("chaos.seed", 0, "TestChaos's fault schedule (0: from the clock; the test logs the one it used)")
)

// TestChaos runs a checked mixed load (every read compared with the
// acknowledged writes, every written key read back at the end) on temp
// while faults follow one another at random: kill -9 of one replica
// server, of two at once, or of the meta server, SIGSTOP of a replica
// server for up to 14 s (past its lease at times), and, where the test can
// build network namespaces (netcut_test.go), a cut between replica1 and
// the meta server for up to 14 s (past the lease, and at times past the
// meta's grace period), or between replica1 and its peers (its partitions
// shrink to it alone and stop taking writes until the link is back).
// After each fault the processes come back and the box serves every
// partition again before the next. Operations may time out while
// partitions fail over; no acknowledged write may be lost, no read may
// return what was never acknowledged or was overwritten, and every
// partition ends fully replicated. The schedule is reproducible by seed;
// the timing is not.
func TestChaos(t *testing.T) {
	// Where it can, the box runs replica1 in a network namespace, so that
	// more faults can cut it off from the meta server or its peers.
	n, why := buildCutNet(t)
	var b *onebox.Box
	if n != nil {
		b = n.Box(t)
		testbox.Start(t, b, 90*time.Second, nil)
	} else {
		t.Logf("no network cuts among the faults: %s", why)
		b = startBox(t, hostChaos)
	}
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	waitFullyReplicated(t, ac, onebox.TableName, replicatedWithin)

	seed := *chaosSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("fault schedule: -chaos.seed=%d, %v of faults", seed, *chaosFor)
	rng := rand.New(rand.NewSource(seed))

	load := testbox.StartLoad(t, bench.Config{
		MetaServers: b.MetaServers(), Table: onebox.TableName, Op: "mixed", ReadRatio: 0.5,
		Workers: 16, ValueSize: 256, Keys: 20000, Duration: *chaosFor + 10*time.Minute, Rate: 500,
		Timeout: 30 * time.Second, Seed: seed,
	})
	// Operations time out while partitions fail over.
	load.FailuresExpected = true

	var meta string
	var replicas []string
	for _, name := range b.Processes() {
		if strings.HasPrefix(name, "meta") {
			meta = name
		} else {
			replicas = append(replicas, name)
		}
	}
	end := time.Now().Add(*chaosFor)
	// Each fault begins, lasts, and is undone; undo returns once the box
	// serves every partition again.
	kill := func(names ...string) func() error {
		return func() error {
			for _, name := range names {
				if err := b.Kill(name, syscall.SIGKILL, 10*time.Second); err != nil {
					return err
				}
			}
			return nil
		}
	}
	launch := func(names ...string) func(context.Context) error {
		return func(ctx context.Context) error { return b.LaunchAll(ctx, names...) }
	}
	signal := func(name string, sig syscall.Signal) func() error {
		return func() error { return b.Kill(name, sig, 0) }
	}
	thenServed := func(undo func() error) func(context.Context) error {
		return func(ctx context.Context) error {
			if err := undo(); err != nil {
				return err
			}
			return b.WaitServed(ctx)
		}
	}
	faults := 0
	for time.Now().Before(end) {
		time.Sleep(time.Duration(3+rng.Intn(6)) * time.Second)
		i := rng.Intn(len(replicas))
		victim, other := replicas[i], replicas[(i+1)%len(replicas)]
		kinds := 4
		if n != nil {
			kinds = 6
		}
		var what string
		var begin func() error
		var undo func(context.Context) error
		switch rng.Intn(kinds) {
		case 0:
			what, begin, undo = "kill -9 "+victim, kill(victim), launch(victim)
		case 1:
			what, begin, undo = fmt.Sprintf("kill -9 %s and %s", victim, other), kill(victim, other), launch(victim, other)
		case 2:
			what, begin, undo = "kill -9 "+meta, kill(meta), launch(meta)
		case 3:
			what, begin, undo = "SIGSTOP "+victim, signal(victim, syscall.SIGSTOP), thenServed(signal(victim, syscall.SIGCONT))
		case 4:
			what, begin, undo = "cut replica1 off from the meta server", n.Cut, thenServed(n.Heal)
		case 5:
			what, begin, undo = "cut replica1 off from replica2 and replica3", n.CutPeers, thenServed(n.HealPeers)
		}
		down := time.Duration(1+rng.Intn(14)) * time.Second
		t.Logf("%s for %v", what, down)
		if err := begin(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(down)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		err := undo(ctx)
		cancel()
		if err != nil {
			t.Fatalf("after %s: %v", what, err)
		}
		faults++
	}
	waitFullyReplicated(t, ac, onebox.TableName, 2*replicatedWithin)
	load.WaitAcked(t, 500, time.Minute) // the healed box takes load
	t.Logf("%d faults", faults)
	load.Finish(t)
}
