package client

import (
	"context"
	"errors"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// errNoResponse reports an ERR_OK reply whose result struct was empty.
var errNoResponse = errors.New("reply carries no response")

// status turns a storage status the operation does not interpret into an
// *Error (nil for StatusOk).
func (t *Table) status(op string, code int32) error {
	if code == int32(StatusOk) {
		return nil
	}
	return &Error{Op: op, Table: t.name, Status: Status(code)}
}

// Get returns the value of (hashKey, sortKey), or nil, nil if there is no
// such record (or it expired). A record with an empty value gives a
// non-nil empty slice.
func (t *Table) Get(ctx context.Context, hashKey, sortKey []byte) ([]byte, error) {
	const op = "Get"
	if err := checkHashKey(hashKey); err != nil {
		return nil, opError(op, t.name, err)
	}
	res := rrdb.NewRrdbGetResult()
	err := t.call(ctx, request{
		op: op, rpc: catalog.RPC_RRDB_RRDB_GET, target: hashTarget(hashKey), kind: idempotent,
		args: &rrdb.RrdbGetArgs{Key: base.NewBlob(keys.EncodeKey(hashKey, sortKey))},
	}, res)
	if err != nil {
		return nil, err
	}
	r := res.Success
	if r == nil {
		return nil, opError(op, t.name, errNoResponse)
	}
	switch Status(r.Error) {
	case StatusOk:
		return nonNil(r.Value.Bytes()), nil
	case StatusNotFound:
		return nil, nil
	}
	return nil, t.status(op, r.Error)
}

// Set stores value under (hashKey, sortKey) without a TTL (the table's
// default TTL, if any, applies). A nil value stores an empty value.
func (t *Table) Set(ctx context.Context, hashKey, sortKey, value []byte) error {
	return t.set(ctx, "Set", hashKey, sortKey, value, 0)
}

// SetTTL stores value under (hashKey, sortKey), expiring after ttl
// (rounded up to whole seconds; 0 means no TTL).
func (t *Table) SetTTL(ctx context.Context, hashKey, sortKey, value []byte, ttl time.Duration) error {
	return t.set(ctx, "SetTTL", hashKey, sortKey, value, ttl)
}

func (t *Table) set(ctx context.Context, op string, hashKey, sortKey, value []byte, ttl time.Duration) error {
	if err := checkHashKey(hashKey); err != nil {
		return opError(op, t.name, err)
	}
	ts, err := expireTs(ttl)
	if err != nil {
		return opError(op, t.name, err)
	}
	res := rrdb.NewRrdbPutResult()
	err = t.call(ctx, request{
		op: op, rpc: catalog.RPC_RRDB_RRDB_PUT, target: hashTarget(hashKey), kind: idempotent,
		args: &rrdb.RrdbPutArgs{Update: &rrdb.UpdateRequest{
			Key:             base.NewBlob(keys.EncodeKey(hashKey, sortKey)),
			Value:           base.NewBlob(value),
			ExpireTsSeconds: ts,
		}},
	}, res)
	if err != nil {
		return err
	}
	if res.Success == nil {
		return opError(op, t.name, errNoResponse)
	}
	return t.status(op, res.Success.Error)
}

// Del deletes (hashKey, sortKey); deleting an absent record succeeds.
func (t *Table) Del(ctx context.Context, hashKey, sortKey []byte) error {
	const op = "Del"
	if err := checkHashKey(hashKey); err != nil {
		return opError(op, t.name, err)
	}
	res := rrdb.NewRrdbRemoveResult()
	err := t.call(ctx, request{
		op: op, rpc: catalog.RPC_RRDB_RRDB_REMOVE, target: hashTarget(hashKey), kind: idempotent,
		args: &rrdb.RrdbRemoveArgs{Key: base.NewBlob(keys.EncodeKey(hashKey, sortKey))},
	}, res)
	if err != nil {
		return err
	}
	if res.Success == nil {
		return opError(op, t.name, errNoResponse)
	}
	return t.status(op, res.Success.Error)
}

// TTL returns the remaining time to live of (hashKey, sortKey) in seconds:
// -1 if the record has no TTL, -2 if there is no such record.
func (t *Table) TTL(ctx context.Context, hashKey, sortKey []byte) (int, error) {
	return t.ttl(ctx, "TTL", hashKey, sortKey)
}

func (t *Table) ttl(ctx context.Context, op string, hashKey, sortKey []byte) (int, error) {
	if err := checkHashKey(hashKey); err != nil {
		return 0, opError(op, t.name, err)
	}
	res := rrdb.NewRrdbTTLResult()
	err := t.call(ctx, request{
		op: op, rpc: catalog.RPC_RRDB_RRDB_TTL, target: hashTarget(hashKey), kind: idempotent,
		args: &rrdb.RrdbTTLArgs{Key: base.NewBlob(keys.EncodeKey(hashKey, sortKey))},
	}, res)
	if err != nil {
		return 0, err
	}
	r := res.Success
	if r == nil {
		return 0, opError(op, t.name, errNoResponse)
	}
	switch Status(r.Error) {
	case StatusOk:
		return int(r.TTLSeconds), nil
	case StatusNotFound:
		return -2, nil
	}
	return 0, t.status(op, r.Error)
}

// Exist reports whether (hashKey, sortKey) holds an unexpired record.
func (t *Table) Exist(ctx context.Context, hashKey, sortKey []byte) (bool, error) {
	ttl, err := t.ttl(ctx, "Exist", hashKey, sortKey)
	if err != nil {
		return false, err
	}
	return ttl != -2, nil
}

// Incr adds increment to the integer stored under (hashKey, sortKey) (an
// absent or empty value counts as 0), keeps the record's TTL, and returns
// the new value. A value that is not an integer, or an overflow, gives an
// *Error with StatusInvalidArgument. Incr is not idempotent: it is retried
// only when the request surely did not execute.
func (t *Table) Incr(ctx context.Context, hashKey, sortKey []byte, increment int64) (int64, error) {
	const op = "Incr"
	if err := checkHashKey(hashKey); err != nil {
		return 0, opError(op, t.name, err)
	}
	res := rrdb.NewRrdbIncrResult()
	err := t.call(ctx, request{
		op: op, rpc: catalog.RPC_RRDB_RRDB_INCR, target: hashTarget(hashKey), kind: nonIdempotent,
		args: &rrdb.RrdbIncrArgs{Request: &rrdb.IncrRequest{
			Key:       base.NewBlob(keys.EncodeKey(hashKey, sortKey)),
			Increment: increment,
		}},
	}, res)
	if err != nil {
		return 0, err
	}
	r := res.Success
	if r == nil {
		return 0, opError(op, t.name, errNoResponse)
	}
	if err := t.status(op, r.Error); err != nil {
		return 0, err
	}
	return r.NewValue_, nil
}
