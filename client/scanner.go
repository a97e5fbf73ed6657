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
// after the last record it received, so no record is returned twice and
// none is skipped.
//
// A full-table scan survives a partition split (docs/split.md): each share
// of it covers a class of partition hashes (hash mod a partition count)
// and returns only that class's records; when a share's partition is done,
// the scanner fetches a fresh configuration and, for each part of the
// class now served by another partition (a child that registered while or
// before the share was scanned), adds a share on that partition starting
// after the last record of that part already returned.
type Scanner struct {
	t             *Table
	opts          ScanOptions
	stop          []byte // encoded stop key, shared by every partition
	stopInclusive bool
	validateHash  bool
	fullScan      bool

	mu    sync.Mutex // serializes Next and Close; guards everything below
	parts []scanPart // partitions not started yet
	part  scanPart   // the partition being scanned
	state scanState
	ctxID int64            // server context of part, when state == scanContinue
	last  []byte           // encoded key of the last record received from part
	batch []*rrdb.KeyValue // records fetched and not yet returned
	// lastOf holds, for a full scan, the encoded key of the last record
	// returned from part per residue hash % part.window.
	lastOf map[uint64][]byte
	closed bool
}

// scanPart is one partition's share of a scan.
type scanPart struct {
	target         target
	start          []byte // encoded start key
	startInclusive bool
	// A full scan's share returns the records whose hash % modulus ==
	// class; its partition (target.index) may hold others too (those of a
	// split child not registered yet, or not yet compacted away).
	// modulus 0: no such filter (a hash-key scan).
	class, modulus uint64
	window         uint64 // residues lastOf tracks: a multiple of modulus
}

// splitWindow bounds how far a table's partition count may grow while one
// share of a full scan is read: three doublings.
const splitWindow = 8

type scanState int

const (
	scanNextPart   scanState = iota // part is finished: move to the next one
	scanStart                       // open a context with GET_SCANNER
	scanContinue                    // fetch the next batch with SCAN(ctxID)
	scanFinishPart                  // part's partition is done: see whether a split moved some of its class
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
// across scanners. With n at least the partition count, scanner i starts
// on partition i (during a split, an unregistered child's scanner is empty:
// its parent's covers its records). opts' range inclusiveness is ignored.
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
	rt := t.route.Load()
	shares := fullScanShares(rt)
	newScanner := func(parts []scanPart) *Scanner {
		return &Scanner{t: t, opts: o, stop: []byte{0xFF, 0xFF}, validateHash: true, fullScan: true, parts: parts}
	}
	if n >= int(rt.count) {
		// One scanner per partition index, so that scanner i starts on
		// partition i; an unregistered split child's is empty (its parent's
		// scanner covers its records).
		out := make([]*Scanner, rt.count)
		for i := range out {
			out[i] = newScanner(nil)
		}
		for _, sh := range shares {
			out[sh.target.index].parts = []scanPart{sh}
		}
		return out, nil
	}
	out := make([]*Scanner, n)
	next := 0
	for i := range n {
		share := len(shares) / n
		if i < len(shares)%n {
			share++
		}
		out[i] = newScanner(slices.Clone(shares[next : next+share]))
		next += share
	}
	return out, nil
}

// fullScanShares is one share per partition that serves data: a parent
// whose split child has not registered (ballot < 0) covers its child's
// hashes too, and the child gets no share.
func fullScanShares(rt *routeTable) []scanPart {
	var out []scanPart
	half := rt.count / 2
	for i := range rt.count {
		if i >= half && rt.parts[i].ballot < 0 {
			continue
		}
		mod := uint64(rt.count)
		if i < half && rt.parts[i+half].ballot < 0 {
			mod = uint64(half)
		}
		out = append(out, fullScanPart(i, uint64(i), mod, []byte{0, 0}, true))
	}
	return out
}

func fullScanPart(partition int32, class, modulus uint64, start []byte, inclusive bool) scanPart {
	return scanPart{target: indexTarget(partition), start: start, startInclusive: inclusive,
		class: class, modulus: modulus, window: splitWindow * modulus}
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
			if m := s.part.modulus; m > 0 {
				h := keys.KeyHash(key)
				if h%m != s.part.class {
					continue // another share's record
				}
				s.lastOf[h%s.part.window] = key
			}
			return false, hk, sk, nonNil(kv.Value.Bytes()), nil
		}
		switch s.state {
		case scanNextPart:
			if len(s.parts) == 0 {
				return true, nil, nil, nil, nil
			}
			s.part, s.parts = s.parts[0], s.parts[1:]
			s.state, s.last, s.lastOf = scanStart, nil, map[uint64][]byte{}
		case scanFinishPart:
			if err := s.followSplit(ctx); err != nil {
				return false, nil, nil, nil, opError(op, s.t.name, err)
			}
			s.state = scanNextPart
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
			s.state = s.partDone()
		case opened && len(r.Kvs) == 0 && r.ContextID == 0:
			// An empty range: upstream leaves the id at 0 and keeps no
			// context (§3.4).
			s.state = s.partDone()
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

// partDone is the state after part's partition returned its last record.
func (s *Scanner) partDone() scanState {
	if s.part.modulus > 0 {
		return scanFinishPart
	}
	return scanNextPart
}

// followSplit runs when a full scan's share is done with its partition.
// On a configuration fetched now, it splits the share's class into the
// classes of the current partition count; each one served by another
// partition than the one just read (its records moved there by a split
// during or before the read) becomes a new share, starting after the last
// record of that class already returned. Counts only grow while records
// move (a cancel happens before any child registered), and a partition
// filters by a larger count only after its child registered with the
// meta, so a configuration fetched after the read knows of every move the
// read could have seen.
func (s *Scanner) followSplit(ctx context.Context) error {
	p := s.part
	rt, err := s.t.freshRoute(ctx)
	if err != nil {
		return err
	}
	n := uint64(rt.count)
	if n < p.modulus {
		return nil // a split was canceled: the partition kept its records
	}
	if n > p.window {
		return fmt.Errorf("the table's partition count grew from %d to %d while one partition was scanned: start the scan again", p.modulus, n)
	}
	half := rt.count / 2
	for c := p.class; c < n; c += p.modulus {
		srv := int32(c)
		if srv >= half && rt.parts[srv].ballot < 0 {
			srv -= half // not registered: its parent serves it
		}
		if srv == p.target.index {
			continue
		}
		start, incl := p.start, p.startInclusive
		for r, k := range s.lastOf {
			if r%n == c && (!incl && bytes.Compare(k, start) > 0 || incl && bytes.Compare(k, start) >= 0) {
				start, incl = k, false
			}
		}
		s.parts = append(s.parts, fullScanPart(srv, c, n, start, incl))
	}
	return nil
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
