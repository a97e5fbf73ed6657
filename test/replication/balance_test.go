package replication

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/client"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
)

const hostBalance = 54

// perNode counts the replicas and primaries of table on each alive server.
func perNode(t *testing.T, ac *admin.Client, table string, nodes []string) (replicas, primaries map[string]int) {
	t.Helper()
	replicas, primaries = map[string]int{}, map[string]int{}
	for _, n := range nodes {
		replicas[n], primaries[n] = 0, 0
	}
	for _, p := range partitions(t, ac, table) {
		primaries[p.Primary]++
		replicas[p.Primary]++
		for _, s := range p.Secondaries {
			replicas[s]++
		}
	}
	return replicas, primaries
}

func spreadOf(c map[string]int) int {
	lo, hi := 1<<30, -1
	for _, v := range c {
		lo, hi = min(lo, v), max(hi, v)
	}
	return hi - lo
}

// TestScaleOutAndDrain grows a onebox from three replica servers to four
// under a write load and lets the balancer (meta level lively) even it
// out: replicas and primaries per server within one of each other. Then it
// drains the new server at level steady: it ends with no replica, every
// partition keeps three, and every acknowledged write reads back.
func TestScaleOutAndDrain(t *testing.T) {
	b := startBox(t, hostBalance)
	tb := openTable(t, b, "temp")
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	load := startWriteLoad(t, tb, "bal", 3)
	load.waitProgress(t, 50, 30*time.Second)
	reads := startReadLoad(t, tb, writeRecords(t, tb, "ro", "fixed", 200))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	added, err := b.AddReplica(ctx)
	if err != nil {
		t.Fatalf("add a replica server: %v", err)
	}
	nodes := append(append([]string{}, b.Replicas...), added)
	if _, err := ac.SetMetaLevel(ctx, admintypes.MetaFunctionLevel_fl_lively); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		reps, prims := perNode(t, ac, "temp", nodes)
		healthy := true
		for _, p := range partitions(t, ac, "temp") {
			healthy = healthy && fullyReplicated(p) == ""
		}
		if healthy && spreadOf(reps) <= 1 && spreadOf(prims) <= 1 && reps[added] > 0 {
			t.Logf("balanced: replicas %v, primaries %v", reps, prims)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not balanced within 2 min: replicas %v, primaries %v", reps, prims)
		}
		time.Sleep(500 * time.Millisecond)
	}
	load.waitProgress(t, 50, 30*time.Second)

	// Drain the new server at steady (lively would move replicas back).
	if _, err := ac.SetMetaLevel(ctx, admintypes.MetaFunctionLevel_fl_steady); err != nil {
		t.Fatal(err)
	}
	origin := netip.MustParseAddrPort(added)
	for {
		plan, remaining, err := ac.DrainPlan(ctx, origin, nil)
		if err != nil {
			t.Fatal(err)
		}
		if remaining == 0 {
			break
		}
		if _, err := ac.StartDrain(ctx, plan); err != nil {
			t.Fatalf("drain %v: %v", origin, err)
		}
		if ctx.Err() != nil {
			t.Fatalf("%v still serves %d replicas", origin, remaining)
		}
		time.Sleep(time.Second)
	}
	for _, p := range partitions(t, ac, "temp") {
		if why := fullyReplicated(p); why != "" {
			t.Fatalf("after the drain: %s", why)
		}
	}
	reps, _ := perNode(t, ac, "temp", nodes)
	if reps[added] != 0 {
		t.Fatalf("drained server still has %d replicas: %v", reps[added], reps)
	}
	load.waitProgress(t, 50, 30*time.Second)
	expected := load.finish(t)
	if _, failures, lastErr := load.counts(); failures != 0 {
		t.Errorf("%d writes failed during the moves (last: %v); clients should only have retried within their deadlines", failures, lastErr)
	}
	if n, bad := reads.finish(); n == 0 || bad != nil {
		t.Errorf("reads during the moves: %d done, first failure: %v", n, bad)
	}
	if err := b.StopReplica(origin.Port(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	verify(t, tb, expected)
}

// readLoad reads fixed records in a loop and remembers the first read that
// failed or returned something else.
type readLoad struct {
	stop       chan struct{}
	done       chan struct{}
	finishOnce func()
	n          int
	bad        error
}

func startReadLoad(t *testing.T, tb *client.Table, records map[string]want) *readLoad {
	l := &readLoad{stop: make(chan struct{}), done: make(chan struct{})}
	keys := make([]string, 0, len(records))
	for k := range records {
		keys = append(keys, k)
	}
	go func() {
		defer close(l.done)
		deadline := time.Now().Add(loadMaxTime)
		for i := 0; i < loadMaxOps && time.Now().Before(deadline); i++ {
			select {
			case <-l.stop:
				return
			case <-time.After(loadPause):
			}
			k := keys[i%len(keys)]
			ctx, cancel := context.WithTimeout(context.Background(), loadOpTimeout)
			v, err := tb.Get(ctx, []byte(k), sortKey)
			cancel()
			l.n++
			if err == nil && !records[k].allows(v) {
				err = fmt.Errorf("%s read %q, want %v", k, v, records[k])
			}
			if err != nil && l.bad == nil {
				// When, to find it in the servers' logs.
				l.bad = fmt.Errorf("at %s: %w", time.Now().UTC().Format("15:04:05.000"), err)
			}
		}
	}()
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(l.stop) }); <-l.done })
	l.finishOnce = func() { once.Do(func() { close(l.stop) }); <-l.done }
	return l
}

func (l *readLoad) finish() (int, error) {
	l.finishOnce()
	return l.n, l.bad
}
