package admin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pegasus-go/pegasus/client"
)

// ValueMatch says how a scan's value filter compares values; values are
// filtered on the client (the scan RPC filters keys only).
type ValueMatch int

// The value filter types.
const (
	ValueAny ValueMatch = iota
	ValueAnywhere
	ValuePrefix
	ValuePostfix
	ValueExact
)

// RowFilter selects rows of a whole-table scan.
type RowFilter struct {
	HashKey client.Filter
	SortKey client.Filter
	// SortKeyExact keeps only sort keys equal to SortKey.Pattern (sent to
	// the server as a prefix filter).
	SortKeyExact bool
	Value        ValueMatch
	ValuePattern []byte
}

// ScanOptions builds the scanner options of f.
func (f RowFilter) ScanOptions(batch int, noValue bool) *client.ScanOptions {
	o := client.DefaultScanOptions()
	if batch > 0 {
		o.BatchSize = batch
	}
	o.HashKeyFilter = f.HashKey
	o.SortKeyFilter = f.SortKey
	if f.SortKeyExact {
		o.SortKeyFilter = client.Filter{Type: client.FilterTypeMatchPrefix, Pattern: f.SortKey.Pattern}
	}
	o.NoValue = noValue && f.Value == ValueAny
	return &o
}

// Match applies the parts of f the server does not.
func (f RowFilter) Match(sortKey, value []byte) bool {
	if f.SortKeyExact && !bytes.Equal(sortKey, f.SortKey.Pattern) {
		return false
	}
	return MatchValue(f.Value, f.ValuePattern, value)
}

// MatchValue applies a value filter.
func MatchValue(m ValueMatch, pattern, value []byte) bool {
	switch m {
	case ValueAnywhere:
		return bytes.Contains(value, pattern)
	case ValuePrefix:
		return bytes.HasPrefix(value, pattern)
	case ValuePostfix:
		return bytes.HasSuffix(value, pattern)
	case ValueExact:
		return bytes.Equal(value, pattern)
	}
	return true
}

// ScanJob describes a whole-table scan shared by count, copy and clear.
type ScanJob struct {
	Table     *client.Table
	Partition int // -1: every partition
	Filter    RowFilter
	Batch     int           // rows per scan round trip; 0: default
	Timeout   time.Duration // per round trip
	NoValue   bool
	// Parallel scans this many partitions at once (at least 1).
	Parallel int
	// Progress, when set, is called from time to time and at the end.
	Progress func(ScanProgress)
}

// ScanProgress is a snapshot of a running scan.
type ScanProgress struct {
	Splits, SplitsDone int
	Rows               int64 // rows matched so far
	Elapsed            time.Duration
}

// Row is one matched row of a scan.
type Row struct {
	Partition        int
	HashKey, SortKey []byte
	Value            []byte
}

// Run scans every selected partition, calling visit for each matching row
// (from up to Parallel goroutines at once, so visit must be safe for
// concurrent use). It returns the rows matched per partition index; it
// stops at the first error from a scanner or from visit, or when ctx ends.
func (j ScanJob) Run(ctx context.Context, visit func(ctx context.Context, r Row) error) (map[int]int64, error) {
	count := j.Table.PartitionCount()
	if j.Partition >= count {
		return nil, fmt.Errorf("partition %d out of range, should be in range of [0,%d]", j.Partition, count-1)
	}
	// One scanner per partition: scanner i covers exactly partition i.
	scanners, err := j.Table.GetUnorderedScanners(ctx, count, j.Filter.ScanOptions(j.Batch, j.NoValue))
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, s := range scanners {
			s.Close()
		}
	}()
	var parts []int
	for i := range scanners {
		if j.Partition < 0 || j.Partition == i {
			parts = append(parts, i)
		}
	}
	parallel := max(1, j.Parallel)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		rows      atomic.Int64
		done      atomic.Int64
		mu        sync.Mutex // guards perPart and firstErr
		perPart   = map[int]int64{}
		firstErr  error
		start     = time.Now()
		next      = make(chan int)
		wg        sync.WaitGroup
		stopTimer = make(chan struct{})
	)
	report := func() {
		if j.Progress != nil {
			j.Progress(ScanProgress{Splits: len(parts), SplitsDone: int(done.Load()), Rows: rows.Load(), Elapsed: time.Since(start)})
		}
	}
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				n, err := j.scanPartition(ctx, p, scanners[p], &rows, visit)
				mu.Lock()
				perPart[p] = n
				mu.Unlock()
				if err != nil {
					fail(err)
					continue
				}
				done.Add(1)
			}
		}()
	}
	var tick sync.WaitGroup
	tick.Add(1)
	go func() {
		defer tick.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stopTimer:
				return
			case <-t.C:
				report()
			}
		}
	}()
feed:
	for _, p := range parts {
		select {
		case next <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(stopTimer)
	tick.Wait()
	report()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return perPart, firstErr
}

func (j ScanJob) scanPartition(ctx context.Context, p int, s *client.Scanner, rows *atomic.Int64, visit func(context.Context, Row) error) (int64, error) {
	var n int64
	for {
		cctx, cancel := ctx, context.CancelFunc(func() {})
		if j.Timeout > 0 {
			cctx, cancel = context.WithTimeout(ctx, j.Timeout)
		}
		done, hk, sk, v, err := s.Next(cctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			return n, fmt.Errorf("scan partition %d: %w", p, err)
		}
		if done {
			return n, nil
		}
		if !j.Filter.Match(sk, v) {
			continue
		}
		if err := visit(ctx, Row{Partition: p, HashKey: hk, SortKey: sk, Value: v}); err != nil {
			return n, err
		}
		n++
		rows.Add(1)
	}
}

// CountResult is what CountData found.
type CountResult struct {
	Rows      int64
	HashKeys  int64         // distinct hash keys, when asked for
	PerSplit  map[int]int64 // rows per partition
	TimedOut  bool          // the run time limit ended the count
	Partition int
}

// CountData counts the rows of j's table that match its filter. With
// distinctHashKeys it also counts distinct hash keys (a scanner returns a
// hash key's rows together). A positive runFor stops the count after that
// long and reports what was counted.
func CountData(ctx context.Context, j ScanJob, distinctHashKeys bool, runFor time.Duration) (CountResult, error) {
	var hashKeys atomic.Int64
	var mu sync.Mutex // guards last
	last := map[int][]byte{}
	j.NoValue = true
	if runFor > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, runFor)
		defer cancel()
	}
	per, err := j.Run(ctx, func(_ context.Context, r Row) error {
		if distinctHashKeys {
			mu.Lock()
			if prev, ok := last[r.Partition]; !ok || !bytes.Equal(prev, r.HashKey) {
				last[r.Partition] = append([]byte(nil), r.HashKey...)
				hashKeys.Add(1)
			}
			mu.Unlock()
		}
		return nil
	})
	res := CountResult{HashKeys: hashKeys.Load(), PerSplit: per}
	for _, n := range per {
		res.Rows += n
	}
	if runFor > 0 && errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		res.TimedOut = true
		err = nil
	}
	return res, err
}

// ClearData deletes the rows of j's table that match its filter, in
// multi-delete batches of up to batch sort keys of one hash key. It
// returns the rows deleted per partition.
func ClearData(ctx context.Context, j ScanJob, batch int) (map[int]int64, error) {
	if batch <= 0 {
		batch = 500
	}
	j.NoValue = true
	type pending struct {
		hk  []byte
		sks [][]byte
	}
	var mu sync.Mutex // guards open
	open := map[int]*pending{}
	flush := func(ctx context.Context, p *pending) error {
		if p == nil || len(p.sks) == 0 {
			return nil
		}
		cctx, cancel := ctx, context.CancelFunc(func() {})
		if j.Timeout > 0 {
			cctx, cancel = context.WithTimeout(ctx, j.Timeout)
		}
		defer cancel()
		if err := j.Table.MultiDel(cctx, p.hk, p.sks); err != nil {
			return fmt.Errorf("delete data failed: %w", err)
		}
		p.sks = p.sks[:0]
		return nil
	}
	per, err := j.Run(ctx, func(ctx context.Context, r Row) error {
		mu.Lock()
		p := open[r.Partition]
		if p == nil {
			p = &pending{}
			open[r.Partition] = p
		}
		mu.Unlock()
		// Only this partition's goroutine touches p.
		if len(p.sks) > 0 && (!bytes.Equal(p.hk, r.HashKey) || len(p.sks) >= batch) {
			if err := flush(ctx, p); err != nil {
				return err
			}
		}
		if len(p.sks) == 0 {
			p.hk = append(p.hk[:0], r.HashKey...)
		}
		p.sks = append(p.sks, append([]byte(nil), r.SortKey...))
		return nil
	})
	if err != nil {
		return per, err
	}
	for _, p := range open {
		if err := flush(ctx, p); err != nil {
			return per, err
		}
	}
	return per, nil
}

// CopyOptions shape CopyData.
type CopyOptions struct {
	Target *client.Table
	// NoOverwrite keeps rows that already exist in the target (written
	// with check_and_set not_exist).
	NoOverwrite bool
	// Concurrency bounds writes in flight per partition (at least 1).
	Concurrency int
}

// CopyData writes every row of j's table that matches its filter into
// o.Target. Values are copied without their TTLs (the scanner does not
// return expiry times yet). It returns the rows copied per partition.
func CopyData(ctx context.Context, j ScanJob, o CopyOptions) (map[int]int64, error) {
	conc := max(1, o.Concurrency)
	sem := make(chan struct{}, conc*max(1, j.Parallel))
	var wg sync.WaitGroup
	var mu sync.Mutex // guards werr
	var werr error
	// Writes run on the caller's ctx: they may still be in flight when
	// the scan (whose context Run cancels on return) has ended.
	wctx := ctx
	per, err := j.Run(ctx, func(ctx context.Context, r Row) error {
		mu.Lock()
		e := werr
		mu.Unlock()
		if e != nil {
			return e
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cctx, cancel := wctx, context.CancelFunc(func() {})
			if j.Timeout > 0 {
				cctx, cancel = context.WithTimeout(wctx, j.Timeout)
			}
			defer cancel()
			var err error
			if o.NoOverwrite {
				_, err = o.Target.CheckAndSet(cctx, r.HashKey, r.SortKey, client.CheckTypeValueNotExist, nil, r.SortKey, r.Value, nil)
			} else {
				err = o.Target.Set(cctx, r.HashKey, r.SortKey, r.Value)
			}
			if err != nil {
				mu.Lock()
				if werr == nil {
					werr = fmt.Errorf("write to target failed: %w", err)
				}
				mu.Unlock()
			}
		}()
		return nil
	})
	wg.Wait()
	if err == nil {
		err = werr
	}
	return per, err
}
