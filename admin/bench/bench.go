package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/client"
)

// Config is one benchmark run.
type Config struct {
	MetaServers []string
	Table       string
	// Op: "set", "get", "mixed" (ReadRatio of gets, the rest sets) or
	// "fill" (each key of the key space set once, in order).
	Op        string
	ReadRatio float64
	Workers   int
	ValueSize int
	// Keys is the key space: hash keys "k<n>" for n in [0, Keys).
	Keys int
	// The run ends after Duration or after Count operations, whichever
	// comes first (at least one must be set).
	Duration time.Duration
	Count    int64
	// Rate caps the total operations per second (0: as fast as the
	// workers go), for measuring latency at a given load.
	Rate float64
	// Timeout bounds each operation.
	Timeout time.Duration
	Seed    int64
	// Check records every acknowledged write and verifies every read
	// against it, during the run and, for every key written, after it
	// (check.go). Each worker then owns the keys k % Workers == worker.
	Check bool
	// Stop, if not nil, ends the load when closed (as Duration does; with
	// Check the verification still runs).
	Stop <-chan struct{}
	// Progress, if set, is called about once a second with the operations
	// acknowledged so far (for tests and live output).
	Progress func(acked int64)
	// ServerCost reads the replica servers' metrics before and after the
	// load and reports their CPU, allocation and log syncs per operation
	// (servercost.go). pegasus-go servers only.
	ServerCost bool
}

// OpStats summarises one kind of operation.
type OpStats struct {
	Ops       uint64  `json:"ops"`
	Errors    uint64  `json:"errors"`
	OpsPerSec float64 `json:"ops_per_sec"`
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
	P999Ms    float64 `json:"p999_ms"`
	MaxMs     float64 `json:"max_ms"`
}

// Result is a run's outcome.
type Result struct {
	Op        string             `json:"op"`
	Rate      float64            `json:"target_rate,omitempty"`
	Workers   int                `json:"workers"`
	ValueSize int                `json:"value_size"`
	Seconds   float64            `json:"seconds"`
	Total     OpStats            `json:"total"`
	ByOp      map[string]OpStats `json:"by_op"`
	// FirstError is the first failure seen, if any.
	FirstError string `json:"first_error,omitempty"`
	// Check is the checker's verdict with -check.
	Check *CheckResult `json:"check,omitempty"`
	// Servers is the replica servers' cost with ServerCost.
	Servers *ServerCost `json:"servers,omitempty"`
	// Machine is how the bench's own machine's CPUs spent the run (Linux
	// only; machine.go).
	Machine *MachineCPU `json:"machine,omitempty"`
}

type workerStats struct {
	hist   map[string]*histogram
	errors map[string]uint64
}

// Run executes the benchmark.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Workers <= 0 || cfg.Keys <= 0 || cfg.ValueSize < 0 {
		return nil, errors.New("bench: workers and keys must be positive, value size not negative")
	}
	if cfg.Duration <= 0 && cfg.Count <= 0 {
		return nil, errors.New("bench: set a duration or a count")
	}
	switch cfg.Op {
	case "set", "get", "mixed", "fill":
	default:
		return nil, fmt.Errorf("bench: unknown op %q (set, get, mixed, fill)", cfg.Op)
	}
	if cfg.Check && cfg.Op == "fill" {
		return nil, errors.New("bench: -check needs -op set, get or mixed (fill writes keys in an order workers share)")
	}
	if cfg.Check && cfg.Keys < cfg.Workers {
		return nil, errors.New("bench: -check needs at least one key per worker")
	}
	if cfg.Op == "fill" && (cfg.Count <= 0 || cfg.Count > int64(cfg.Keys)) {
		cfg.Count = int64(cfg.Keys)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	c := client.New(client.Config{MetaServers: cfg.MetaServers})
	defer c.Close()
	octx, cancel := context.WithTimeout(ctx, 30*time.Second)
	table, err := c.OpenTable(octx, cfg.Table)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("bench: open table %s: %w", cfg.Table, err)
	}
	runCtx, endRun := context.WithCancel(ctx)
	defer endRun()
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(runCtx, cfg.Duration)
		defer cancel()
	}
	if cfg.Stop != nil {
		stopped := make(chan struct{})
		defer close(stopped)
		go func() {
			select {
			case <-cfg.Stop:
				endRun()
			case <-stopped:
			}
		}()
	}
	var issued atomic.Int64
	var firstErr atomic.Value
	stats := make([]*workerStats, cfg.Workers)
	value := make([]byte, cfg.ValueSize)
	rand.New(rand.NewSource(cfg.Seed)).Read(value)
	var chk *checker
	if cfg.Check {
		chk = newChecker(cfg.ValueSize)
	}
	var acked atomic.Int64
	var cost *admin.Window
	if cfg.ServerCost {
		if cost, err = startCost(ctx, cfg.MetaServers); err != nil {
			return nil, err
		}
	}
	stopProgress := make(chan struct{})
	var progressDone sync.WaitGroup
	if cfg.Progress != nil {
		progressDone.Add(1)
		go func() {
			defer progressDone.Done()
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-stopProgress:
					return
				case <-tick.C:
					cfg.Progress(acked.Load())
				}
			}
		}()
	}
	cpuBefore, haveCPU := readCPUTimes()
	start := time.Now()
	// With a rate, operation n may not start before start + n/rate.
	var interval time.Duration
	if cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) / cfg.Rate)
	}
	var wg sync.WaitGroup
	for w := 0; w < cfg.Workers; w++ {
		ws := &workerStats{hist: map[string]*histogram{"set": {}, "get": {}}, errors: map[string]uint64{}}
		stats[w] = ws
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(cfg.Seed + int64(w) + 1))
			for runCtx.Err() == nil {
				n := issued.Add(1)
				if cfg.Count > 0 && n > cfg.Count {
					return
				}
				if interval > 0 {
					if wait := time.Until(start.Add(time.Duration(n) * interval)); wait > 0 {
						select {
						case <-time.After(wait):
						case <-runCtx.Done():
							return
						}
					}
				}
				op, key := pick(cfg, rng, n)
				if chk != nil {
					key = ownedKey(cfg, w, key)
				}
				hk := []byte(fmt.Sprintf("k%d", key))
				val, seq := value, int64(0)
				if chk != nil && op == "set" {
					seq, val = chk.nextWrite(key)
				}
				// The operation may outlive the run by up to Timeout: a write
				// cut off at the end would have an unknown outcome.
				opCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
				t0 := time.Now()
				var err error
				var got []byte
				if op == "get" {
					got, err = table.Get(opCtx, hk, nil)
				} else {
					err = table.Set(opCtx, hk, nil, val)
				}
				elapsed := time.Since(t0)
				cancel()
				if chk != nil {
					switch {
					case op == "set":
						chk.wrote(key, seq, err == nil)
					case err == nil:
						chk.read(key, got)
					}
				}
				if err != nil {
					if ctx.Err() != nil {
						return // the caller gave up under this op; not its failure
					}
					ws.errors[op]++
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%s %s: %v", op, hk, err))
					continue
				}
				acked.Add(1)
				ws.hist[op].record(elapsed)
			}
		}(w)
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	var machine *MachineCPU
	if cpuAfter, ok := readCPUTimes(); ok && haveCPU {
		machine = machineBetween(cpuBefore, cpuAfter)
	}
	if cost != nil {
		cost.End(ctx) // now, before the check's read-back adds its own work
	}
	close(stopProgress)
	progressDone.Wait()
	res := &Result{Op: cfg.Op, Rate: cfg.Rate, Workers: cfg.Workers, ValueSize: cfg.ValueSize, Seconds: secs, ByOp: map[string]OpStats{}, Machine: machine}
	total := &histogram{}
	var totalErr uint64
	for _, op := range []string{"set", "get"} {
		h := &histogram{}
		var errs uint64
		for _, ws := range stats {
			h.merge(ws.hist[op])
			errs += ws.errors[op]
		}
		if h.total == 0 && errs == 0 {
			continue
		}
		res.ByOp[op] = summarize(h, errs, secs)
		total.merge(h)
		totalErr += errs
	}
	res.Total = summarize(total, totalErr, secs)
	if v := firstErr.Load(); v != nil {
		res.FirstError = v.(string)
	}
	if cost != nil {
		res.Servers = costOf(*cost, res.Total.Ops, res.ByOp["set"].Ops)
	}
	if chk != nil {
		verifyAll(ctx, table, chk, cfg.Timeout)
		res.Check = chk.result()
	}
	return res, nil
}

// ownedKey maps a key drawn from the whole key space to one that worker w
// owns (k % Workers == w).
func ownedKey(cfg Config, w, key int) int {
	owned := (cfg.Keys - w + cfg.Workers - 1) / cfg.Workers
	return w + cfg.Workers*(key%owned)
}

// verifyLimit bounds the read-back after a -check run.
const verifyLimit = 3 * time.Minute

// verifyAll reads back every key the run wrote, in batches, each retried
// until its timeout (several times the operation timeout: the cluster may
// still be settling).
func verifyAll(ctx context.Context, table *client.Table, chk *checker, opTimeout time.Duration) {
	keysWritten := chk.written()
	// The whole verification is bounded: past it the keys not read yet
	// count as verify errors.
	ctx, cancel := context.WithTimeout(ctx, verifyLimit)
	defer cancel()
	const chunk = 100
	for i := 0; i < len(keysWritten); i += chunk {
		part := keysWritten[i:min(i+chunk, len(keysWritten))]
		ks := make([]client.CompositeKey, len(part))
		for j, k := range part {
			ks[j] = client.CompositeKey{HashKey: []byte(fmt.Sprintf("k%d", k))}
		}
		var vals [][]byte
		var err error
		for attempt := 0; attempt < 3; attempt++ {
			vctx, cancel := context.WithTimeout(ctx, 2*opTimeout)
			vals, err = table.BatchGet(vctx, ks)
			cancel()
			if err == nil || ctx.Err() != nil {
				break
			}
		}
		for j, k := range part {
			if err != nil {
				chk.verifyFailed(k, err)
				continue
			}
			chk.verified(k, vals[j])
		}
	}
}

func pick(cfg Config, rng *rand.Rand, n int64) (op string, key int) {
	switch cfg.Op {
	case "fill":
		return "set", int(n-1) % cfg.Keys
	case "get":
		return "get", rng.Intn(cfg.Keys)
	case "set":
		return "set", rng.Intn(cfg.Keys)
	}
	if rng.Float64() < cfg.ReadRatio {
		return "get", rng.Intn(cfg.Keys)
	}
	return "set", rng.Intn(cfg.Keys)
}

func summarize(h *histogram, errs uint64, secs float64) OpStats {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return OpStats{
		Ops: h.total, Errors: errs, OpsPerSec: float64(h.total) / secs,
		P50Ms: ms(h.quantile(0.5)), P99Ms: ms(h.quantile(0.99)), P999Ms: ms(h.quantile(0.999)), MaxMs: ms(h.max),
	}
}

// Print writes the result as text or, with asJSON, as one JSON object.
func (r *Result) Print(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(w, "op=%s workers=%d value_size=%d duration=%.1fs", r.Op, r.Workers, r.ValueSize, r.Seconds)
	if r.Rate > 0 {
		fmt.Fprintf(w, " target_rate=%.0f/s", r.Rate)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-6s %10s %8s %12s %9s %9s %9s %9s\n", "op", "ops", "errors", "ops/s", "p50(ms)", "p99(ms)", "p999(ms)", "max(ms)")
	row := func(name string, s OpStats) {
		fmt.Fprintf(w, "%-6s %10d %8d %12.0f %9.3f %9.3f %9.3f %9.3f\n", name, s.Ops, s.Errors, s.OpsPerSec, s.P50Ms, s.P99Ms, s.P999Ms, s.MaxMs)
	}
	for _, op := range []string{"set", "get"} {
		if s, ok := r.ByOp[op]; ok {
			row(op, s)
		}
	}
	if len(r.ByOp) > 1 {
		row("total", r.Total)
	}
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error: %s\n", r.FirstError)
	}
	if r.Servers != nil {
		r.Servers.print(w)
	}
	if r.Machine != nil {
		r.Machine.print(w)
	}
	if c := r.Check; c != nil {
		verdict := "OK"
		if !c.OK() {
			verdict = "FAILED"
		}
		fmt.Fprintf(w, "check %s: %d keys, %d acked writes, %d unknown writes, %d reads checked, %d keys verified; "+
			"lost writes %d, wrong reads %d, verify errors %d\n", verdict, c.Keys, c.AckedWrites, c.UnknownWrites,
			c.ReadsChecked, c.Verified, c.LostWrites, c.WrongReads, c.VerifyErrors)
		if c.FirstProblem != "" {
			fmt.Fprintf(w, "first problem: %s\n", c.FirstProblem)
		}
	}
	return nil
}
