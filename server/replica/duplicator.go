package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// A duplicator ships one primary partition's writes to one duplication's
// follower table (design notes §7). It is owned by the node's duplication
// registry (dup_sync.go), which creates it when the meta's duplication map
// lists the partition's table and this server is the partition's primary,
// tells it every status, fail mode and progress change, and stops it when
// the duplication is removed or the replica is no longer primary.
//
//	DS_APP    ship a snapshot of the partition taken at decree D0 (every
//	          live row as a put with its TTL and timetag), then confirmed =
//	          D0 and checkpoint_prepared (dup_checkpoint.go).
//	DS_LOG    ship the committed mutations after confirmed, read from the
//	          shared mutation log; confirmed advances only over decrees
//	          whose every entry the follower acknowledged.
//	DS_PAUSE  (and DS_INIT, DS_PREPARE) ship nothing; progress is kept.
//
// A failed shipment is retried after dupRetryDelay (FAIL_SLOW), skipped
// after dupSkipAttempts tries (FAIL_SKIP), or puts the replica in ERROR
// (FAIL_FAST). Every wait ends
// with the duplicator's context, so stopping it never hangs.

const (
	// dupIdleWait is how long a duplicator waits when nothing is new.
	dupIdleWait = 100 * time.Millisecond
	// dupRetryDelay spaces retries of a failed shipment (FAIL_SLOW).
	dupRetryDelay = time.Second
	// dupLoadMutations and dupLoadBytes bound one round of log shipping.
	dupLoadMutations = 512
	dupLoadBytes     = 1 << 20
	// dupShipParallel bounds the follower partitions a round ships to at
	// once (each partition's batches go one after another, in order).
	dupShipParallel = 8
	// dupShipTimeout bounds one duplicate request, retries included.
	dupShipTimeout = 10 * time.Second
	// dupSkipAttempts is how often FAIL_SKIP tries a round before it gives
	// its decrees up.
	dupSkipAttempts = 3
)

// dupTarget is where a duplication ships: the follower table.
type dupTarget interface {
	// PartitionCount is the follower table's partition count (0 when
	// unknown: batches are then grouped by exact hash).
	PartitionCount() int32
	// Ship sends one batch and returns once the follower applied it.
	Ship(ctx context.Context, b dupBatch) error
}

// dupKey names one duplicator.
type dupKey struct {
	gpid  base.Gpid
	dupid int32
}

// dupSettings is what the meta says about a duplication.
type dupSettings struct {
	status    admin.DuplicationStatus
	failMode  admin.DuplicationFailMode
	remote    string
	remoteApp string
}

// duplicator is one (primary partition, duplication) pipeline.
type duplicator struct {
	key       dupKey
	r         *Replica
	clusterID int64
	target    func(ctx context.Context) (dupTarget, error)
	log       *slog.Logger

	mu       sync.Mutex // guards the fields below
	settings dupSettings
	// confirmed is the last decree the follower holds every write up to
	// (-1: unknown yet); ckptDone says DS_APP's snapshot was shipped.
	confirmed int64
	ckptDone  bool
	lastErr   string

	shippedEntries atomic.Int64
	shippedBytes   atomic.Int64
	failures       atomic.Int64

	// streak counts the failures of the current round (run's goroutine).
	streak int

	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

func newDuplicator(key dupKey, r *Replica, clusterID int64, s dupSettings, confirmed int64,
	target func(context.Context) (dupTarget, error), logger *slog.Logger) *duplicator {
	ctx, cancel := context.WithCancel(context.Background())
	return &duplicator{
		key: key, r: r, clusterID: clusterID, target: target,
		log:      logger.With("gpid", gpidString(key.gpid), "dupid", key.dupid, "remote", s.remote),
		settings: s, confirmed: confirmed,
		wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{}),
	}
}

// start runs the pipeline on its own goroutine until stop.
func (d *duplicator) start() { go d.run() }

// stop ends the pipeline and waits for its goroutine.
func (d *duplicator) stop() {
	d.cancel()
	<-d.done
}

// update takes the meta's settings and its authoritative progress
// (-1: none yet): progress only ever moves forward.
func (d *duplicator) update(s dupSettings, progress int64) {
	d.mu.Lock()
	d.settings = s
	if progress > d.confirmed {
		d.confirmed = progress
	}
	if s.status == admin.DuplicationStatus_DS_APP && progress >= 0 {
		d.ckptDone = true // the meta only holds a progress from a finished snapshot
	}
	d.mu.Unlock()
	d.poke()
}

func (d *duplicator) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// progress is what the sync reports: confirmed decree and whether the
// snapshot was shipped.
func (d *duplicator) progress() (confirmed int64, ckptDone bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.confirmed, d.ckptDone
}

func (d *duplicator) current() (dupSettings, int64, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.settings, d.confirmed, d.ckptDone
}

// wait pauses for dur or until poked; false when the duplicator stops.
func (d *duplicator) wait(dur time.Duration) bool {
	t := time.NewTimer(dur)
	defer t.Stop()
	select {
	case <-d.ctx.Done():
		return false
	case <-d.r.stopped:
		return false
	case <-d.wake:
		return true
	case <-t.C:
		return true
	}
}

func (d *duplicator) run() {
	defer close(d.done)
	var cur *logReader
	for d.ctx.Err() == nil {
		if d.r.Status() != StatusPrimary {
			// The registry stops it at the next sync; meanwhile ship nothing.
			if !d.wait(dupIdleWait) {
				return
			}
			continue
		}
		s, confirmed, ckptDone := d.current()
		var err error
		idle := false
		switch s.status {
		case admin.DuplicationStatus_DS_APP:
			if ckptDone {
				idle = true
				break
			}
			var d0 int64
			d0, err = d.shipCheckpoint()
			switch {
			case errors.Is(err, errNoDecreeYet):
				err, idle = nil, true
			case err == nil:
				d.mu.Lock()
				d.confirmed, d.ckptDone = max(d.confirmed, d0), true
				d.mu.Unlock()
				d.log.Info("duplication: snapshot shipped", "decree", d0)
			}
		case admin.DuplicationStatus_DS_LOG:
			if confirmed < 0 {
				// No checkpoint and no progress yet: start after what is
				// committed now.
				start := d.r.committed.Load()
				d.mu.Lock()
				if d.confirmed < 0 {
					d.confirmed = start
				}
				d.mu.Unlock()
				d.log.Info("duplication: shipping the log", "after", start)
				continue
			}
			if cur == nil {
				cur = newLogReader(d.r, confirmed+1)
			} else if cur.cur.Next() != confirmed+1 {
				cur.reset(confirmed + 1) // the meta's progress moved it
			}
			var upTo int64
			upTo, idle, err = d.shipLog(cur, confirmed)
			if errors.Is(err, errLogGap) {
				// The log no longer holds what the follower lacks (this
				// replica learned a checkpoint past it): a new snapshot
				// catches the follower up instead of stalling for good.
				// Rows deleted within the gap stay on the follower.
				d.log.Error("duplication: the mutation log misses decrees to ship; shipping a snapshot instead", "err", err)
				if upTo, err = d.shipCheckpoint(); errors.Is(err, errNoDecreeYet) {
					err, idle = nil, true
				}
			}
			if err == nil && !idle {
				d.mu.Lock()
				d.confirmed = max(d.confirmed, upTo)
				d.mu.Unlock()
			}
		default:
			idle = true
		}
		if err != nil {
			if !d.failed(err, s.failMode, cur) {
				return
			}
			continue
		}
		if !idle {
			d.streak = 0
		}
		if idle && !d.wait(dupIdleWait) {
			return
		}
	}
}

// failed handles a failed round by the fail mode; false ends the pipeline.
func (d *duplicator) failed(err error, mode admin.DuplicationFailMode, cur *logReader) bool {
	if d.ctx.Err() != nil {
		return false
	}
	d.failures.Add(1)
	d.streak++
	d.mu.Lock()
	d.lastErr = err.Error()
	d.mu.Unlock()
	var skip *skippable
	switch {
	case mode == admin.DuplicationFailMode_FAIL_FAST:
		d.log.Error("duplication: shipping failed; FAIL_FAST puts the replica in error", "err", err)
		d.r.post(func() {
			if !d.r.broken {
				d.r.broken = true
				d.r.sm.Fail()
			}
		})
		return false
	case mode == admin.DuplicationFailMode_FAIL_SKIP && errors.As(err, &skip) && d.streak >= dupSkipAttempts:
		d.streak = 0
		d.log.Warn("duplication: shipping failed; FAIL_SKIP skips the decrees", "through", skip.upTo, "err", err)
		d.mu.Lock()
		d.confirmed = max(d.confirmed, skip.upTo)
		d.mu.Unlock()
		return true
	}
	d.log.Warn("duplication: shipping failed; retrying", "err", err, "in", dupRetryDelay)
	if cur != nil {
		_, confirmed, _ := d.current()
		cur.reset(confirmed + 1)
	}
	return d.wait(dupRetryDelay)
}

// skippable is a shipment failure FAIL_SKIP may step over: the decrees up
// to upTo are then given up.
type skippable struct {
	upTo int64
	err  error
}

func (e *skippable) Error() string { return e.err.Error() }
func (e *skippable) Unwrap() error { return e.err }

// shipLog ships the next committed mutations after confirmed; upTo is the
// last decree shipped, idle that nothing was new.
func (d *duplicator) shipLog(cur *logReader, confirmed int64) (upTo int64, idle bool, err error) {
	committed := d.r.committed.Load()
	if committed <= confirmed {
		return confirmed, true, nil
	}
	ms, err := cur.load(committed, dupLoadMutations, dupLoadBytes)
	if err != nil {
		return confirmed, false, err
	}
	if len(ms) == 0 {
		return confirmed, true, nil
	}
	upTo = ms[len(ms)-1].Decree
	var entries []shippedEntry
	for _, m := range ms {
		if entries, err = convertMutation(m, d.clusterID, entries); err != nil {
			return confirmed, false, &skippable{upTo: upTo, err: fmt.Errorf("convert: %w", err)}
		}
	}
	if err := d.ship(entries); err != nil {
		return confirmed, false, &skippable{upTo: upTo, err: err}
	}
	return upTo, false, nil
}

// ship sends entries to the follower: each follower partition's batches in
// order, up to dupShipParallel partitions at once. It returns once every
// batch is acknowledged, or with the first failure.
func (d *duplicator) ship(entries []shippedEntry) error {
	if len(entries) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(d.ctx)
	defer cancel()
	tctx, tcancel := context.WithTimeout(ctx, dupShipTimeout)
	t, err := d.target(tctx)
	tcancel()
	if err != nil {
		return fmt.Errorf("follower table: %w", err)
	}
	groups := batchEntries(entries, t.PartitionCount())
	sem := make(chan struct{}, dupShipParallel)
	errs := make(chan error, len(groups))
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			for _, b := range g {
				bctx, bcancel := context.WithTimeout(ctx, dupShipTimeout)
				err := t.Ship(bctx, b)
				bcancel()
				if err != nil {
					errs <- err
					cancel()
					return
				}
				d.shippedEntries.Add(int64(len(b.entries)))
				d.shippedBytes.Add(int64(b.bytes))
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("ship to the follower: %w", err)
	}
	return nil
}
