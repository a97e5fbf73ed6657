package client

import (
	"bytes"
	"context"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

// CheckType is the condition CheckAndSet and CheckAndMutate evaluate on the
// checked record's value (protocol.md §3.3 cas_check_type).
type CheckType int32

// The check types, numbered as on the wire. "Int" checks parse the value
// and the operand as integers; "Bytes" checks compare bytewise.
const (
	CheckTypeNoCheck              CheckType = 0
	CheckTypeValueNotExist        CheckType = 1 // absent or expired
	CheckTypeValueNotExistOrEmpty CheckType = 2
	CheckTypeValueExist           CheckType = 3
	CheckTypeValueNotEmpty        CheckType = 4
	CheckTypeMatchAnywhere        CheckType = 5
	CheckTypeMatchPrefix          CheckType = 6
	CheckTypeMatchPostfix         CheckType = 7
	CheckTypeBytesLess            CheckType = 8
	CheckTypeBytesLessOrEqual     CheckType = 9
	CheckTypeBytesEqual           CheckType = 10
	CheckTypeBytesGreaterOrEqual  CheckType = 11
	CheckTypeBytesGreater         CheckType = 12
	CheckTypeIntLess              CheckType = 13
	CheckTypeIntLessOrEqual       CheckType = 14
	CheckTypeIntEqual             CheckType = 15
	CheckTypeIntGreaterOrEqual    CheckType = 16
	CheckTypeIntGreater           CheckType = 17
)

const maxCheckType = CheckTypeIntGreater

func (c CheckType) check() error {
	if c < CheckTypeNoCheck || c > maxCheckType {
		return invalidf("check type %d", c)
	}
	return nil
}

// CheckAndSetOptions shape CheckAndSet. The zero value sets without a TTL
// and does not return the checked value.
type CheckAndSetOptions struct {
	SetValueTTL      time.Duration
	ReturnCheckValue bool
}

// CheckResult is what a check returns besides its outcome, when the
// checked value was asked for.
type CheckResult struct {
	// CheckValueReturned is true iff ReturnCheckValue was requested.
	CheckValueReturned bool
	// CheckValueExist says whether the checked record existed; CheckValue
	// is its value then.
	CheckValueExist bool
	CheckValue      []byte
}

// CheckAndSetResult is the outcome of CheckAndSet.
type CheckAndSetResult struct {
	// SetSucceed is true if the check passed and the value was written.
	SetSucceed bool
	CheckResult
}

// CheckAndSet atomically checks the value of (hashKey, checkSortKey)
// against checkType and checkOperand and, if the check passes, writes
// setValue to (hashKey, setSortKey) — which may be checkSortKey itself. A
// failed check is SetSucceed == false, not an error; an operand or value
// that an integer check cannot parse is an *Error with
// StatusInvalidArgument. Not idempotent: retried only when the request
// surely did not execute.
func (t *Table) CheckAndSet(ctx context.Context, hashKey, checkSortKey []byte, checkType CheckType, checkOperand, setSortKey, setValue []byte, opts *CheckAndSetOptions) (*CheckAndSetResult, error) {
	const op = "CheckAndSet"
	var o CheckAndSetOptions
	if opts != nil {
		o = *opts
	}
	if err := checkHashKey(hashKey); err != nil {
		return nil, opError(op, t.name, err)
	}
	if err := checkType.check(); err != nil {
		return nil, opError(op, t.name, err)
	}
	ts, err := expireTs(o.SetValueTTL)
	if err != nil {
		return nil, opError(op, t.name, err)
	}
	req := &rrdb.CheckAndSetRequest{
		HashKey:            base.NewBlob(hashKey),
		CheckSortKey:       base.NewBlob(checkSortKey),
		CheckType:          rrdb.CasCheckType(checkType),
		CheckOperand:       base.NewBlob(checkOperand),
		SetDiffSortKey:     !bytes.Equal(checkSortKey, setSortKey),
		SetSortKey:         base.NewBlob(setSortKey),
		SetValue:           base.NewBlob(setValue),
		SetExpireTsSeconds: ts,
		ReturnCheckValue:   o.ReturnCheckValue,
	}
	res := rrdb.NewRrdbCheckAndSetResult()
	err = t.call(ctx, request{
		op: op, rpc: catalog.RPC_RRDB_RRDB_CHECK_AND_SET, target: hashTarget(hashKey), kind: nonIdempotent,
		args: &rrdb.RrdbCheckAndSetArgs{Request: req},
	}, res)
	if err != nil {
		return nil, err
	}
	r := res.Success
	if r == nil {
		return nil, opError(op, t.name, errNoResponse)
	}
	ok, err := t.checkOutcome(op, r.Error)
	if err != nil {
		return nil, err
	}
	return &CheckAndSetResult{SetSucceed: ok, CheckResult: checkResult(r.CheckValueReturned, r.CheckValueExist, r.CheckValue)}, nil
}

// checkOutcome maps a check-and-write status: 0 passed, kTryAgain failed
// the check, anything else is an error.
func (t *Table) checkOutcome(op string, code int32) (bool, error) {
	switch Status(code) {
	case StatusOk:
		return true, nil
	case StatusTryAgain:
		return false, nil
	}
	return false, t.status(op, code)
}

func checkResult(returned, exist bool, value *base.Blob) CheckResult {
	cr := CheckResult{CheckValueReturned: returned, CheckValueExist: returned && exist}
	if cr.CheckValueExist {
		cr.CheckValue = nonNil(value.Bytes())
	}
	return cr
}

// Mutations is the list of writes CheckAndMutate applies, in order, when
// its check passes. Build it with Put and Del; the zero value is empty.
type Mutations struct {
	list []mutation
}

type mutation struct {
	del     bool
	sortKey []byte
	value   []byte
	ttl     time.Duration
}

// Put adds a write of value to sortKey with ttl (0 means none). TTLs are
// turned into expiry times when CheckAndMutate sends the list.
func (m *Mutations) Put(sortKey, value []byte, ttl time.Duration) *Mutations {
	m.list = append(m.list, mutation{sortKey: sortKey, value: value, ttl: ttl})
	return m
}

// Del adds a deletion of sortKey.
func (m *Mutations) Del(sortKey []byte) *Mutations {
	m.list = append(m.list, mutation{del: true, sortKey: sortKey})
	return m
}

// Len is the number of mutations.
func (m *Mutations) Len() int { return len(m.list) }

func (m *Mutations) wire() ([]*rrdb.Mutate, error) {
	out := make([]*rrdb.Mutate, len(m.list))
	for i, mu := range m.list {
		w := &rrdb.Mutate{Operation: rrdb.MutateOperation_MO_PUT, SortKey: base.NewBlob(mu.sortKey), Value: base.NewBlob(mu.value)}
		if mu.del {
			w.Operation = rrdb.MutateOperation_MO_DELETE
		} else {
			ts, err := expireTs(mu.ttl)
			if err != nil {
				return nil, err
			}
			w.SetExpireTsSeconds = ts
		}
		out[i] = w
	}
	return out, nil
}

// CheckAndMutateOptions shape CheckAndMutate.
type CheckAndMutateOptions struct {
	ReturnCheckValue bool
}

// CheckAndMutateResult is the outcome of CheckAndMutate.
type CheckAndMutateResult struct {
	// MutateSucceed is true if the check passed and every mutation was
	// applied (atomically).
	MutateSucceed bool
	CheckResult
}

// CheckAndMutate atomically checks the value of (hashKey, checkSortKey) and,
// if the check passes, applies every mutation under hashKey. mutations must
// not be empty. Not idempotent, like CheckAndSet.
func (t *Table) CheckAndMutate(ctx context.Context, hashKey, checkSortKey []byte, checkType CheckType, checkOperand []byte, mutations *Mutations, opts *CheckAndMutateOptions) (*CheckAndMutateResult, error) {
	const op = "CheckAndMutate"
	var o CheckAndMutateOptions
	if opts != nil {
		o = *opts
	}
	if err := checkHashKey(hashKey); err != nil {
		return nil, opError(op, t.name, err)
	}
	if err := checkType.check(); err != nil {
		return nil, opError(op, t.name, err)
	}
	if mutations == nil || mutations.Len() == 0 {
		return nil, opError(op, t.name, invalidf("no mutations"))
	}
	list, err := mutations.wire()
	if err != nil {
		return nil, opError(op, t.name, err)
	}
	req := &rrdb.CheckAndMutateRequest{
		HashKey:          base.NewBlob(hashKey),
		CheckSortKey:     base.NewBlob(checkSortKey),
		CheckType:        rrdb.CasCheckType(checkType),
		CheckOperand:     base.NewBlob(checkOperand),
		MutateList:       list,
		ReturnCheckValue: o.ReturnCheckValue,
	}
	res := rrdb.NewRrdbCheckAndMutateResult()
	err = t.call(ctx, request{
		op: op, rpc: catalog.RPC_RRDB_RRDB_CHECK_AND_MUTATE, target: hashTarget(hashKey), kind: nonIdempotent,
		args: &rrdb.RrdbCheckAndMutateArgs{Request: req},
	}, res)
	if err != nil {
		return nil, err
	}
	r := res.Success
	if r == nil {
		return nil, opError(op, t.name, errNoResponse)
	}
	ok, err := t.checkOutcome(op, r.Error)
	if err != nil {
		return nil, err
	}
	return &CheckAndMutateResult{MutateSucceed: ok, CheckResult: checkResult(r.CheckValueReturned, r.CheckValueExist, r.CheckValue)}, nil
}
