package testbox

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin/bench"
)

// CheckedLoad is a bench load with its checker on (every read compared
// with the acknowledged writes, every written key read back at the end),
// run in the background while a test does something to the box.
type CheckedLoad struct {
	// FailuresExpected: operations may fail (time out) without failing the
	// test, e.g. while a killed server's partitions wait for failure
	// detection; lost writes and wrong reads still fail it.
	FailuresExpected bool

	acked    atomic.Int64 // operations acknowledged, as of the load's last progress report
	stop     chan struct{}
	done     chan struct{}
	cancel   context.CancelFunc
	res      *bench.Result
	err      error
	finished bool // Finish has judged the result
}

// StartLoad runs cfg in the background with Check on (cfg.Stop is the
// load's own). The load ends by itself after cfg.Duration or cfg.Count, or
// when Finish is called; Finish also runs when the test ends.
func StartLoad(t testing.TB, cfg bench.Config) *CheckedLoad {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &CheckedLoad{stop: make(chan struct{}), done: make(chan struct{}), cancel: cancel}
	cfg.Check, cfg.Stop = true, l.stop
	report := cfg.Progress
	cfg.Progress = func(acked int64) {
		l.acked.Store(acked)
		if report != nil {
			report(acked)
		}
	}
	go func() {
		defer close(l.done)
		l.res, l.err = bench.Run(ctx, cfg)
	}()
	t.Cleanup(func() { l.Finish(t) })
	return l
}

// WaitAcked waits until the load has acknowledged n more operations than
// when it was called, and fails the test if that takes longer than within.
// The load reports its count about once a second.
func (l *CheckedLoad) WaitAcked(t testing.TB, n int64, within time.Duration) {
	t.Helper()
	from := l.acked.Load()
	WaitFor(t, within, 100*time.Millisecond, fmt.Sprintf("the load acknowledges %d more operations", n), func() (bool, string) {
		now := l.acked.Load()
		return now-from >= n, fmt.Sprintf("%d more", now-from)
	})
}

// Finish stops the load, waits for its verification and returns the
// result. It fails the test on a lost write, a wrong read, a load that did
// nothing or (unless FailuresExpected) a failed operation. In a test that
// has failed already the box may not answer, so the load's read-back is
// cut short, and what the load saw until then is only logged.
func (l *CheckedLoad) Finish(t testing.TB) *bench.Result {
	t.Helper()
	failed := t.Failed()
	if failed && !l.finished {
		l.cancel()
	}
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	<-l.done
	l.cancel()
	if l.finished {
		return l.res
	}
	l.finished = true
	r := l.res
	if failed {
		if r != nil && r.Check != nil {
			t.Logf("load, cut short after the test failed: %s", summary(r))
		} else {
			t.Logf("load, cut short after the test failed: %v", l.err)
		}
		return r
	}
	if l.err != nil {
		t.Fatalf("load: %v", l.err)
	}
	c := r.Check
	if c == nil {
		t.Fatal("load ran without its checker")
	}
	t.Logf("load: %s", summary(r))
	if !c.OK() {
		t.Fatalf("check failed: lost writes %d, wrong reads %d, verify errors %d; first: %s", c.LostWrites, c.WrongReads, c.VerifyErrors, c.FirstProblem)
	}
	if r.Total.Ops == 0 || c.AckedWrites == 0 {
		t.Fatal("the load did nothing")
	}
	if r.Total.Errors > 0 && !l.FailuresExpected {
		t.Fatalf("%d operations failed (not just retried); first: %s", r.Total.Errors, r.FirstError)
	}
	return r
}

func summary(r *bench.Result) string {
	c := r.Check
	return fmt.Sprintf("%d ops (%d failed, max %.0f ms), set p99 %.1f ms, get p99 %.1f ms; check: %d keys, %d acked writes, %d unknown, %d reads checked, %d verified, lost %d, wrong %d, verify errors %d",
		r.Total.Ops, r.Total.Errors, r.Total.MaxMs, r.ByOp["set"].P99Ms, r.ByOp["get"].P99Ms, c.Keys, c.AckedWrites, c.UnknownWrites, c.ReadsChecked, c.Verified, c.LostWrites, c.WrongReads, c.VerifyErrors)
}
