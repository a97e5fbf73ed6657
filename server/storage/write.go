package storage

import (
	"errors"
	"fmt"

	"github.com/pegasus-go/pegasus/rocksdb"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// ErrBadWrite reports a Write whose Op is unknown or whose Request has the
// wrong type: a bug in the caller, not bad client input.
var ErrBadWrite = errors.New("malformed write")

// writer is the state of the write path, owned by Apply.
type writer struct {
	batch  *rocksdb.Batch
	keyBuf []byte
	valBuf []byte

	// Per mutation.
	decree int64
	// now is the time writes are stamped with (the mutation's; a
	// duplicated write's own), Pegasus epoch seconds; liveAt decides
	// expiry for read-before-write (always the mutation's time).
	now, liveAt uint32
	timetag     uint64
	defaultTTL  uint32
	// verify makes stagePut and stageDelete skip keys whose stored live
	// value has a timetag >= timetag (a duplicated write's last-write-wins);
	// verifyErr holds the first engine error of that check.
	verify    bool
	verifyErr error
	// pending holds what this mutation has staged so far, so that later
	// writes read earlier ones; nil for single-write mutations.
	pending map[string]pendingRecord
}

// pendingRecord is a staged put (raw stored value) or delete.
type pendingRecord struct {
	raw     []byte
	deleted bool
}

func (w *writer) init(db *rocksdb.DB) { w.batch = db.NewBatch() }

func (w *writer) destroy() { w.batch.Destroy() }

// Apply executes the writes of m in order as one atomic RocksDB batch that
// also records m.Decree, and returns one response per write (see Op for the
// response types). Later writes see the effects of earlier ones. Invalid
// requests get an error status in their response and still consume the
// decree. A Go error means the engine failed (or m.Decree is not newer than
// the last applied decree, or a Write is malformed); nothing was applied
// then, and the replica should stop using the partition unless the error
// wraps rocksdb.ErrStaleDecree.
func (p *Partition) Apply(m *Mutation) ([]any, error) {
	resps, err := p.ApplyAll([]*Mutation{m})
	if err != nil {
		return nil, err
	}
	return resps[0], nil
}

// ApplyAll applies consecutive mutations (increasing decrees) as Apply
// would one by one, but in one RocksDB batch, which records the last
// decree: all of them or none become visible. Each mutation keeps its own
// decree and timestamp in its responses and records; later writes see the
// effects of earlier ones, across mutations too. It returns each
// mutation's responses.
func (p *Partition) ApplyAll(ms []*Mutation) ([][]any, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	p.writeMu.Lock()
	defer p.writeMu.Unlock()
	first, lastDecree := ms[0].Decree, ms[len(ms)-1].Decree
	if p.closed.Load() {
		return nil, fmt.Errorf("apply decree %d: %w", first, ErrClosed)
	}
	if last := p.db.LastAppliedDecree(); first <= last {
		return nil, fmt.Errorf("apply decree %d: %w (last applied %d)", first, rocksdb.ErrStaleDecree, last)
	}
	w := &p.w
	w.defaultTTL = p.envs.Load().defaultTTL
	writes := 0
	for i, m := range ms {
		if i > 0 && m.Decree <= ms[i-1].Decree {
			return nil, fmt.Errorf("apply decree %d after %d: %w", m.Decree, ms[i-1].Decree, ErrBadWrite)
		}
		writes += len(m.Writes)
	}
	if seesStagedWrites(ms, writes) {
		w.pending = make(map[string]pendingRecord)
	}
	defer func() {
		w.batch.Clear()
		w.pending = nil
	}()
	out := make([][]any, len(ms))
	for mi, m := range ms {
		w.decree = m.Decree
		w.now = epochSecondsFromMicros(m.TimestampUs)
		w.liveAt = w.now
		w.timetag = Timetag(m.TimestampUs, p.opts.ClusterID, false)
		resps := make([]any, len(m.Writes))
		for i := range m.Writes {
			r, err := p.applyWrite(&m.Writes[i])
			if err != nil {
				return nil, fmt.Errorf("apply decree %d, write %d (%v): %w", m.Decree, i, m.Writes[i].Op, err)
			}
			resps[i] = r
		}
		out[mi] = resps
	}
	if err := p.db.Write(w.batch, lastDecree); err != nil {
		return nil, fmt.Errorf("apply decrees %d..%d: %w", first, lastDecree, err)
	}
	return out, nil
}

// applyWrite stages one write and builds its response.
func (p *Partition) applyWrite(wr *Write) (any, error) {
	var ok bool
	var resp any
	var err error
	switch wr.Op {
	case OpPut:
		var req *rrdb.UpdateRequest
		if req, ok = wr.Request.(*rrdb.UpdateRequest); ok {
			resp = p.put(req)
		}
	case OpRemove:
		var key *base.Blob
		if key, ok = wr.Request.(*base.Blob); ok {
			resp = p.remove(key.Bytes())
		}
	case OpMultiPut:
		var req *rrdb.MultiPutRequest
		if req, ok = wr.Request.(*rrdb.MultiPutRequest); ok {
			resp = p.multiPut(req)
		}
	case OpMultiRemove:
		var req *rrdb.MultiRemoveRequest
		if req, ok = wr.Request.(*rrdb.MultiRemoveRequest); ok {
			resp = p.multiRemove(req)
		}
	case OpIncr:
		var req *rrdb.IncrRequest
		if req, ok = wr.Request.(*rrdb.IncrRequest); ok {
			resp, err = p.incr(req)
		}
	case OpCheckAndSet:
		var req *rrdb.CheckAndSetRequest
		if req, ok = wr.Request.(*rrdb.CheckAndSetRequest); ok {
			resp, err = p.checkAndSet(req)
		}
	case OpCheckAndMutate:
		var req *rrdb.CheckAndMutateRequest
		if req, ok = wr.Request.(*rrdb.CheckAndMutateRequest); ok {
			resp, err = p.checkAndMutate(req)
		}
	case OpDuplicate:
		var req *Duplicate
		if req, ok = wr.Request.(*Duplicate); ok {
			resp, err = p.duplicate(req)
		}
	}
	if !ok {
		return nil, fmt.Errorf("%w: op %v with request %T", ErrBadWrite, wr.Op, wr.Request)
	}
	return resp, err
}

// updateResponse is the reply of put, remove and multi_put.
func (p *Partition) updateResponse(status int32) *rrdb.UpdateResponse {
	return &rrdb.UpdateResponse{
		Error:          status,
		AppID:          p.opts.AppID,
		PartitionIndex: p.opts.PartitionIndex,
		Decree:         p.w.decree,
		Server:         p.opts.Server,
	}
}

func (p *Partition) put(req *rrdb.UpdateRequest) *rrdb.UpdateResponse {
	if req != nil {
		p.stagePut(req.Key.Bytes(), req.Value.Bytes(), uint32(req.ExpireTsSeconds))
	}
	return p.updateResponse(StatusOk)
}

func (p *Partition) remove(key []byte) *rrdb.UpdateResponse {
	p.stageDelete(key)
	return p.updateResponse(StatusOk)
}

func (p *Partition) multiPut(req *rrdb.MultiPutRequest) *rrdb.UpdateResponse {
	if req == nil || len(req.Kvs) == 0 || !p.validHashKey(req.HashKey.Bytes()) {
		return p.updateResponse(StatusInvalidArgument)
	}
	hashKey := req.HashKey.Bytes()
	for _, kv := range req.Kvs {
		var sortKey, value []byte
		if kv != nil {
			sortKey, value = kv.Key.Bytes(), kv.Value.Bytes()
		}
		p.w.keyBuf = keys.AppendKey(p.w.keyBuf[:0], hashKey, sortKey)
		p.stagePut(p.w.keyBuf, value, uint32(req.ExpireTsSeconds))
	}
	return p.updateResponse(StatusOk)
}

func (p *Partition) multiRemove(req *rrdb.MultiRemoveRequest) *rrdb.MultiRemoveResponse {
	resp := &rrdb.MultiRemoveResponse{
		AppID:          p.opts.AppID,
		PartitionIndex: p.opts.PartitionIndex,
		Decree:         p.w.decree,
		Server:         p.opts.Server,
	}
	if req == nil || len(req.SortKeys) == 0 || !p.validHashKey(req.HashKey.Bytes()) {
		resp.Error = StatusInvalidArgument
		return resp
	}
	hashKey := req.HashKey.Bytes()
	for _, sk := range req.SortKeys {
		p.w.keyBuf = keys.AppendKey(p.w.keyBuf[:0], hashKey, sk.Bytes())
		p.stageDelete(p.w.keyBuf)
	}
	resp.Count = int64(len(req.SortKeys))
	return resp
}

// stagePut adds a put of user data to the batch. expire_ts 0 takes the
// table's default TTL, counted from the mutation's time.
func (p *Partition) stagePut(key, data []byte, expireTs uint32) {
	w := &p.w
	if w.verify && !p.incomingWins(key) {
		return
	}
	if expireTs == 0 && w.defaultTTL != 0 {
		expireTs = w.now + w.defaultTTL
	}
	w.valBuf = appendValue(w.valBuf[:0], p.dataVersion, expireTs, w.timetag, data)
	w.batch.Put(key, w.valBuf)
	if w.pending != nil {
		w.pending[string(key)] = pendingRecord{raw: append([]byte(nil), w.valBuf...)}
	}
}

// stageDelete adds a delete to the batch.
func (p *Partition) stageDelete(key []byte) {
	w := &p.w
	if w.verify && !p.incomingWins(key) {
		return
	}
	w.batch.Delete(key)
	if w.pending != nil {
		w.pending[string(key)] = pendingRecord{deleted: true}
	}
}

// liveRecord is a record as a read-before-write sees it.
type liveRecord struct {
	exists   bool // present and not expired at the mutation's time
	expireTs uint32
	timetag  uint64
	data     []byte
}

// readForWrite reads key as of the writes staged so far, deciding expiry
// with the mutation's time.
func (p *Partition) readForWrite(key []byte) (liveRecord, error) {
	var raw []byte
	var found bool
	if rec, ok := p.w.pending[string(key)]; ok {
		raw, found = rec.raw, !rec.deleted
	} else {
		var err error
		if raw, found, err = p.db.Get(key); err != nil {
			return liveRecord{}, fmt.Errorf("read before write: %w", err)
		}
	}
	if !found {
		return liveRecord{}, nil
	}
	sv, err := decodeValue(p.dataVersion, raw)
	if err != nil {
		return liveRecord{}, fmt.Errorf("read before write: %w", err)
	}
	if isExpired(sv.expireTs, p.w.liveAt) {
		return liveRecord{}, nil
	}
	return liveRecord{exists: true, expireTs: sv.expireTs, timetag: sv.timetag, data: sv.data}, nil
}
