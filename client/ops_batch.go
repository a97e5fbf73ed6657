package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// BatchGet reads many records in one round of requests: keys are grouped
// by partition and each group is one RPC_RRDB_RRDB_BATCH_GET, all groups in
// parallel. values[i] is the value of keys[i], nil if absent. It is not
// atomic across keys. On error, values holds what the groups that
// succeeded returned, and err joins the failures.
func (t *Table) BatchGet(ctx context.Context, keyList []CompositeKey) (values [][]byte, err error) {
	const op = "BatchGet"
	if len(keyList) == 0 {
		return nil, opError(op, t.name, invalidf("no keys"))
	}
	for i, k := range keyList {
		if err := checkHashKey(k.HashKey); err != nil {
			return nil, opError(op, t.name, fmt.Errorf("key %d: %w", i, err))
		}
	}
	ctx, cancel := t.c.withTimeout(ctx)
	defer cancel()

	values = make([][]byte, len(keyList))
	pending := make([]int, len(keyList))
	for i := range pending {
		pending[i] = i
	}
	b := t.c.cfg.backoff().start()
	for {
		var again []int
		var last error // the routing error of a group to regroup
		err := t.batchGetRound(ctx, keyList, pending, values, &again, &last)
		if len(again) == 0 {
			return values, err
		}
		// Some groups met a routing error that refreshed the configuration
		// (a split, a move): group their keys again under the new one.
		pending = again
		if ctx.Err() != nil || !b.wait(ctx) {
			return values, errors.Join(err, opError(op, t.name, deadlineError(ctx, last)))
		}
	}
}

// batchGetRound sends one BATCH_GET per group of pending keys and appends
// to again the keys of the groups that must be regrouped. Keys are grouped
// by hash % (2 × partition count), not by partition: a group then never
// mixes a parent's keys with those of a child that split from it after the
// configuration was fetched, so a group whose first key reaches the parent
// holds only keys the parent still owns (the server checks the first key's
// hash only). Each group is routed by its first key's hash.
func (t *Table) batchGetRound(ctx context.Context, keyList []CompositeKey, pending []int, values [][]byte, again *[]int, last *error) error {
	count := t.route.Load().count
	groups := make(map[int32][]int)
	var order []int32
	for _, i := range pending {
		idx := keys.PartitionIndex(keys.PartitionHash(keyList[i].HashKey), 2*count)
		if _, ok := groups[idx]; !ok {
			order = append(order, idx)
		}
		groups[idx] = append(groups[idx], i)
	}
	errs := make([]error, len(order))
	var wg sync.WaitGroup
	for gi, idx := range order {
		members := groups[idx]
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[gi] = t.batchGetGroup(ctx, keyList, members, values)
		}()
	}
	wg.Wait()
	var failed []error
	for gi, err := range errs {
		if errors.Is(err, errRegroup) {
			*again = append(*again, groups[order[gi]]...)
			*last = err
			continue
		}
		failed = append(failed, err)
	}
	return errors.Join(failed...)
}

// batchGetGroup fetches the keys at members (all of one partition) and
// stores the found values into values at the same positions.
func (t *Table) batchGetGroup(ctx context.Context, keyList []CompositeKey, members []int, values [][]byte) error {
	const op = "BatchGet"
	fks := make([]*rrdb.FullKey, len(members))
	for j, i := range members {
		fks[j] = &rrdb.FullKey{HashKey: base.NewBlob(keyList[i].HashKey), SortKey: base.NewBlob(keyList[i].SortKey)}
	}
	res := rrdb.NewRrdbBatchGetResult()
	err := t.call(ctx, request{
		op: op, rpc: catalog.RPC_RRDB_RRDB_BATCH_GET, target: hashTarget(keyList[members[0]].HashKey), kind: idempotent, regroup: true,
		args: &rrdb.RrdbBatchGetArgs{Request: &rrdb.BatchGetRequest{Keys: fks}},
	}, res)
	if err != nil {
		return err
	}
	r := res.Success
	if r == nil {
		return opError(op, t.name, errNoResponse)
	}
	if err := t.status(op, r.Error); err != nil {
		return err
	}
	// The server lists the found keys in request order, skipping absent
	// ones, so one forward pass pairs them up.
	j := 0
	for _, d := range r.Data {
		if d == nil {
			continue
		}
		for j < len(members) && !sameKey(keyList[members[j]], d) {
			j++
		}
		if j == len(members) {
			return opError(op, t.name, fmt.Errorf("reply lists key (%q, %q) that was not asked for in that order", d.HashKey.Bytes(), d.SortKey.Bytes()))
		}
		values[members[j]] = nonNil(d.Value.Bytes())
		j++
	}
	return nil
}

func sameKey(k CompositeKey, d *rrdb.FullData) bool {
	return bytes.Equal(k.HashKey, d.HashKey.Bytes()) && bytes.Equal(k.SortKey, d.SortKey.Bytes())
}

// Record is one record to write with BatchSet.
type Record struct {
	HashKey, SortKey, Value []byte
	TTL                     time.Duration // 0 means none
}

// BatchSet writes every record with its own Set, up to
// Config.BatchParallelism at a time. It is not atomic; the error joins the
// failures, each naming the index of its record.
func (t *Table) BatchSet(ctx context.Context, records []Record) error {
	ctx, cancel := t.c.withTimeout(ctx)
	defer cancel()
	return t.parallel(len(records), func(i int) error {
		r := records[i]
		return t.set(ctx, "BatchSet", r.HashKey, r.SortKey, r.Value, r.TTL)
	})
}

// BatchDel deletes every key with its own Del, up to
// Config.BatchParallelism at a time. It is not atomic; the error joins the
// failures, each naming the index of its key.
func (t *Table) BatchDel(ctx context.Context, keyList []CompositeKey) error {
	ctx, cancel := t.c.withTimeout(ctx)
	defer cancel()
	return t.parallel(len(keyList), func(i int) error {
		return t.Del(ctx, keyList[i].HashKey, keyList[i].SortKey)
	})
}

// parallel runs f(0..n-1) on at most BatchParallelism goroutines, waits for
// all, and joins their errors.
func (t *Table) parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, t.c.cfg.BatchParallelism)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(i); err != nil {
				errs[i] = fmt.Errorf("item %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
