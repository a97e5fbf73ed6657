package pacifica

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/meta"
	"github.com/pegasus-go/pegasus/thrift/base"
)

// The simulated world: replica servers hosting Replica state machines,
// the real meta.State as configuration manager, clients, and a network
// between them that delays, reorders, loses and duplicates messages. All
// randomness comes from one seeded generator and every walk over a map is
// sorted, so a seed replays exactly.

// simParams are the knobs of one simulation run.
type simParams struct {
	nodes       int
	partitions  int32
	replicas    int32 // max_replica_count of the table
	steps       int
	lossPct     int // per message
	dupPct      int
	maxDelay    int64 // ticks
	opts        Options
	faultsScale int // percent of the default fault rates
}

func defaultSimParams() simParams {
	return simParams{
		nodes: 5, partitions: 2, replicas: 3, steps: 2000, lossPct: 4, dupPct: 4, maxDelay: 2, faultsScale: 100,
		opts: Options{
			MinReplicaCount:            2,
			StalenessForCommit:         5,
			PrepareListCapacity:        12,
			MaxBatchWrites:             3,
			PrepareTimeoutTicks:        8,
			LearnerPrepareTimeoutTicks: 10,
			ResendTicks:                2,
			GroupCheckTicks:            5,
			GroupCheckTimeoutTicks:     8,
			ConfigRetryTicks:           2,
			LearnRetryTicks:            2,
		},
	}
}

// Timing of the server-level failure detector, in ticks (one tick is one
// simulated second): lease < grace, as the real servers require.
const (
	simBeacon    = 3
	simLease     = 20
	simGrace     = 22
	simFDCheck   = 2
	simCure      = 5
	simSync      = 5
	simCopyTicks = 2 // longest simulated checkpoint copy
)

var simT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// envKind says who an envelope is for.
type envKind int

const (
	envPeer     envKind = iota // replica → replica (pacifica Message)
	envProposal                // meta → replica server
	envUpdate                  // replica server → meta
	envUpdateReply
	envSyncReply // meta → replica server: the answer to a config sync
	envClientWrite
)

// envelope is one message in flight; which payload is set depends on
// kind.
type envelope struct {
	kind     envKind
	from, to int // node indexes; -1 is the meta, -2 a client
	at       int64
	msg      *Message
	// snapshot travels with a learn reply that names a copy range: the
	// learnee's storage, as a checkpoint copied by the hosts.
	snapshot *simStore
	proposal *Proposal
	update   *updateMsg
	sync     *syncAnswer
	write    simWrite
}

// syncAnswer is the meta's answer to a config sync, computed when the
// request arrived (the answer travels back with the network's delays, so
// the replica may have moved on by the time it lands) and the ballot each
// hosted replica had when the sync was asked.
type syncAnswer struct {
	serving []meta.ConfigUpdate
	asked   map[*Replica]int64
	boot    int // the node's incarnation that asked
}

// updateMsg is a configuration update request and, in a reply, the meta's
// answer.
type updateMsg struct {
	req    ConfigRequest
	errno  base.Errno
	stored Config
}

type simWrite struct {
	pid       base.Gpid
	id        uint64
	batchable bool
}

type world struct {
	t      testing.TB
	seed   uint64
	rng    *rand.Rand
	p      simParams
	now    int64 // ticks
	step   int
	nodes  []*simNode
	meta   *simMeta
	net    []*envelope
	cut    map[[2]int]bool // cut links between replica servers
	truth  *truth
	trace  []string
	stats  map[string]int
	calm   bool // no new faults (settling)
	nextID uint64
	// tracing keeps a trace of events (a failed run is replayed with it
	// on); verbose also prints it as it happens.
	tracing, verbose bool
}

// simFailure is how a broken invariant ends a run (as a panic, recovered
// by runSim).
type simFailure struct{ msg string }

func newWorld(t testing.TB, seed uint64, p simParams) *world {
	w := &world{
		t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, seed^0x5eed5eed5eed5eed)), p: p,
		cut: map[[2]int]bool{}, truth: newTruth(), stats: map[string]int{},
	}
	w.p.opts.Logger = slog.New(traceHandler{w})
	for i := range p.nodes {
		w.nodes = append(w.nodes, newSimNode(w, i))
	}
	w.meta = newSimMeta(w)
	return w
}

func simAddr(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, byte(10 + i)}), 34801)
}

func (w *world) index(a netip.AddrPort) int {
	for i, n := range w.nodes {
		if n.addr == a {
			return i
		}
	}
	return -1
}

func (w *world) clock() time.Time { return simT0.Add(time.Duration(w.now) * time.Second) }

func (w *world) logf(format string, args ...any) {
	if !w.tracing {
		return
	}
	line := fmt.Sprintf("[%d t%d] ", w.step, w.now) + fmt.Sprintf(format, args...)
	if w.verbose {
		w.t.Log(line)
	}
	w.trace = append(w.trace, line)
	if len(w.trace) > 100000 {
		w.trace = slices.Delete(w.trace, 0, 10000)
	}
}

func (w *world) failf(format string, args ...any) {
	panic(simFailure{fmt.Sprintf("seed %d, step %d, tick %d: %s", w.seed, w.step, w.now, fmt.Sprintf(format, args...))})
}

func (w *world) chance(pct int) bool { return pct > 0 && w.rng.IntN(100) < pct }

func (w *world) send(e envelope) {
	e.at = w.now
	if w.p.maxDelay > 0 {
		e.at += w.rng.Int64N(w.p.maxDelay + 1)
	}
	w.net = append(w.net, &e)
}

// deliver hands one due message, picked at random (so reordered), to its
// receiver; it may be lost or duplicated on the way.
func (w *world) deliver() bool {
	due := 0
	for _, e := range w.net {
		if e.at <= w.now {
			due++
		}
	}
	if due == 0 {
		return false
	}
	k := w.rng.IntN(due)
	i := 0
	for ; ; i++ {
		if w.net[i].at <= w.now {
			if k == 0 {
				break
			}
			k--
		}
	}
	e := w.net[i]
	last := len(w.net) - 1
	w.net[i], w.net[last] = w.net[last], nil
	w.net = w.net[:last]
	if !w.calm && w.chance(w.p.lossPct) {
		w.stats["msg lost"]++
		return true
	}
	if e.kind != envClientWrite && !w.calm && w.chance(w.p.dupPct) {
		w.stats["msg duplicated"]++
		w.send(*e)
	}
	if e.from >= 0 && e.to >= 0 && w.cut[linkKey(e.from, e.to)] {
		w.stats["msg cut"]++
		return true
	}
	switch e.kind {
	case envUpdate:
		w.meta.onUpdate(*e)
	default:
		w.nodes[e.to].receive(*e)
	}
	return true
}

func linkKey(a, b int) [2]int { return [2]int{min(a, b), max(a, b)} }

// traceHandler turns the replicas' debug logs into trace lines.
type traceHandler struct{ w *world }

func (h traceHandler) Enabled(context.Context, slog.Level) bool { return h.w.tracing }
func (h traceHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h traceHandler) WithGroup(string) slog.Handler            { return h }
func (h traceHandler) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		b.WriteString(" ")
		b.WriteString(a.Key)
		b.WriteString("=")
		b.WriteString(a.Value.String())
		return true
	})
	h.w.logf("%s", b.String())
	return nil
}
