package client

import (
	"context"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

// MultiGet reads the records of hashKey with the given sort keys, or, if
// sortKeys is empty, the records of the whole hash key, with
// DefaultMultiGetOptions. See MultiGetOpt.
func (t *Table) MultiGet(ctx context.Context, hashKey []byte, sortKeys [][]byte) ([]KeyValue, bool, error) {
	return t.multiGet(ctx, "MultiGet", hashKey, sortKeys, nil, nil, nil)
}

// MultiGetOpt reads the records of hashKey with the given sort keys (absent
// ones are skipped), or, if sortKeys is empty, the records of the whole hash
// key. The records come in ascending sort key order. allFetched is false
// when a count or size limit cut the result short. With sort keys listed,
// only opts' limits and NoValue apply.
func (t *Table) MultiGetOpt(ctx context.Context, hashKey []byte, sortKeys [][]byte, opts *MultiGetOptions) (kvs []KeyValue, allFetched bool, err error) {
	return t.multiGet(ctx, "MultiGetOpt", hashKey, sortKeys, nil, nil, opts)
}

// MultiGetRange reads the records of hashKey whose sort keys lie in
// [startSortKey, stopSortKey) with DefaultMultiGetOptions. An empty start
// means the first sort key, an empty stop the last.
func (t *Table) MultiGetRange(ctx context.Context, hashKey, startSortKey, stopSortKey []byte) ([]KeyValue, bool, error) {
	return t.multiGet(ctx, "MultiGetRange", hashKey, nil, startSortKey, stopSortKey, nil)
}

// MultiGetRangeOpt reads the records of hashKey between startSortKey and
// stopSortKey as opts say (inclusive ends, filter, limits, reverse).
func (t *Table) MultiGetRangeOpt(ctx context.Context, hashKey, startSortKey, stopSortKey []byte, opts *MultiGetOptions) (kvs []KeyValue, allFetched bool, err error) {
	return t.multiGet(ctx, "MultiGetRangeOpt", hashKey, nil, startSortKey, stopSortKey, opts)
}

func (t *Table) multiGet(ctx context.Context, op string, hashKey []byte, sortKeys [][]byte, start, stop []byte, opts *MultiGetOptions) ([]KeyValue, bool, error) {
	o := DefaultMultiGetOptions()
	if opts != nil {
		o = *opts
	}
	if err := checkHashKey(hashKey); err != nil {
		return nil, false, opError(op, t.name, err)
	}
	if err := o.SortKeyFilter.check("sort key"); err != nil {
		return nil, false, opError(op, t.name, err)
	}
	req := &rrdb.MultiGetRequest{
		HashKey:        base.NewBlob(hashKey),
		SortKeys:       make([]*base.Blob, len(sortKeys)),
		MaxKvCount:     clampInt32(o.MaxFetchCount),
		MaxKvSize:      clampInt32(o.MaxFetchSize),
		NoValue:        o.NoValue,
		StartSortkey:   base.NewBlob(start),
		StopSortkey:    base.NewBlob(stop),
		StartInclusive: o.StartInclusive,
		StopInclusive:  o.StopInclusive,
		Reverse:        o.Reverse,
	}
	req.SortKeyFilterType, req.SortKeyFilterPattern = o.SortKeyFilter.wire()
	for i, sk := range sortKeys {
		req.SortKeys[i] = base.NewBlob(sk)
	}
	res := rrdb.NewRrdbMultiGetResult()
	err := t.call(ctx, request{
		op: op, rpc: catalog.RPC_RRDB_RRDB_MULTI_GET, target: hashTarget(hashKey), kind: idempotent,
		args: &rrdb.RrdbMultiGetArgs{Request: req},
	}, res)
	if err != nil {
		return nil, false, err
	}
	r := res.Success
	if r == nil {
		return nil, false, opError(op, t.name, errNoResponse)
	}
	switch Status(r.Error) {
	case StatusOk, StatusIncomplete:
	default:
		return nil, false, t.status(op, r.Error)
	}
	var kvs []KeyValue
	if len(r.Kvs) > 0 {
		kvs = make([]KeyValue, 0, len(r.Kvs))
	}
	for _, kv := range r.Kvs {
		if kv == nil {
			continue
		}
		kvs = append(kvs, KeyValue{SortKey: nonNil(kv.Key.Bytes()), Value: nonNil(kv.Value.Bytes())})
	}
	return kvs, r.Error == int32(StatusOk), nil
}

// clampInt32 fits a limit into the wire's i32; values <= 0 mean "none".
func clampInt32(n int) int32 {
	switch {
	case n <= 0:
		return 0
	case n > 1<<31-1:
		return 1<<31 - 1
	}
	return int32(n)
}

// MultiSet stores values[i] under (hashKey, sortKeys[i]) for every i,
// atomically, without a TTL.
func (t *Table) MultiSet(ctx context.Context, hashKey []byte, sortKeys, values [][]byte) error {
	return t.multiSet(ctx, "MultiSet", hashKey, sortKeys, values, 0)
}

// MultiSetOpt is MultiSet with a TTL for every record (0 means none).
func (t *Table) MultiSetOpt(ctx context.Context, hashKey []byte, sortKeys, values [][]byte, ttl time.Duration) error {
	return t.multiSet(ctx, "MultiSetOpt", hashKey, sortKeys, values, ttl)
}

func (t *Table) multiSet(ctx context.Context, op string, hashKey []byte, sortKeys, values [][]byte, ttl time.Duration) error {
	if err := checkHashKey(hashKey); err != nil {
		return opError(op, t.name, err)
	}
	if len(sortKeys) == 0 {
		return opError(op, t.name, invalidf("no sort keys"))
	}
	if len(sortKeys) != len(values) {
		return opError(op, t.name, invalidf("%d sort keys but %d values", len(sortKeys), len(values)))
	}
	ts, err := expireTs(ttl)
	if err != nil {
		return opError(op, t.name, err)
	}
	kvs := make([]*rrdb.KeyValue, len(sortKeys))
	for i := range sortKeys {
		kvs[i] = &rrdb.KeyValue{Key: base.NewBlob(sortKeys[i]), Value: base.NewBlob(values[i])}
	}
	res := rrdb.NewRrdbMultiPutResult()
	err = t.call(ctx, request{
		op: op, rpc: catalog.RPC_RRDB_RRDB_MULTI_PUT, target: hashTarget(hashKey), kind: idempotent,
		args: &rrdb.RrdbMultiPutArgs{Request: &rrdb.MultiPutRequest{HashKey: base.NewBlob(hashKey), Kvs: kvs, ExpireTsSeconds: ts}},
	}, res)
	if err != nil {
		return err
	}
	if res.Success == nil {
		return opError(op, t.name, errNoResponse)
	}
	return t.status(op, res.Success.Error)
}

// MultiDel deletes the records of hashKey with the given sort keys,
// atomically. sortKeys must not be empty.
func (t *Table) MultiDel(ctx context.Context, hashKey []byte, sortKeys [][]byte) error {
	return t.multiDel(ctx, "MultiDel", hashKey, sortKeys)
}

func (t *Table) multiDel(ctx context.Context, op string, hashKey []byte, sortKeys [][]byte) error {
	if err := checkHashKey(hashKey); err != nil {
		return opError(op, t.name, err)
	}
	if len(sortKeys) == 0 {
		return opError(op, t.name, invalidf("no sort keys"))
	}
	sks := make([]*base.Blob, len(sortKeys))
	for i, sk := range sortKeys {
		sks[i] = base.NewBlob(sk)
	}
	res := rrdb.NewRrdbMultiRemoveResult()
	err := t.call(ctx, request{
		op: op, rpc: catalog.RPC_RRDB_RRDB_MULTI_REMOVE, target: hashTarget(hashKey), kind: idempotent,
		args: &rrdb.RrdbMultiRemoveArgs{Request: &rrdb.MultiRemoveRequest{HashKey: base.NewBlob(hashKey), SortKeys: sks}},
	}, res)
	if err != nil {
		return err
	}
	if res.Success == nil {
		return opError(op, t.name, errNoResponse)
	}
	return t.status(op, res.Success.Error)
}

// delRangeBatch is how many sort keys DelRange deletes per MultiDel.
const delRangeBatch = 1000

// DelRange deletes the records of hashKey whose sort keys lie in
// [startSortKey, stopSortKey) (empty ends are open). See DelRangeOpt.
func (t *Table) DelRange(ctx context.Context, hashKey, startSortKey, stopSortKey []byte) error {
	return t.DelRangeOpt(ctx, hashKey, startSortKey, stopSortKey, nil)
}

// DelRangeOpt deletes the records of hashKey in the range opts describe.
// It scans the sort keys (keys only) and deletes them with one MultiDel per
// batch, so it is atomic per batch, not as a whole; on error some records
// may already be gone. The whole operation runs within ctx's deadline
// (OperationTimeout if none).
func (t *Table) DelRangeOpt(ctx context.Context, hashKey, startSortKey, stopSortKey []byte, opts *DelRangeOptions) error {
	const op = "DelRange"
	o := DelRangeOptions{StartInclusive: true}
	if opts != nil {
		o = *opts
	}
	ctx, cancel := t.c.withTimeout(ctx)
	defer cancel()
	s, err := t.GetScanner(ctx, hashKey, startSortKey, stopSortKey, &ScanOptions{
		BatchSize:      delRangeBatch,
		StartInclusive: o.StartInclusive,
		StopInclusive:  o.StopInclusive,
		SortKeyFilter:  o.SortKeyFilter,
		NoValue:        true,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	var batch [][]byte
	for {
		done, _, sk, _, err := s.Next(ctx)
		if err != nil {
			return err
		}
		if !done {
			batch = append(batch, sk)
		}
		if len(batch) > 0 && (done || len(batch) == delRangeBatch) {
			if err := t.multiDel(ctx, op, hashKey, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
		if done {
			return nil
		}
	}
}

// SortKeyCount returns the number of unexpired records of hashKey, or -1
// if the server ran out of time counting.
func (t *Table) SortKeyCount(ctx context.Context, hashKey []byte) (int64, error) {
	const op = "SortKeyCount"
	if err := checkHashKey(hashKey); err != nil {
		return 0, opError(op, t.name, err)
	}
	res := rrdb.NewRrdbSortkeyCountResult()
	err := t.call(ctx, request{
		op: op, rpc: catalog.RPC_RRDB_RRDB_SORTKEY_COUNT, target: hashTarget(hashKey), kind: idempotent,
		args: &rrdb.RrdbSortkeyCountArgs{HashKey: base.NewBlob(hashKey)},
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
	return r.Count, nil
}
