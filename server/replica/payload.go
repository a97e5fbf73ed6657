package replica

import (
	"errors"
	"fmt"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// A write travels through replication as a payload: one byte naming the
// storage operation, then the request's thrift args struct exactly as the
// client sent it (upstream's mutation_update: RPC code plus body). Every
// member decodes it again when it applies the mutation, so the primary and
// its secondaries run the same bytes through the same code.

var errBadPayload = errors.New("malformed write payload")

// payloadOf builds the payload of a write whose args arrived as raw bytes.
// It copies args: the mutation outlives the request frame.
func payloadOf(op storage.Op, args []byte) []byte {
	p := make([]byte, 1+len(args))
	p[0] = byte(op)
	copy(p[1:], args)
	return p
}

// encodeWrite builds the payload of an already decoded write (callers that
// hold a storage.Write rather than a request frame).
func encodeWrite(w storage.Write) ([]byte, error) {
	var args thrift.TStruct
	switch req := w.Request.(type) {
	case *rrdb.UpdateRequest:
		if w.Op != storage.OpPut {
			return nil, fmt.Errorf("%w: %v with an update request", errBadPayload, w.Op)
		}
		args = &rrdb.RrdbPutArgs{Update: req}
	case *base.Blob:
		args = &rrdb.RrdbRemoveArgs{Key: req}
	case *rrdb.MultiPutRequest:
		args = &rrdb.RrdbMultiPutArgs{Request: req}
	case *rrdb.MultiRemoveRequest:
		args = &rrdb.RrdbMultiRemoveArgs{Request: req}
	case *rrdb.IncrRequest:
		args = &rrdb.RrdbIncrArgs{Request: req}
	case *rrdb.CheckAndSetRequest:
		args = &rrdb.RrdbCheckAndSetArgs{Request: req}
	case *rrdb.CheckAndMutateRequest:
		args = &rrdb.RrdbCheckAndMutateArgs{Request: req}
	default:
		return nil, fmt.Errorf("%w: request %T", errBadPayload, w.Request)
	}
	b, err := wire.EncodeStruct([]byte{byte(w.Op)}, args)
	if err != nil {
		return nil, fmt.Errorf("encode %v: %w", w.Op, err)
	}
	return b, nil
}

// decodeWrite turns a payload back into the write storage applies. The
// request aliases p, which must stay unchanged until the write is applied.
func decodeWrite(p []byte) (storage.Write, error) {
	if len(p) < 1 {
		return storage.Write{}, errBadPayload
	}
	return decodeArgs(storage.Op(p[0]), p[1:])
}

// decodeArgs decodes the args bytes of a write of kind op.
func decodeArgs(op storage.Op, args []byte) (storage.Write, error) {
	switch op {
	case storage.OpPut:
		var pr wire.PutRequest
		if err := pr.Decode(args); err != nil {
			return storage.Write{}, fmt.Errorf("%w: put: %v", errBadPayload, err)
		}
		return storage.Write{Op: op, Request: updateRequestOf(&pr)}, nil
	case storage.OpRemove:
		key, err := wire.BlobArg(args)
		if err != nil {
			return storage.Write{}, fmt.Errorf("%w: remove: %v", errBadPayload, err)
		}
		return storage.Write{Op: op, Request: &base.Blob{Data: key}}, nil
	case storage.OpDuplicate:
		d, err := decodeDuplicate(args)
		if err != nil {
			return storage.Write{}, err
		}
		return storage.Write{Op: op, Request: d}, nil
	}
	var a thrift.TStruct
	switch op {
	case storage.OpMultiPut:
		a = rrdb.NewRrdbMultiPutArgs()
	case storage.OpMultiRemove:
		a = rrdb.NewRrdbMultiRemoveArgs()
	case storage.OpIncr:
		a = rrdb.NewRrdbIncrArgs()
	case storage.OpCheckAndSet:
		a = rrdb.NewRrdbCheckAndSetArgs()
	case storage.OpCheckAndMutate:
		a = rrdb.NewRrdbCheckAndMutateArgs()
	default:
		return storage.Write{}, fmt.Errorf("%w: unknown op %d", errBadPayload, op)
	}
	if err := wire.DecodeStruct(args, a); err != nil {
		return storage.Write{}, fmt.Errorf("%w: %v: %v", errBadPayload, op, err)
	}
	w, ok := writeOf(op, a)
	if !ok {
		return storage.Write{}, fmt.Errorf("%w: %v without a request", errBadPayload, op)
	}
	return w, nil
}

// updateRequestOf builds the update_request of decoded put args.
func updateRequestOf(a *wire.PutRequest) *rrdb.UpdateRequest {
	req := &rrdb.UpdateRequest{Key: &base.Blob{Data: a.Key}, Value: &base.Blob{Data: a.Value}, ExpireTsSeconds: a.ExpireTs}
	if a.HasType {
		t := rrdb.UpdateType(a.Type)
		req.Type = &t
	}
	if a.CheckValueReturned {
		v := true
		req.CheckValueReturned = &v
	}
	if a.CheckValueExist {
		v := true
		req.CheckValueExist = &v
	}
	if a.CheckValue != nil {
		req.CheckValue = &base.Blob{Data: a.CheckValue}
	}
	return req
}

// OpDuplicate is the payload op of a write another cluster shipped here
// (RPC_RRDB_RRDB_DUPLICATE); the rest of such a payload is the
// rrdb_duplicate_args bytes. A duplication pipeline never ships these
// payloads again, which keeps master-master setups free of loops.
const OpDuplicate = byte(storage.OpDuplicate)

// clientWriteRPCs names the RPC each client write op arrived as.
var clientWriteRPCs = map[storage.Op]string{
	storage.OpPut:            catalog.RPC_RRDB_RRDB_PUT,
	storage.OpRemove:         catalog.RPC_RRDB_RRDB_REMOVE,
	storage.OpMultiPut:       catalog.RPC_RRDB_RRDB_MULTI_PUT,
	storage.OpMultiRemove:    catalog.RPC_RRDB_RRDB_MULTI_REMOVE,
	storage.OpIncr:           catalog.RPC_RRDB_RRDB_INCR,
	storage.OpCheckAndSet:    catalog.RPC_RRDB_RRDB_CHECK_AND_SET,
	storage.OpCheckAndMutate: catalog.RPC_RRDB_RRDB_CHECK_AND_MUTATE,
}

// ClientWrite splits a mutation payload (as the log stores it) written by
// a client's write into the RPC name the write arrived as and its args
// bytes (aliasing p). ok is false for anything else: an empty payload, a
// duplicated write (OpDuplicate) or an unknown op. The args are not
// decoded here.
func ClientWrite(p []byte) (rpcName string, args []byte, ok bool) {
	if len(p) < 1 {
		return "", nil, false
	}
	name, ok := clientWriteRPCs[storage.Op(p[0])]
	if !ok {
		return "", nil, false
	}
	return name, p[1:], true
}
