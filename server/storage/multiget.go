package storage

import (
	"bytes"
	"context"
	"math"
	"slices"

	"github.com/pegasus-go/pegasus/rocksdb"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// MultiGet reads records of one hash key (§5.9): the listed sort keys when
// req.SortKeys is non-empty, otherwise a sort-key range with filters, limits
// and direction. Keys in the response are sort keys, ascending in range
// mode. Error 7 means a limit stopped the read before the range ended.
func (p *Partition) MultiGet(ctx context.Context, req *rrdb.MultiGetRequest) *rrdb.MultiGetResponse {
	resp := &rrdb.MultiGetResponse{
		Kvs:            []*rrdb.KeyValue{},
		AppID:          p.opts.AppID,
		PartitionIndex: p.opts.PartitionIndex,
		Server:         p.opts.Server,
	}
	if req == nil || !validFilterType(req.SortKeyFilterType) || !p.validHashKey(req.HashKey.Bytes()) {
		resp.Error = StatusInvalidArgument
		return resp
	}
	maxCount := p.opts.MultiGetMaxIterationCount
	if req.MaxKvCount > 0 && int(req.MaxKvCount) < maxCount {
		maxCount = int(req.MaxKvCount)
	}
	if len(req.SortKeys) > 0 {
		p.multiGetPoints(req, maxCount, resp)
	} else {
		p.multiGetRange(ctx, req, maxCount, resp)
	}
	return resp
}

// multiGetPoints looks up the listed sort keys in order; absent and expired
// ones are skipped. Limits are checked before each found record is added.
func (p *Partition) multiGetPoints(req *rrdb.MultiGetRequest, maxCount int, resp *rrdb.MultiGetResponse) {
	maxSize := int64(math.MaxInt32)
	if req.MaxKvSize > 0 {
		maxSize = int64(req.MaxKvSize)
	}
	hashKey := req.HashKey.Bytes()
	now := p.now()
	var arena recordArena
	var key []byte
	var size int64
	for _, sk := range req.SortKeys {
		sortKey := sk.Bytes()
		key = keys.AppendKey(key[:0], hashKey, sortKey)
		sv, status := p.readRecord(key, now)
		switch status {
		case StatusOk:
		case StatusNotFound:
			continue
		default:
			resp.Error = status
			resp.Kvs = resp.Kvs[:0]
			return
		}
		if len(resp.Kvs) >= maxCount || size >= maxSize {
			resp.Error = StatusIncomplete
			return
		}
		var value []byte
		if !req.NoValue {
			value = sv.data // already a private copy
		}
		resp.Kvs = append(resp.Kvs, arena.keyValue(sortKey, value))
		size += int64(len(sortKey) + len(value))
	}
}

// multiGetRange iterates a sort-key range of one hash key.
func (p *Partition) multiGetRange(ctx context.Context, req *rrdb.MultiGetRequest, maxCount int, resp *rrdb.MultiGetResponse) {
	hashKey := req.HashKey.Bytes()
	start := keys.EncodeKey(hashKey, req.StartSortkey.Bytes())
	startIncl := req.StartInclusive
	var stop []byte
	var stopIncl bool
	if len(req.StopSortkey.Bytes()) == 0 {
		stop = keys.NextHashKey(hashKey)
	} else {
		stop, stopIncl = keys.EncodeKey(hashKey, req.StopSortkey.Bytes()), req.StopInclusive
	}
	pattern := req.SortKeyFilterPattern.Bytes()
	if req.SortKeyFilterType == rrdb.FilterType_FT_MATCH_PREFIX && len(pattern) > 0 {
		// Only sort keys starting with the pattern can match: narrow the range.
		if ps := keys.EncodeKey(hashKey, pattern); bytes.Compare(ps, start) > 0 {
			start, startIncl = ps, true
		}
		if pe := keys.NextKey(hashKey, pattern); pe != nil && bytes.Compare(pe, stop) <= 0 {
			stop, stopIncl = pe, false
		}
	}
	if c := bytes.Compare(start, stop); c > 0 || (c == 0 && !(startIncl && stopIncl)) {
		return
	}

	maxSize := p.opts.MultiGetMaxIterationSize
	if req.MaxKvSize > 0 && int64(req.MaxKvSize) < maxSize {
		maxSize = int64(req.MaxKvSize)
	}
	lim := newRangeLimiter(ctx, p.clock, p.opts.MultiGetMaxIterationCount, maxSize, p.opts.IterationTimeLimit)
	// Unbounded on purpose: like upstream, "incomplete" means the iterator
	// still had entries when a limit hit, wherever they lie.
	it := p.db.NewIterator(rocksdb.IterOptions{FillCache: true})
	defer it.Close()

	now := p.now()
	var arena recordArena
	kvs := resp.Kvs
	complete := false
	// Forward walks start→stop; reverse walks stop→start. near/far are the
	// range ends in walking order.
	near, nearIncl, far, farIncl := start, startIncl, stop, stopIncl
	step := it.Next
	if req.Reverse {
		near, nearIncl, far, farIncl = stop, stopIncl, start, startIncl
		step = it.Prev
		it.SeekForPrev(stop)
	} else {
		it.Seek(start)
	}
	skipNear := !nearIncl
	for len(kvs) < maxCount && lim.valid() && it.Valid() {
		key := it.Key()
		c := bytes.Compare(key, far)
		if req.Reverse {
			c = -c
		}
		if c > 0 || (c == 0 && !farIncl) {
			complete = true
			break
		}
		if skipNear {
			skipNear = false
			if bytes.Equal(key, near) {
				step()
				continue
			}
		}
		lim.addCount()
		value := it.Value()
		ts, ok := expireTsOf(p.dataVersion, value)
		if !ok {
			resp.Error = StatusCorruption
			resp.Kvs = resp.Kvs[:0]
			return
		}
		if !isExpired(ts, now) {
			sortKey := key[2+len(hashKey):]
			if matchFilter(req.SortKeyFilterType, pattern, sortKey) {
				var data []byte
				if !req.NoValue {
					data = arena.copyBytes(value[valueHeaderLen(p.dataVersion):])
				}
				sortKey = arena.copyBytes(sortKey)
				kvs = append(kvs, arena.keyValue(sortKey, data))
				lim.addSize(int64(len(sortKey) + len(data)))
			}
		}
		if c == 0 {
			complete = true
			break
		}
		step()
	}
	if err := it.Err(); err != nil {
		resp.Error = statusOf(err)
		return
	}
	if req.Reverse {
		slices.Reverse(kvs)
	}
	resp.Kvs = kvs
	if it.Valid() && !complete {
		resp.Error = StatusIncomplete
	}
}
