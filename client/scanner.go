package client

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// Scanner iterates over records, one partition after another, fetching
// them in batches (protocol.md §5.10). Next and Close may be called from
// any goroutine but are serialized; a Scanner is meant for one consumer.
//
// The server keeps a scan context between batches. If it is lost (expired
// after idling, or the partition moved), the scanner starts again right
// after the last record it returned, so no record is returned twice and
// none is skipped.
type Scanner struct {
	t             *Table
	opts          ScanOptions
	stop          []byte // encoded stop key, shared by every partition
	stopInclusive bool
	validateHash  bool
	fullScan      bool

	mu     sync.Mutex // serializes Next and Close; guards everything below
	parts  []scanPart // partitions not started yet
	part   scanPart   // the partition being scanned
	state  scanState
	ctxID  int64            // server context of part, when state == scanContinue
	last   []byte           // encoded key of the last record returned from part
	batch  []*rrdb.KeyValue // records fetched and not yet returned
	closed bool
}

// scanPart is one partition's share of a scan.
type scanPart struct {
	target         target
	start          []byte // encoded start key
	startInclusive bool
}

type scanState int

const (
	scanNextPart scanState = iota // part is finished: move to the next one
	scanStart                     // open a context with GET_SCANNER
	scanContinue                  // fetch the next batch with SCAN(ctxID)
)

// clearScannerTimeout bounds sending CLEAR_SCANNER at Close.
const clearScannerTimeout = 100 * time.Millisecond

// GetScanner returns a scanner over the records of hashKey whose sort keys
// lie between startSortKey and stopSortKey (inclusiveness from opts; an
// empty start means the first sort key, an empty stop the last). Records
// come in sort key order.
func (t *Table) GetScanner(ctx context.Context, hashKey, startSortKey, stopSortKey []byte, opts *ScanOptions) (*Scanner, error) {
	const op = "GetScanner"
	if err := checkHashKey(hashKey); err != nil {
		return nil, opError(op, t.name, err)
	}
	o, err := scanOptions(opts)
	if err != nil {
		return nil, opError(op, t.name, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, opError(op, t.name, err)
	}
	start := keys.EncodeKey(hashKey, startSortKey)
	stop, stopIncl := keys.NextHashKey(hashKey), false
	if len(stopSortKey) > 0 {
		stop, stopIncl = keys.EncodeKey(hashKey, stopSortKey), o.StopInclusive
	}
	s := &Scanner{t: t, opts: o, stop: stop, stopInclusive: stopIncl}
	// An empty range is known here; the server would answer it with a
	// context id of 0 (§3.4), which is best not relied upon.
	if c := bytes.Compare(start, stop); c < 0 || (c == 0 && o.StartInclusive && stopIncl) {
		s.parts = []scanPart{{target: hashTarget(hashKey), start: start, startInclusive: o.StartInclusive}}
	}
	return s, nil
}

// GetUnorderedScanners splits a scan of the whole table into at most n
// scanners, each covering a disjoint set of whole partitions, so that
// together they return every record exactly once, in no particular order
// across scanners. opts' range inclusiveness is ignored.
func (t *Table) GetUnorderedScanners(ctx context.Context, n int, opts *ScanOptions) ([]*Scanner, error) {
	const op = "GetUnorderedScanners"
	if n <= 0 {
		return nil, opError(op, t.name, invalidf("%d scanners", n))
	}
	o, err := scanOptions(opts)
	if err != nil {
		return nil, opError(op, t.name, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, opError(op, t.name, err)
	}
	count := int(t.route.Load().count)
	n = min(n, count)
	out := make([]*Scanner, n)
	next := 0
	for i := range n {
		share := count / n
		if i < count%n {
			share++
		}
		s := &Scanner{t: t, opts: o, stop: []byte{0xFF, 0xFF}, validateHash: true, fullScan: true}
		for range share {
			s.parts = append(s.parts, scanPart{target: indexTarget(int32(next)), start: []byte{0, 0}, startInclusive: true})
			next++
		}
		out[i] = s
	}
	return out, nil
}

func scanOptions(opts *ScanOptions) (ScanOptions, error) {
	o := DefaultScanOptions()
	if opts != nil {
		o = *opts
	}
	if err := o.HashKeyFilter.check("hash key"); err != nil {
		return o, err
	}
	if err := o.SortKeyFilter.check("sort key"); err != nil {
		return o, err
	}
	return o, nil
}

// Next returns the next record, or completed == true when there are no
// more. A failed Next may be called again: the scan resumes after the last
// record returned.
func (s *Scanner) Next(ctx context.Context) (completed bool, hashKey, sortKey, value []byte, err error) {
	const op = "Next"
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, nil, nil, nil, opError(op, s.t.name, ErrClosed)
	}
	ctx, cancel := s.t.c.withTimeout(ctx)
	defer cancel()
	for {
		if len(s.batch) > 0 {
			kv := s.batch[0]
			s.batch = s.batch[1:]
			key := kv.Key.Bytes()
			hk, sk, err := keys.DecodeKey(slices.Clone(key))
			if err != nil {
				return false, nil, nil, nil, opError(op, s.t.name, fmt.Errorf("scan returned key %x: %w", key, err))
			}
			s.last = key
			return false, hk, sk, nonNil(kv.Value.Bytes()), nil
		}
		switch s.state {
		case scanNextPart:
			if len(s.parts) == 0 {
				return true, nil, nil, nil, nil
			}
			s.part, s.parts = s.parts[0], s.parts[1:]
			s.state, s.last = scanStart, nil
		case scanStart:
			if err := s.getScanner(ctx); err != nil {
				return false, nil, nil, nil, err
			}
		case scanContinue:
			if err := s.scan(ctx); err != nil {
				return false, nil, nil, nil, err
			}
		}
	}
}

// getScanner opens a context on the current partition, starting after the
// last record returned if there was one.
func (s *Scanner) getScanner(ctx context.Context) error {
	start, startIncl := s.part.start, s.part.startInclusive
	if s.last != nil {
		start, startIncl = s.last, false
	}
	req := &rrdb.GetScannerRequest{
		StartKey:              base.NewBlob(start),
		StopKey:               base.NewBlob(s.stop),
		StartInclusive:        startIncl,
		StopInclusive:         s.stopInclusive,
		BatchSize:             clampInt32(s.opts.BatchSize),
		NoValue:               s.opts.NoValue,
		ValidatePartitionHash: &s.validateHash,
	}
	if s.fullScan {
		req.FullScan = &s.fullScan
	}
	req.HashKeyFilterType, req.HashKeyFilterPattern = s.opts.HashKeyFilter.wire()
	req.SortKeyFilterType, req.SortKeyFilterPattern = s.opts.SortKeyFilter.wire()
	res := rrdb.NewRrdbGetScannerResult()
	err := s.t.call(ctx, request{
		op: "Next", rpc: catalog.RPC_RRDB_RRDB_GET_SCANNER, target: s.part.target, kind: idempotent,
		args: &rrdb.RrdbGetScannerArgs{Request: req},
	}, res)
	if err != nil {
		return err
	}
	return s.onResponse(res.Success, true)
}

// scan fetches the next batch of the open context. Its context lives on
// one server, so a failure is not retried: the scan restarts after the
// last record instead (the call has already refreshed the configuration
// if the failure called for it).
func (s *Scanner) scan(ctx context.Context) error {
	res := rrdb.NewRrdbScanResult()
	err := s.t.call(ctx, request{
		op: "Next", rpc: catalog.RPC_RRDB_RRDB_SCAN, target: s.part.target, kind: once,
		args: &rrdb.RrdbScanArgs{Request: &rrdb.ScanRequest{ContextID: s.ctxID}},
	}, res)
	if err != nil {
		// The server may or may not have consumed the context.
		s.state = scanStart
		if ctx.Err() != nil {
			return err
		}
		return nil
	}
	return s.onResponse(res.Success, false)
}

// onResponse takes a GET_SCANNER or SCAN answer.
func (s *Scanner) onResponse(r *rrdb.ScanResponse, opened bool) error {
	const op = "Next"
	if r == nil {
		s.state = scanStart
		return opError(op, s.t.name, errNoResponse)
	}
	switch Status(r.Error) {
	case StatusOk:
		s.batch = r.Kvs
		switch {
		case r.ContextID == -1:
			s.state = scanNextPart
		case opened && len(r.Kvs) == 0 && r.ContextID == 0:
			// An empty range: upstream leaves the id at 0 and keeps no
			// context (§3.4).
			s.state = scanNextPart
		default:
			s.state, s.ctxID = scanContinue, r.ContextID
		}
		return nil
	case StatusNotFound:
		if !opened {
			// The context expired or was lost: restart after the last key.
			s.state = scanStart
			return nil
		}
	case StatusIncomplete:
		// Time limit: the batch is valid but no context was kept.
		s.state, s.batch = scanStart, r.Kvs
		if len(r.Kvs) > 0 {
			return nil
		}
	}
	s.state = scanStart
	return s.t.status(op, r.Error)
}

// Close ends the scan, asking the server to drop an open context.
// Calling Close more than once is harmless.
func (s *Scanner) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.batch, s.parts = nil, nil
	if s.state != scanContinue || s.ctxID < 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), clearScannerTimeout)
	defer cancel()
	err := s.t.send(ctx, s.part.target, catalog.RPC_RRDB_RRDB_CLEAR_SCANNER, &rrdb.RrdbClearScannerArgs{ContextID: s.ctxID})
	return opError("Close", s.t.name, err)
}
