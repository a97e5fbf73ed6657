package storage

import (
	"bytes"
	"slices"
	"strconv"
	"strings"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// model is a deliberately naive reference implementation of one
// partition's semantics: a map of encoded keys to records, scanned by
// sorting. It keeps expired records until "compaction", like the engine, so
// that limit outcomes that depend on what lies beyond a range agree.
type model struct {
	recs         map[string]modelRec
	defaultTTL   uint32
	validateHash bool
	partCount    int32
	partIndex    int32
	appID        int32
	server       string

	// Limits, mirroring the partition's Options.
	mgMaxCount int
	mgMaxSize  int64
	scanCap    int
}

type modelRec struct {
	data     []byte
	expireTs uint32
}

func (m *model) live(k []byte, now uint32) (modelRec, bool) {
	r, ok := m.recs[string(k)]
	if !ok || (r.expireTs != 0 && r.expireTs <= now) {
		return modelRec{}, false
	}
	return r, true
}

func (m *model) sorted() [][]byte {
	out := make([][]byte, 0, len(m.recs))
	for k := range m.recs {
		out = append(out, []byte(k))
	}
	slices.SortFunc(out, bytes.Compare)
	return out
}

func (m *model) owns(k []byte) bool {
	return keys.KeyHash(k)&uint64(m.partCount-1) == uint64(m.partIndex)
}

func (m *model) store(k, data []byte, expireTs uint32, now uint32) {
	if expireTs == 0 && m.defaultTTL != 0 {
		expireTs = now + m.defaultTTL
	}
	m.recs[string(k)] = modelRec{data: slices.Clone(data), expireTs: expireTs}
}

func (m *model) compact(now uint32) {
	for k, r := range m.recs {
		if (r.expireTs != 0 && r.expireTs <= now) || (m.validateHash && !m.owns([]byte(k))) {
			delete(m.recs, k)
		}
	}
}

// apply executes one write at mutation time now and returns its response.
func (m *model) apply(w Write, decree int64, now uint32) any {
	upd := func(e int32) *rrdb.UpdateResponse {
		return &rrdb.UpdateResponse{Error: e, AppID: m.appID, PartitionIndex: m.partIndex, Decree: decree, Server: m.server}
	}
	switch w.Op {
	case OpPut:
		r := w.Request.(*rrdb.UpdateRequest)
		m.store(r.Key.Bytes(), r.Value.Bytes(), uint32(r.ExpireTsSeconds), now)
		return upd(0)
	case OpRemove:
		delete(m.recs, string(w.Request.(*base.Blob).Bytes()))
		return upd(0)
	case OpMultiPut:
		r := w.Request.(*rrdb.MultiPutRequest)
		if len(r.Kvs) == 0 {
			return upd(4)
		}
		for _, kv := range r.Kvs {
			m.store(keys.EncodeKey(r.HashKey.Bytes(), kv.Key.Bytes()), kv.Value.Bytes(), uint32(r.ExpireTsSeconds), now)
		}
		return upd(0)
	case OpMultiRemove:
		r := w.Request.(*rrdb.MultiRemoveRequest)
		resp := &rrdb.MultiRemoveResponse{AppID: m.appID, PartitionIndex: m.partIndex, Decree: decree, Server: m.server}
		if len(r.SortKeys) == 0 {
			resp.Error = 4
			return resp
		}
		for _, s := range r.SortKeys {
			delete(m.recs, string(keys.EncodeKey(r.HashKey.Bytes(), s.Bytes())))
		}
		resp.Count = int64(len(r.SortKeys))
		return resp
	case OpIncr:
		r := w.Request.(*rrdb.IncrRequest)
		resp := &rrdb.IncrResponse{AppID: m.appID, PartitionIndex: m.partIndex, Decree: decree, Server: m.server}
		old, ok := m.live(r.Key.Bytes(), now)
		var base int64
		var expire uint32
		if r.ExpireTsSeconds > 0 {
			expire = uint32(r.ExpireTsSeconds)
		}
		if ok {
			if len(old.data) > 0 {
				v, okInt := modelParseInt(old.data)
				if !okInt {
					resp.Error = 4
					return resp
				}
				base = v
			}
			if r.ExpireTsSeconds == 0 {
				expire = old.expireTs
			}
		}
		sum := base + r.Increment
		if (r.Increment > 0 && sum < base) || (r.Increment < 0 && sum > base) {
			resp.Error, resp.NewValue_ = 4, base
			return resp
		}
		m.store(r.Key.Bytes(), []byte(strconv.FormatInt(sum, 10)), expire, now)
		resp.NewValue_ = sum
		return resp
	case OpCheckAndSet:
		r := w.Request.(*rrdb.CheckAndSetRequest)
		resp := &rrdb.CheckAndSetResponse{AppID: m.appID, PartitionIndex: m.partIndex, Decree: decree, Server: m.server}
		st, ret, exist, val := m.check(r.HashKey.Bytes(), r.CheckSortKey.Bytes(), r.CheckType, r.CheckOperand.Bytes(), r.ReturnCheckValue, now)
		resp.Error, resp.CheckValueReturned, resp.CheckValueExist, resp.CheckValue = st, ret, exist, &base.Blob{Data: val}
		if st == 0 {
			sk := r.CheckSortKey.Bytes()
			if r.SetDiffSortKey {
				sk = r.SetSortKey.Bytes()
			}
			m.store(keys.EncodeKey(r.HashKey.Bytes(), sk), r.SetValue.Bytes(), uint32(r.SetExpireTsSeconds), now)
		}
		return resp
	case OpCheckAndMutate:
		r := w.Request.(*rrdb.CheckAndMutateRequest)
		resp := &rrdb.CheckAndMutateResponse{AppID: m.appID, PartitionIndex: m.partIndex, Decree: decree, Server: m.server}
		validOps := len(r.MutateList) > 0
		for _, mu := range r.MutateList {
			if mu.Operation != 0 && mu.Operation != 1 {
				validOps = false
			}
		}
		if !validOps {
			resp.Error = 4
			return resp
		}
		st, ret, exist, val := m.check(r.HashKey.Bytes(), r.CheckSortKey.Bytes(), r.CheckType, r.CheckOperand.Bytes(), r.ReturnCheckValue, now)
		resp.Error, resp.CheckValueReturned, resp.CheckValueExist, resp.CheckValue = st, ret, exist, &base.Blob{Data: val}
		if st == 0 {
			for _, mu := range r.MutateList {
				k := keys.EncodeKey(r.HashKey.Bytes(), mu.SortKey.Bytes())
				if mu.Operation == 0 {
					m.store(k, mu.Value.Bytes(), uint32(mu.SetExpireTsSeconds), now)
				} else {
					delete(m.recs, string(k))
				}
			}
		}
		return resp
	}
	panic("unknown op")
}

// modelParseInt is strtoll-with-full-consumption built from Go's ParseInt:
// C skips leading whitespace, and Go's base 0 accepts underscores and
// 0b/0o prefixes that C does not.
func modelParseInt(s []byte) (int64, bool) {
	t := string(bytes.TrimLeft(s, " \t\n\v\f\r"))
	digits := strings.TrimLeft(t, "+-")
	if len(t)-len(digits) > 1 || strings.Contains(t, "_") {
		return 0, false
	}
	if len(digits) >= 2 && digits[0] == '0' && strings.ContainsRune("bBoO", rune(digits[1])) {
		return 0, false
	}
	v, err := strconv.ParseInt(t, 0, 64)
	return v, err == nil
}

func (m *model) check(hash, sortKey []byte, ct rrdb.CasCheckType, operand []byte, ret bool, now uint32) (status int32, returned, exist bool, value []byte) {
	if ct < 0 || ct > 17 {
		return 4, false, false, nil
	}
	rec, ok := m.live(keys.EncodeKey(hash, sortKey), now)
	if ret {
		returned, exist = true, ok
		if ok {
			value = rec.data
		}
	}
	v := rec.data
	pass := false
	switch ct {
	case 0:
		pass = true
	case 1:
		pass = !ok
	case 2:
		pass = !ok || len(v) == 0
	case 3:
		pass = ok
	case 4:
		pass = ok && len(v) > 0
	case 5:
		pass = ok && bytes.Contains(v, operand)
	case 6:
		pass = ok && bytes.HasPrefix(v, operand)
	case 7:
		pass = ok && bytes.HasSuffix(v, operand)
	case 8, 9, 10, 11, 12:
		c := bytes.Compare(v, operand)
		pass = ok && [...]bool{c < 0, c <= 0, c == 0, c >= 0, c > 0}[ct-8]
	default:
		if !ok {
			break
		}
		a, ok1 := modelParseInt(v)
		b, ok2 := modelParseInt(operand)
		if !ok1 || !ok2 {
			return 4, returned, exist, value
		}
		pass = [...]bool{a < b, a <= b, a == b, a >= b, a > b}[ct-13]
	}
	if pass {
		return 0, returned, exist, value
	}
	return 13, returned, exist, value
}
