package storage

import (
	"context"

	"github.com/pegasus-go/pegasus/rocksdb"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// readRecord looks up an encoded key and decides expiry at now. It returns
// the decoded value when the record is live, a status otherwise: not found
// (absent or expired), or the engine's failure.
func (p *Partition) readRecord(key []byte, now uint32) (storedValue, int32) {
	raw, found, err := p.db.Get(key)
	if err != nil {
		return storedValue{}, statusOf(err)
	}
	if !found {
		return storedValue{}, StatusNotFound
	}
	sv, err := decodeValue(p.dataVersion, raw)
	if err != nil {
		return storedValue{}, StatusCorruption
	}
	if isExpired(sv.expireTs, now) {
		return storedValue{}, StatusNotFound
	}
	return sv, StatusOk
}

// Get reads one record by its encoded full key: error 0 with the user value,
// or 1 when the key is absent or expired.
func (p *Partition) Get(ctx context.Context, key []byte) *rrdb.ReadResponse {
	sv, status := p.readRecord(key, p.now())
	// One allocation for the response and its value blob: GET is the
	// hottest read.
	r := &struct {
		resp  rrdb.ReadResponse
		value base.Blob
	}{}
	r.value.Data = sv.data
	r.resp = rrdb.ReadResponse{
		Error:          status,
		Value:          &r.value,
		AppID:          p.opts.AppID,
		PartitionIndex: p.opts.PartitionIndex,
		Server:         p.opts.Server,
	}
	return &r.resp
}

// TTL returns the remaining lifetime of a record in seconds, −1 for a record
// without TTL, or error 1 when it is absent or expired.
func (p *Partition) TTL(ctx context.Context, key []byte) *rrdb.TTLResponse {
	resp := &rrdb.TTLResponse{
		AppID:          p.opts.AppID,
		PartitionIndex: p.opts.PartitionIndex,
		Server:         p.opts.Server,
	}
	now := p.now()
	sv, status := p.readRecord(key, now)
	resp.Error = status
	if status == StatusOk {
		if sv.expireTs > 0 {
			resp.TTLSeconds = int32(sv.expireTs - now)
		} else {
			resp.TTLSeconds = -1
		}
	}
	return resp
}

// BatchGet reads the listed (hash key, sort key) pairs and returns the live
// ones in request order. An empty key list, or a hash key too long to
// store, is an invalid argument; an engine failure fails the whole batch.
func (p *Partition) BatchGet(ctx context.Context, req *rrdb.BatchGetRequest) *rrdb.BatchGetResponse {
	resp := &rrdb.BatchGetResponse{
		Data:           []*rrdb.FullData{},
		AppID:          p.opts.AppID,
		PartitionIndex: p.opts.PartitionIndex,
		Server:         p.opts.Server,
	}
	if req == nil || len(req.Keys) == 0 {
		resp.Error = StatusInvalidArgument
		return resp
	}
	for _, k := range req.Keys {
		if k != nil && !p.validHashKey(k.HashKey.Bytes()) {
			resp.Error = StatusInvalidArgument
			return resp
		}
	}
	now := p.now()
	var key []byte
	for _, k := range req.Keys {
		var hashKey, sortKey []byte
		if k != nil {
			hashKey, sortKey = k.HashKey.Bytes(), k.SortKey.Bytes()
		}
		key = keys.AppendKey(key[:0], hashKey, sortKey)
		sv, status := p.readRecord(key, now)
		switch status {
		case StatusOk:
			resp.Data = append(resp.Data, &rrdb.FullData{
				HashKey: &base.Blob{Data: hashKey},
				SortKey: &base.Blob{Data: sortKey},
				Value:   &base.Blob{Data: sv.data},
			})
		case StatusNotFound:
		default:
			resp.Error = status
			resp.Data = resp.Data[:0]
			return resp
		}
	}
	return resp
}

// SortKeyCount counts the live records of a hash key. It is bounded only by
// the iteration time limit, on which it reports count −1 with error 0.
func (p *Partition) SortKeyCount(ctx context.Context, hashKey []byte) *rrdb.CountResponse {
	resp := &rrdb.CountResponse{
		AppID:          p.opts.AppID,
		PartitionIndex: p.opts.PartitionIndex,
		Server:         p.opts.Server,
	}
	if !p.validHashKey(hashKey) {
		resp.Error = StatusInvalidArgument
		return resp
	}
	it := p.db.NewIterator(rocksdb.IterOptions{
		Lower:     keys.EncodeKey(hashKey, nil),
		Upper:     keys.NextHashKey(hashKey),
		FillCache: true,
	})
	defer it.Close()
	now := p.now()
	lim := newRangeLimiter(ctx, p.clock, p.opts.MaxIterationCount, 0, p.opts.IterationTimeLimit)
	var count int64
	for it.SeekToFirst(); lim.timeOK() && it.Valid(); it.Next() {
		lim.addCount()
		ts, ok := expireTsOf(p.dataVersion, it.Value())
		if !ok {
			resp.Error = StatusCorruption
			return resp
		}
		if !isExpired(ts, now) {
			count++
		}
	}
	if err := it.Err(); err != nil {
		resp.Error = statusOf(err)
		return resp
	}
	if lim.exceeded {
		count = -1
	}
	resp.Count = count
	return resp
}
