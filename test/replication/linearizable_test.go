package replication

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/client"
)

// noKillEnv, when set, makes TestLinearizableAcrossPrimaryKill run its load
// and check without killing anything: a check of the harness on a cluster
// that cannot fail over (one replica per partition). It is never the
// default.
const noKillEnv = "PEGASUS_REPLICATION_NO_KILL"

// Shape of the linearizability run.
const (
	linClients = 6
	linKeys    = 4
	// linOpTimeout is shorter than any failover (the meta's grace period
	// comes first): a set whose connection died with the primary, which
	// the client retries as an idempotent write, cannot reach the new
	// primary within the same call and so cannot be applied twice — once
	// from the old primary's prepare and once more by the retry — which
	// no single linearization point could describe. Such a call ends in
	// its deadline and enters the history with an unknown outcome.
	linOpTimeout = 3 * time.Second
	linPause     = 5 * time.Millisecond
	linMaxOps    = 20000 // per client
	// linWarmUp is how long the load runs before the kill; linAfter how
	// long it goes on once every key took a write again; linBudget bounds
	// the whole load whatever happens.
	linWarmUp = 10 * time.Second
	linAfter  = 10 * time.Second
	linBudget = 60 * time.Second
	// linCheckTimeout bounds porcupine's search.
	linCheckTimeout = 60 * time.Second
	// linInit is every key's value when the history starts.
	linInit = "init"
)

// linHistory collects the operations of every client.
type linHistory struct {
	base time.Time // timestamps are nanoseconds since base (monotonic)

	mu      sync.Mutex // guards the fields below
	ops     []porcupine.Operation
	dropped int // failed reads and check_and_sets that surely did not execute
	unknown int
	// servedAfter[key] is set once a write to key called after the kill
	// was answered.
	killedAt    int64 // 0 before the kill
	servedAfter map[string]bool
}

func (h *linHistory) now() int64 { return time.Since(h.base).Nanoseconds() }

func (h *linHistory) add(op porcupine.Operation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := op.Output.(kvOutput)
	if out.unknown {
		h.unknown++
	}
	in := op.Input.(kvInput)
	if h.killedAt > 0 && op.Call > h.killedAt && in.kind != kvGet && !out.unknown {
		h.servedAfter[in.key] = true
	}
	h.ops = append(h.ops, op)
}

func (h *linHistory) drop() {
	h.mu.Lock()
	h.dropped++
	h.mu.Unlock()
}

func (h *linHistory) markKill() {
	h.mu.Lock()
	h.killedAt = h.now()
	h.mu.Unlock()
}

// notServed lists the keys not yet written after the kill.
func (h *linHistory) notServed(keys []string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, k := range keys {
		if !h.servedAfter[k] {
			out = append(out, k)
		}
	}
	return out
}

func (h *linHistory) size() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ops)
}

// linClient runs random get / set / check_and_set operations on keys
// until stop closes, its deadline passes or it made linMaxOps operations,
// recording each in h.
func linClient(id int, seed uint64, tb *client.Table, keys []string, h *linHistory, stop <-chan struct{}, deadline time.Time) {
	rng := rand.New(rand.NewPCG(seed, uint64(id)))
	lastSeen := map[string]string{} // the value this client last saw per key
	for _, k := range keys {
		lastSeen[k] = linInit
	}
	for i := 0; i < linMaxOps && time.Now().Before(deadline); i++ {
		select {
		case <-stop:
			return
		case <-time.After(linPause):
		}
		key := keys[rng.IntN(len(keys))]
		in := kvInput{key: key, value: fmt.Sprintf("c%d-%d", id, i)}
		switch r := rng.IntN(10); {
		case r < 4:
			in.kind = kvGet
		case r < 7:
			in.kind = kvSet
		default:
			in.kind, in.expect = kvCAS, lastSeen[key]
		}
		ctx, cancel := context.WithTimeout(context.Background(), linOpTimeout)
		call := h.now()
		var out kvOutput
		var err error
		switch in.kind {
		case kvGet:
			var v []byte
			v, err = tb.Get(ctx, []byte(key), sortKey)
			out.value = string(v)
		case kvSet:
			err = tb.Set(ctx, []byte(key), sortKey, []byte(in.value))
		case kvCAS:
			var r *client.CheckAndSetResult
			r, err = tb.CheckAndSet(ctx, []byte(key), sortKey, client.CheckTypeBytesEqual, []byte(in.expect), sortKey, []byte(in.value),
				&client.CheckAndSetOptions{ReturnCheckValue: true})
			if err == nil {
				out.ok, out.value = r.SetSucceed, string(r.CheckValue)
			}
		}
		ret := h.now()
		cancel()
		switch {
		case err == nil:
			if in.kind == kvGet || (in.kind == kvCAS && !out.ok) {
				lastSeen[key] = out.value
			} else {
				lastSeen[key] = in.value
			}
		case in.kind == kvGet, in.kind == kvCAS && casNotExecuted(err):
			// A failed read changed nothing; a refused check_and_set did
			// not run. Neither constrains the history.
			h.drop()
			continue
		default:
			out, ret = kvOutput{unknown: true}, math.MaxInt64
		}
		h.add(porcupine.Operation{ClientId: id, Input: in, Call: call, Output: out, Return: ret})
	}
}

// TestLinearizableAcrossPrimaryKill runs clients doing random reads,
// writes and check-and-sets on a few keys whose partitions share one
// primary, kills that replica server with SIGKILL midway, goes on until
// every key took a write again, and checks the whole history for
// linearizability with porcupine. With PEGASUS_REPLICATION_NO_KILL set it
// kills nothing (a check of the harness only).
func TestLinearizableAcrossPrimaryKill(t *testing.T) {
	b := startBox(t, hostLinearizable)
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	tm := readTimers(t, b)
	if linOpTimeout >= tm.grace {
		t.Fatalf("an operation timeout of %v is not shorter than the grace period %v (see linOpTimeout)", linOpTimeout, tm.grace)
	}
	kill := os.Getenv(noKillEnv) == ""
	var parts []admin.Partition
	if kill {
		parts = waitFullyReplicated(t, ac, onebox.TableName, replicatedWithin)
	} else {
		t.Logf("%s is set: nothing is killed; this run checks the harness only", noKillEnv)
		parts = partitions(t, ac, onebox.TableName)
	}
	victim := mostPrimaries(parts, b.Replicas)
	led, _ := roles(parts, victim)
	keys := hashKeysIn("lin", len(parts), led, linKeys)
	if len(keys) < linKeys {
		t.Fatalf("found only %d hash keys in partitions %v", len(keys), led)
	}
	t.Logf("keys %v are in partitions %v, all led by %s (%s)", keys, led, processOf(t, b, victim), victim)

	// Every key starts at linInit, acknowledged before the history starts.
	setup := openTable(t, b, onebox.TableName)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, k := range keys {
		if err := setup.Set(ctx, []byte(k), sortKey, []byte(linInit)); err != nil {
			t.Fatalf("initialise %s: %v", k, err)
		}
	}

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	h := &linHistory{base: time.Now(), servedAfter: map[string]bool{}}
	tables := make([]*client.Table, linClients)
	for id := range tables {
		tables[id] = openTable(t, b, onebox.TableName) // a client each: its own routes and connections
	}
	stop := make(chan struct{})
	deadline := time.Now().Add(linBudget)
	var wg sync.WaitGroup
	finish := sync.OnceFunc(func() {
		close(stop)
		wg.Wait()
	})
	t.Cleanup(finish) // also when the test fails before the end; before the clients close
	for id, tb := range tables {
		wg.Add(1)
		go func() {
			defer wg.Done()
			linClient(id, seed, tb, keys, h, stop, deadline)
		}()
	}

	// The load runs for a while before the kill, so that the history
	// has a stretch of normal service to check against.
	time.Sleep(linWarmUp)
	if n := h.size(); n < 50 {
		t.Fatalf("the load made only %d operations in %v", n, linWarmUp)
	}
	if kill {
		t.Logf("%d operations before the kill", h.size())
		h.markKill()
		killed := time.Now()
		if err := b.Kill(processOf(t, b, victim), syscall.SIGKILL, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		bound := killed.Add(tm.failoverBound())
		for len(h.notServed(keys)) > 0 && time.Now().Before(bound) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if left := h.notServed(keys); len(left) > 0 {
			t.Errorf("keys %v took no write within %v of the kill (bound %v)", left, time.Since(killed).Round(time.Millisecond), tm.failoverBound())
		} else {
			t.Logf("every key took a write again %v after the kill", time.Since(killed).Round(time.Millisecond))
		}
	}
	time.Sleep(min(linAfter, time.Until(deadline))) // more load after the failover
	finish()

	h.mu.Lock()
	ops, dropped, unknown := h.ops, h.dropped, h.unknown
	h.mu.Unlock()
	t.Logf("history: %d operations (%d with unknown outcome), %d failed reads or refused check_and_sets left out", len(ops), unknown, dropped)
	if len(ops) < 100 {
		t.Fatalf("only %d operations recorded: the load did not run", len(ops))
	}
	checkLinearizable(t, ops)
}

// checkLinearizable checks ops with porcupine; when the history is not
// linearizable (or the check ran out of time) it writes porcupine's
// visualization into a new temporary directory, which is kept (unlike
// t.TempDir) so that it can be opened after the run, and names it.
func checkLinearizable(t *testing.T, ops []porcupine.Operation) {
	t.Helper()
	start := time.Now()
	res, info := porcupine.CheckOperationsVerbose(kvModel, ops, linCheckTimeout)
	t.Logf("porcupine: %s in %v", res, time.Since(start).Round(time.Millisecond))
	if res == porcupine.Ok {
		return
	}
	path := "(not written)"
	if dir, err := os.MkdirTemp("", "pegasus-linearizability-"); err != nil {
		t.Errorf("visualization: %v", err)
	} else if err := porcupine.VisualizePath(kvModel, info, filepath.Join(dir, "history.html")); err != nil {
		t.Errorf("write the visualization: %v", err)
	} else {
		path = filepath.Join(dir, "history.html")
	}
	if res == porcupine.Illegal {
		t.Fatalf("the history is not linearizable; visualization: %s", path)
	}
	t.Fatalf("porcupine could not decide within %v (%s); visualization: %s", linCheckTimeout, res, path)
}
