package client

import (
	"context"
	"fmt"

	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// DuplicateError is a duplicate request the follower refused as a whole
// (duplicate_response.error non-zero): nothing of it was applied.
type DuplicateError struct {
	Table string
	Code  int32
	Hint  string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("client: Duplicate on table %q: refused with error %d: %s", e.Table, e.Code, e.Hint)
}

// Duplicate ships writes of another cluster to this table
// (RPC_RRDB_RRDB_DUPLICATE, cross-cluster duplication): every entry of req
// must be about hashKey's partition, which the request is routed to by
// the hash of hashKey (for a table-wide hash, the encoded key of a put or
// remove without a hash key, pass KeyHash's input through DuplicateByHash
// instead). It is retried like an idempotent write: the follower's
// last-write-wins check makes a repeated entry harmless. A refusal by the
// follower comes back as *DuplicateError.
func (t *Table) Duplicate(ctx context.Context, hashKey []byte, req *rrdb.DuplicateRequest) error {
	return t.DuplicateByHash(ctx, keys.PartitionHash(hashKey), req)
}

// DuplicateByHash is Duplicate routed by a partition hash computed by the
// caller (keys.PartitionHash or keys.KeyHash).
func (t *Table) DuplicateByHash(ctx context.Context, hash uint64, req *rrdb.DuplicateRequest) error {
	const op = "Duplicate"
	if req == nil || len(req.Entries) == 0 {
		return opError(op, t.name, fmt.Errorf("%w: no entries", ErrInvalidArgument))
	}
	res := rrdb.NewRrdbDuplicateResult()
	err := t.call(ctx, request{
		op: op, rpc: catalog.RPC_RRDB_RRDB_DUPLICATE, target: target{hash: hash}, kind: idempotent,
		args: &rrdb.RrdbDuplicateArgs{Request: req},
	}, res)
	if err != nil {
		return err
	}
	r := res.Success
	if r == nil {
		return opError(op, t.name, errNoResponse)
	}
	if r.GetError() != 0 {
		return &DuplicateError{Table: t.name, Code: r.GetError(), Hint: r.GetErrorHint()}
	}
	return nil
}
