package storage

import (
	"bytes"
	"math"
	"slices"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

func (m *model) get(k []byte, now uint32) *rrdb.ReadResponse {
	resp := &rrdb.ReadResponse{AppID: m.appID, PartitionIndex: m.partIndex, Server: m.server, Error: 1}
	if r, ok := m.live(k, now); ok {
		resp.Error, resp.Value = 0, &base.Blob{Data: r.data}
	}
	return resp
}

func (m *model) ttl(k []byte, now uint32) *rrdb.TTLResponse {
	resp := &rrdb.TTLResponse{AppID: m.appID, PartitionIndex: m.partIndex, Server: m.server, Error: 1}
	if r, ok := m.live(k, now); ok {
		resp.Error, resp.TTLSeconds = 0, -1
		if r.expireTs != 0 {
			resp.TTLSeconds = int32(r.expireTs - now)
		}
	}
	return resp
}

func (m *model) batchGet(req *rrdb.BatchGetRequest, now uint32) *rrdb.BatchGetResponse {
	resp := &rrdb.BatchGetResponse{AppID: m.appID, PartitionIndex: m.partIndex, Server: m.server}
	if len(req.Keys) == 0 {
		resp.Error = 4
		return resp
	}
	for _, k := range req.Keys {
		if r, ok := m.live(keys.EncodeKey(k.HashKey.Bytes(), k.SortKey.Bytes()), now); ok {
			resp.Data = append(resp.Data, &rrdb.FullData{HashKey: k.HashKey, SortKey: k.SortKey, Value: &base.Blob{Data: r.data}})
		}
	}
	return resp
}

func (m *model) sortKeyCount(hash []byte, now uint32) *rrdb.CountResponse {
	resp := &rrdb.CountResponse{AppID: m.appID, PartitionIndex: m.partIndex, Server: m.server}
	for k := range m.recs {
		h, _, err := keys.DecodeKey([]byte(k))
		if err == nil && bytes.Equal(h, hash) {
			if _, ok := m.live([]byte(k), now); ok {
				resp.Count++
			}
		}
	}
	return resp
}

func modelFilter(t rrdb.FilterType, pattern, key []byte) bool {
	switch {
	case len(pattern) == 0 || t == 0:
		return true
	case t == 1:
		return bytes.Contains(key, pattern)
	case t == 2:
		return bytes.HasPrefix(key, pattern)
	default:
		return bytes.HasSuffix(key, pattern)
	}
}

func (m *model) multiGet(req *rrdb.MultiGetRequest, now uint32) *rrdb.MultiGetResponse {
	resp := &rrdb.MultiGetResponse{AppID: m.appID, PartitionIndex: m.partIndex, Server: m.server}
	if req.SortKeyFilterType < 0 || req.SortKeyFilterType > 3 {
		resp.Error = 4
		return resp
	}
	maxCount := m.mgMaxCount
	if req.MaxKvCount > 0 && int(req.MaxKvCount) < maxCount {
		maxCount = int(req.MaxKvCount)
	}
	hash := req.HashKey.Bytes()
	emit := func(sortKey, data []byte) *rrdb.KeyValue {
		if req.NoValue {
			data = nil
		}
		return &rrdb.KeyValue{Key: &base.Blob{Data: sortKey}, Value: &base.Blob{Data: data}}
	}
	if len(req.SortKeys) > 0 {
		maxSize := int64(math.MaxInt32)
		if req.MaxKvSize > 0 {
			maxSize = int64(req.MaxKvSize)
		}
		var size int64
		for _, sk := range req.SortKeys {
			r, ok := m.live(keys.EncodeKey(hash, sk.Bytes()), now)
			if !ok {
				continue
			}
			if len(resp.Kvs) >= maxCount || size >= maxSize {
				resp.Error = 7
				break
			}
			kv := emit(sk.Bytes(), r.data)
			resp.Kvs = append(resp.Kvs, kv)
			size += int64(len(kv.Key.Bytes()) + len(kv.Value.Bytes()))
		}
		return resp
	}

	// Range mode: the range as [lo, hi] with inclusive flags.
	lo, loIn := keys.EncodeKey(hash, req.StartSortkey.Bytes()), req.StartInclusive
	hi, hiIn := keys.NextHashKey(hash), false
	if len(req.StopSortkey.Bytes()) > 0 {
		hi, hiIn = keys.EncodeKey(hash, req.StopSortkey.Bytes()), req.StopInclusive
	}
	pattern := req.SortKeyFilterPattern.Bytes()
	if req.SortKeyFilterType == 2 && len(pattern) > 0 {
		if p := keys.EncodeKey(hash, pattern); bytes.Compare(p, lo) > 0 {
			lo, loIn = p, true
		}
		if p := keys.NextKey(hash, pattern); bytes.Compare(p, hi) <= 0 {
			hi, hiIn = p, false
		}
	}
	if c := bytes.Compare(lo, hi); c > 0 || (c == 0 && !(loIn && hiIn)) {
		return resp
	}
	inRange := func(k []byte) bool {
		a, b := bytes.Compare(k, lo), bytes.Compare(k, hi)
		return (a > 0 || (a == 0 && loIn)) && (b < 0 || (b == 0 && hiIn))
	}
	// The walk: every stored key from the range's near end onwards, in
	// walking order, the excluded near end itself skipped for free.
	all := m.sorted()
	var walk [][]byte
	if !req.Reverse {
		for _, k := range all {
			if c := bytes.Compare(k, lo); c > 0 || (c == 0 && loIn) {
				walk = append(walk, k)
			}
		}
	} else {
		for i := len(all) - 1; i >= 0; i-- {
			if c := bytes.Compare(all[i], hi); c < 0 || (c == 0 && hiIn) {
				walk = append(walk, all[i])
			}
		}
	}
	maxSize := m.mgMaxSize
	if req.MaxKvSize > 0 && int64(req.MaxKvSize) < maxSize {
		maxSize = int64(req.MaxKvSize)
	}
	var got []*rrdb.KeyValue
	visits, size := 0, int64(0)
	for _, k := range walk {
		if len(got) >= maxCount || visits >= m.mgMaxCount || size >= maxSize {
			resp.Error = 7 // stopped by a limit with entries left
			break
		}
		if !inRange(k) {
			break
		}
		visits++
		r, ok := m.live(k, now)
		sk := k[2+len(hash):]
		if ok && modelFilter(req.SortKeyFilterType, pattern, sk) {
			kv := emit(sk, r.data)
			got = append(got, kv)
			size += int64(len(kv.Key.Bytes()) + len(kv.Value.Bytes()))
		}
		if bytes.Equal(k, hi) && !req.Reverse || bytes.Equal(k, lo) && req.Reverse {
			break // reached the inclusive far end
		}
	}
	if req.Reverse {
		slices.Reverse(got)
	}
	resp.Kvs = got
	return resp
}

// modelScan runs a whole scan (GET_SCANNER then SCANs) and returns every
// batch's response, with context ids >= 0 replaced by 0 (they are
// unpredictable; the caller checks them separately).
func (m *model) scan(req *rrdb.GetScannerRequest, now uint32) []*rrdb.ScanResponse {
	newResp := func() *rrdb.ScanResponse {
		return &rrdb.ScanResponse{AppID: m.appID, PartitionIndex: m.partIndex, Server: m.server}
	}
	resp := newResp()
	if req.HashKeyFilterType < 0 || req.HashKeyFilterType > 3 || req.SortKeyFilterType < 0 || req.SortKeyFilterType > 3 {
		resp.Error = 4
		return []*rrdb.ScanResponse{resp}
	}
	start, startIn := req.StartKey.Bytes(), req.StartInclusive
	stop, stopIn := req.StopKey.Bytes(), req.StopInclusive
	if hp := req.HashKeyFilterPattern.Bytes(); req.HashKeyFilterType == 2 && len(hp) > 0 {
		if p := keys.EncodeKey(hp, nil); bytes.Compare(p, start) > 0 {
			start, startIn = p, true
		}
	}
	if c := bytes.Compare(start, stop); c > 0 || (c == 0 && !(startIn && stopIn)) {
		return []*rrdb.ScanResponse{resp}
	}
	var walk [][]byte
	for _, k := range m.sorted() {
		if c := bytes.Compare(k, start); c > 0 || (c == 0 && startIn) {
			walk = append(walk, k)
		}
	}
	batch := m.scanCap
	if req.BatchSize > 0 && int(req.BatchSize) < batch {
		batch = int(req.BatchSize)
	}
	validate := m.validateHash && (req.ValidatePartitionHash == nil || *req.ValidatePartitionHash)
	onlyCount := req.OnlyReturnCount != nil && *req.OnlyReturnCount
	retTs := req.ReturnExpireTs != nil && *req.ReturnExpireTs

	var out []*rrdb.ScanResponse
	pos, visitCap := 0, m.scanCap
	for {
		count, visits, complete := 0, 0, false
		for count < batch && visits < visitCap && pos < len(walk) {
			k := walk[pos]
			c := bytes.Compare(k, stop)
			if c > 0 || (c == 0 && !stopIn) {
				complete = true
				break
			}
			visits++
			r, ok := m.live(k, now)
			h, s, _ := keys.DecodeKey(k)
			if ok && (!validate || m.owns(k)) && modelFilter(req.HashKeyFilterType, req.HashKeyFilterPattern.Bytes(), h) &&
				modelFilter(req.SortKeyFilterType, req.SortKeyFilterPattern.Bytes(), s) {
				count++
				if !onlyCount {
					kv := &rrdb.KeyValue{Key: &base.Blob{Data: k}, Value: &base.Blob{Data: r.data}}
					if req.NoValue {
						kv.Value = &base.Blob{}
					}
					if retTs {
						ts := int32(r.expireTs)
						kv.ExpireTsSeconds = &ts
					}
					resp.Kvs = append(resp.Kvs, kv)
				}
			}
			if c == 0 {
				complete = true
				break
			}
			pos++
		}
		if onlyCount {
			n := int32(count)
			resp.KvCount = &n
		}
		out = append(out, resp)
		if complete || pos >= len(walk) {
			resp.ContextID = -1
			return out
		}
		resp = newResp()
		visitCap = batch
	}
}
