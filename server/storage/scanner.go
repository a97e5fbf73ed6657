package storage

import (
	"bytes"
	"context"

	"github.com/pegasus-go/pegasus/rocksdb"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// scanResponse returns a scan response with the header fields filled.
func (p *Partition) scanResponse() *rrdb.ScanResponse {
	return &rrdb.ScanResponse{
		Kvs:            []*rrdb.KeyValue{},
		AppID:          p.opts.AppID,
		PartitionIndex: p.opts.PartitionIndex,
		Server:         p.opts.Server,
	}
}

// GetScanner starts a scan over [start_key, stop_key] (encoded full keys)
// and returns its first batch (§5.10). A context id >= 0 in the response
// means more data: pass it to Scan. −1 means the scan is complete.
func (p *Partition) GetScanner(ctx context.Context, req *rrdb.GetScannerRequest) *rrdb.ScanResponse {
	resp := p.scanResponse()
	if req == nil || !validFilterType(req.HashKeyFilterType) || !validFilterType(req.SortKeyFilterType) {
		resp.Error = StatusInvalidArgument
		return resp
	}
	start, startIncl := req.StartKey.Bytes(), req.StartInclusive
	stop := req.StopKey.Bytes()
	hashPattern := req.HashKeyFilterPattern.Bytes()
	if req.HashKeyFilterType == rrdb.FilterType_FT_MATCH_PREFIX && len(hashPattern) > 0 && len(hashPattern) <= 0xFFFF {
		// Hash keys are not ordered across lengths, so only the start can
		// be moved up to the first possible match.
		if ps := keys.EncodeKey(hashPattern, nil); bytes.Compare(ps, start) > 0 {
			start, startIncl = ps, true
		}
	}
	if c := bytes.Compare(start, stop); c > 0 || (c == 0 && !(startIncl && req.StopInclusive)) {
		return resp
	}

	sc := &scanContext{
		stop:           append([]byte(nil), stop...),
		stopInclusive:  req.StopInclusive,
		hashFilterType: req.HashKeyFilterType,
		hashPattern:    append([]byte(nil), hashPattern...),
		sortFilterType: req.SortKeyFilterType,
		sortPattern:    append([]byte(nil), req.SortKeyFilterPattern.Bytes()...),
		batchSize:      req.BatchSize,
		noValue:        req.NoValue,
		validateHash:   req.ValidatePartitionHash == nil || *req.ValidatePartitionHash,
		partitionCount: p.partitionCount.Load(),
		returnExpireTs: req.ReturnExpireTs != nil && *req.ReturnExpireTs,
		onlyCount:      req.OnlyReturnCount != nil && *req.OnlyReturnCount,
	}
	// Unbounded on purpose: like upstream, a batch that stops on its size
	// keeps a context whenever the iterator has more entries, even past the
	// stop key (the next SCAN then ends the scan with an empty batch).
	fullScan := req.FullScan != nil && *req.FullScan
	sc.it = p.db.NewIterator(rocksdb.IterOptions{FillCache: !fullScan})
	sc.it.Seek(start)
	if !startIncl && sc.it.Valid() && bytes.Equal(sc.it.Key(), start) {
		sc.it.Next()
	}
	p.scanBatch(ctx, sc, p.opts.MaxIterationCount, resp)
	return resp
}

// Scan continues the scan paused under req.ContextID. An unknown or expired
// id yields error 1.
func (p *Partition) Scan(ctx context.Context, req *rrdb.ScanRequest) *rrdb.ScanResponse {
	resp := p.scanResponse()
	var sc *scanContext
	if req != nil {
		sc = p.scanners.take(req.ContextID, p.clock.Now())
	}
	if sc == nil {
		resp.Error = StatusNotFound
		return resp
	}
	p.scanBatch(ctx, sc, int(p.batchCount(sc)), resp)
	return resp
}

// ClearScanner drops a paused scan; unknown ids are ignored.
func (p *Partition) ClearScanner(contextID int64) {
	if sc := p.scanners.take(contextID, p.clock.Now()); sc != nil {
		sc.it.Close()
	}
}

// batchCount is the number of records one batch returns at most.
func (p *Partition) batchCount(sc *scanContext) int32 {
	limit := int32(p.opts.MaxIterationCount)
	if sc.batchSize > 0 && sc.batchSize < limit {
		return sc.batchSize
	}
	return limit
}

// scanBatch collects one batch from sc's iterator, visiting at most
// maxVisits records, and then stores the context under a new id, or closes
// it when the scan is over (or failed, or ran out of time).
func (p *Partition) scanBatch(ctx context.Context, sc *scanContext, maxVisits int, resp *rrdb.ScanResponse) {
	it := sc.it
	batch := int(p.batchCount(sc))
	lim := newRangeLimiter(ctx, p.clock, maxVisits, 0, p.opts.IterationTimeLimit)
	now := p.now()
	validateHash := sc.validateHash && p.envs.Load().validateHash
	var arena recordArena
	kvs := resp.Kvs
	count := 0
	complete := false
	status := StatusOk
	for count < batch && lim.valid() && it.Valid() {
		key := it.Key()
		c := bytes.Compare(key, sc.stop)
		if c > 0 || (c == 0 && !sc.stopInclusive) {
			complete = true
			break
		}
		lim.addCount()
		value := it.Value()
		ts, ok := expireTsOf(p.dataVersion, value)
		if !ok {
			status = StatusCorruption
			break
		}
		if !isExpired(ts, now) && (!validateHash || p.ownsKeyUnder(key, sc.partitionCount)) && sc.keyMatches(key) {
			count++
			if !sc.onlyCount {
				var data []byte
				if !sc.noValue {
					data = arena.copyBytes(value[valueHeaderLen(p.dataVersion):])
				}
				kv := arena.keyValue(arena.copyBytes(key), data)
				if sc.returnExpireTs {
					kv.ExpireTsSeconds = arena.int32Ptr(int32(ts))
				}
				kvs = append(kvs, kv)
			}
		}
		if c == 0 {
			complete = true
			break
		}
		it.Next()
	}
	if sc.onlyCount {
		n := int32(count)
		resp.KvCount = &n
	}
	if !complete {
		lim.checkAfterIncomplete()
	}
	if err := it.Err(); err != nil {
		status = statusOf(err)
	}
	switch {
	case status != StatusOk:
		resp.Error = status
		it.Close()
	case lim.exceeded:
		resp.Error = StatusIncomplete
		resp.Kvs = kvs
		it.Close()
	case it.Valid() && !complete:
		resp.Kvs = kvs
		if id, ok := p.scanners.put(sc, p.clock.Now()); ok {
			resp.ContextID = id
		} else {
			resp.Error = StatusShutdownInProgress
			resp.Kvs = resp.Kvs[:0]
		}
	default:
		resp.Kvs = kvs
		resp.ContextID = ScanContextCompleted
		it.Close()
	}
}

// keyMatches applies the hash-key and sort-key filters to an encoded key.
func (sc *scanContext) keyMatches(key []byte) bool {
	if sc.hashFilterType == rrdb.FilterType_FT_NO_FILTER && sc.sortFilterType == rrdb.FilterType_FT_NO_FILTER {
		return true
	}
	hashKey, sortKey, err := keys.DecodeKey(key)
	if err != nil {
		hashKey, sortKey = nil, nil
	}
	return matchFilter(sc.hashFilterType, sc.hashPattern, hashKey) &&
		matchFilter(sc.sortFilterType, sc.sortPattern, sortKey)
}
