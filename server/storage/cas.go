package storage

import (
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// casOutcome is what the check of a check_and_set / check_and_mutate found.
type casOutcome struct {
	status          int32 // StatusOk when the writes should be applied
	returned, exist bool
	value           []byte
}

// evalCAS reads (hashKey, checkSortKey) and evaluates the check (§5.8 steps
// 2–4, 6). The check type must be valid.
func (p *Partition) evalCAS(hashKey, checkSortKey []byte, ct rrdb.CasCheckType, operand []byte, returnValue bool) (casOutcome, error) {
	p.w.keyBuf = keys.AppendKey(p.w.keyBuf[:0], hashKey, checkSortKey)
	rec, err := p.readForWrite(p.w.keyBuf)
	if err != nil {
		return casOutcome{}, err
	}
	var out casOutcome
	if returnValue {
		out.returned = true
		if rec.exists {
			out.exist = true
			out.value = rec.data // a fresh copy: staged records are never reused
		}
	}
	passed, invalid := evalCheck(ct, operand, rec.exists, rec.data)
	switch {
	case passed:
		out.status = StatusOk
	case invalid:
		out.status = StatusInvalidArgument
	default:
		out.status = StatusTryAgain
	}
	return out, nil
}

// checkValueBlob is the check_value field of a CAS response.
func (o *casOutcome) checkValueBlob() *base.Blob { return &base.Blob{Data: o.value} }

func (p *Partition) checkAndSet(req *rrdb.CheckAndSetRequest) (*rrdb.CheckAndSetResponse, error) {
	resp := &rrdb.CheckAndSetResponse{
		CheckValue:     emptyBlob(),
		AppID:          p.opts.AppID,
		PartitionIndex: p.opts.PartitionIndex,
		Decree:         p.w.decree,
		Server:         p.opts.Server,
	}
	if req == nil || !validCheckType(req.CheckType) || !p.validHashKey(req.HashKey.Bytes()) {
		resp.Error = StatusInvalidArgument
		return resp, nil
	}
	hashKey := req.HashKey.Bytes()
	out, err := p.evalCAS(hashKey, req.CheckSortKey.Bytes(), req.CheckType, req.CheckOperand.Bytes(), req.ReturnCheckValue)
	if err != nil {
		return nil, err
	}
	resp.Error = out.status
	resp.CheckValueReturned, resp.CheckValueExist, resp.CheckValue = out.returned, out.exist, out.checkValueBlob()
	if out.status != StatusOk {
		return resp, nil
	}
	sortKey := req.CheckSortKey.Bytes()
	if req.SetDiffSortKey {
		sortKey = req.SetSortKey.Bytes()
	}
	p.w.keyBuf = keys.AppendKey(p.w.keyBuf[:0], hashKey, sortKey)
	p.stagePut(p.w.keyBuf, req.SetValue.Bytes(), uint32(req.SetExpireTsSeconds))
	return resp, nil
}

func (p *Partition) checkAndMutate(req *rrdb.CheckAndMutateRequest) (*rrdb.CheckAndMutateResponse, error) {
	resp := &rrdb.CheckAndMutateResponse{
		CheckValue:     emptyBlob(),
		AppID:          p.opts.AppID,
		PartitionIndex: p.opts.PartitionIndex,
		Decree:         p.w.decree,
		Server:         p.opts.Server,
	}
	if req == nil || !validMutateList(req.MutateList) || !validCheckType(req.CheckType) || !p.validHashKey(req.HashKey.Bytes()) {
		resp.Error = StatusInvalidArgument
		return resp, nil
	}
	hashKey := req.HashKey.Bytes()
	out, err := p.evalCAS(hashKey, req.CheckSortKey.Bytes(), req.CheckType, req.CheckOperand.Bytes(), req.ReturnCheckValue)
	if err != nil {
		return nil, err
	}
	resp.Error = out.status
	resp.CheckValueReturned, resp.CheckValueExist, resp.CheckValue = out.returned, out.exist, out.checkValueBlob()
	if out.status != StatusOk {
		return resp, nil
	}
	for _, m := range req.MutateList {
		p.w.keyBuf = keys.AppendKey(p.w.keyBuf[:0], hashKey, m.SortKey.Bytes())
		if m.Operation == rrdb.MutateOperation_MO_PUT {
			p.stagePut(p.w.keyBuf, m.Value.Bytes(), uint32(m.SetExpireTsSeconds))
		} else {
			p.stageDelete(p.w.keyBuf)
		}
	}
	return resp, nil
}

// validMutateList reports whether a mutate list is non-empty and uses only
// MO_PUT and MO_DELETE.
func validMutateList(list []*rrdb.Mutate) bool {
	if len(list) == 0 {
		return false
	}
	for _, m := range list {
		if m == nil || (m.Operation != rrdb.MutateOperation_MO_PUT && m.Operation != rrdb.MutateOperation_MO_DELETE) {
			return false
		}
	}
	return true
}
