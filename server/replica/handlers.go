package replica

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/server/metrics"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// Register installs the rrdb handlers on rs, timed by Options.Metrics.
func (s *Server) Register(rs *rpc.Server) {
	if s.opts.Metrics != nil {
		s.register(&instrumented{Server: rs, m: s.opts.Metrics})
		return
	}
	s.register(rs)
}

// handlerSet is what register needs of an rpc.Server.
type handlerSet interface {
	Handle(name string, h rpc.Handler)
}

// instrumented registers handlers wrapped to count and time them.
type instrumented struct {
	*rpc.Server
	m *metrics.DataOps
}

func (i *instrumented) Handle(name string, h rpc.Handler) {
	op := strings.ToLower(strings.TrimPrefix(name, "RPC_RRDB_RRDB_"))
	i.Server.Handle(name, func(ctx context.Context, req *rpc.Request) rpc.Reply {
		start := time.Now()
		rep := h(ctx, req)
		result := "ok"
		if rep.Err != "" && rep.Err != base.ERR_OK {
			result = string(rep.Err)
		}
		i.m.Observe(req.Header.AppID, req.Header.PartitionIndex, op, result, time.Since(start))
		return rep
	})
}

func (s *Server) register(rs handlerSet) {
	rs.Handle(catalog.RPC_RRDB_RRDB_PUT, s.handlePut)
	rs.Handle(catalog.RPC_RRDB_RRDB_REMOVE, s.handleRemove)
	rs.Handle(catalog.RPC_RRDB_RRDB_MULTI_PUT, s.write(storage.OpMultiPut, func() thrift.TStruct { return rrdb.NewRrdbMultiPutArgs() }))
	rs.Handle(catalog.RPC_RRDB_RRDB_MULTI_REMOVE, s.write(storage.OpMultiRemove, func() thrift.TStruct { return rrdb.NewRrdbMultiRemoveArgs() }))
	rs.Handle(catalog.RPC_RRDB_RRDB_INCR, s.write(storage.OpIncr, func() thrift.TStruct { return rrdb.NewRrdbIncrArgs() }))
	rs.Handle(catalog.RPC_RRDB_RRDB_CHECK_AND_SET, s.write(storage.OpCheckAndSet, func() thrift.TStruct { return rrdb.NewRrdbCheckAndSetArgs() }))
	rs.Handle(catalog.RPC_RRDB_RRDB_CHECK_AND_MUTATE, s.write(storage.OpCheckAndMutate, func() thrift.TStruct { return rrdb.NewRrdbCheckAndMutateArgs() }))
	rs.Handle(catalog.RPC_RRDB_RRDB_DUPLICATE, s.handleDuplicate)

	rs.Handle(catalog.RPC_RRDB_RRDB_GET, s.blobRead(func(ctx context.Context, p *storage.Partition, key []byte) rpc.Reply {
		return rpc.OK(&rrdb.RrdbGetResult{Success: p.Get(ctx, key)})
	}))
	rs.Handle(catalog.RPC_RRDB_RRDB_MULTI_GET, s.read(func(ctx context.Context, p *storage.Partition, req *rpc.Request) (thrift.TStruct, error) {
		args := rrdb.NewRrdbMultiGetArgs()
		if err := req.DecodeArgs(args); err != nil || args.Request == nil {
			return nil, orMissing(err)
		}
		return &rrdb.RrdbMultiGetResult{Success: p.MultiGet(ctx, args.Request)}, nil
	}))
	rs.Handle(catalog.RPC_RRDB_RRDB_BATCH_GET, s.read(func(ctx context.Context, p *storage.Partition, req *rpc.Request) (thrift.TStruct, error) {
		args := rrdb.NewRrdbBatchGetArgs()
		if err := req.DecodeArgs(args); err != nil || args.Request == nil {
			return nil, orMissing(err)
		}
		return &rrdb.RrdbBatchGetResult{Success: p.BatchGet(ctx, args.Request)}, nil
	}))
	rs.Handle(catalog.RPC_RRDB_RRDB_SORTKEY_COUNT, s.blobRead(func(ctx context.Context, p *storage.Partition, hashKey []byte) rpc.Reply {
		return rpc.OK(&rrdb.RrdbSortkeyCountResult{Success: p.SortKeyCount(ctx, hashKey)})
	}))
	rs.Handle(catalog.RPC_RRDB_RRDB_TTL, s.blobRead(func(ctx context.Context, p *storage.Partition, key []byte) rpc.Reply {
		return rpc.OK(&rrdb.RrdbTTLResult{Success: p.TTL(ctx, key)})
	}))
	rs.Handle(catalog.RPC_RRDB_RRDB_GET_SCANNER, s.read(func(ctx context.Context, p *storage.Partition, req *rpc.Request) (thrift.TStruct, error) {
		args := rrdb.NewRrdbGetScannerArgs()
		if err := req.DecodeArgs(args); err != nil || args.Request == nil {
			return nil, orMissing(err)
		}
		return &rrdb.RrdbGetScannerResult{Success: p.GetScanner(ctx, args.Request)}, nil
	}))
	rs.Handle(catalog.RPC_RRDB_RRDB_SCAN, s.read(func(ctx context.Context, p *storage.Partition, req *rpc.Request) (thrift.TStruct, error) {
		args := rrdb.NewRrdbScanArgs()
		if err := req.DecodeArgs(args); err != nil || args.Request == nil {
			return nil, orMissing(err)
		}
		return &rrdb.RrdbScanResult{Success: p.Scan(ctx, args.Request)}, nil
	}))
	rs.Handle(catalog.RPC_RRDB_RRDB_CLEAR_SCANNER, s.clearScanner)
}

var errMissingRequest = errors.New("args struct has no request field")

func orMissing(err error) error {
	if err != nil {
		return err
	}
	return errMissingRequest
}

// readFunc serves one read on the partition; an error means the args did
// not decode.
type readFunc func(ctx context.Context, p *storage.Partition, req *rpc.Request) (thrift.TStruct, error)

func (s *Server) read(f readFunc) rpc.Handler {
	return func(ctx context.Context, req *rpc.Request) rpc.Reply {
		r, errno := s.routeRead(req)
		if errno != base.ERR_OK {
			return rpc.Fail(errno)
		}
		res, err := f(ctx, r.Storage(), req)
		if err != nil {
			s.log.Debug("replica: bad read request", "rpc", req.Name, "remote", req.Remote, "err", err)
			return rpc.Fail(base.ERR_INVALID_DATA)
		}
		return rpc.OK(res)
	}
}

func (s *Server) clearScanner(ctx context.Context, req *rpc.Request) rpc.Reply {
	r, errno := s.route(req)
	if errno != base.ERR_OK {
		// Routing errors are answered (a client ignores them); success never is.
		return rpc.Fail(errno)
	}
	args := rrdb.NewRrdbClearScannerArgs()
	if err := req.DecodeArgs(args); err == nil {
		r.Storage().ClearScanner(args.ContextID)
	}
	return rpc.Reply{Silent: true}
}

// write decodes a write request, checks what must be checked before the
// write gets a decree, and runs it through the replica's write path.
func (s *Server) write(op storage.Op, newArgs func() thrift.TStruct) rpc.Handler {
	return func(ctx context.Context, req *rpc.Request) rpc.Reply {
		r, errno := s.routeWrite(req)
		if errno != base.ERR_OK {
			return rpc.Fail(errno)
		}
		args := newArgs()
		if err := req.DecodeArgs(args); err != nil {
			s.log.Debug("replica: bad write request", "rpc", req.Name, "remote", req.Remote, "err", err)
			return rpc.Fail(base.ERR_INVALID_DATA)
		}
		w, ok := writeOf(op, args)
		if !ok {
			return rpc.Fail(base.ERR_INVALID_DATA)
		}
		return s.submit(ctx, r, req, w)
	}
}

// submit replicates one validated write (its args as the client sent
// them) and answers with its result once the primary applied it.
func (s *Server) submit(ctx context.Context, r *Replica, req *rpc.Request, w storage.Write) rpc.Reply {
	if !hashMatches(req, w) {
		return rpc.Fail(base.ERR_INVALID_PARAMETERS)
	}
	resp, err := r.propose(ctx, payloadOf(w.Op, req.Args), batchable(w.Op))
	if err != nil {
		var we *WriteError
		switch {
		case errors.As(err, &we):
			return rpc.Fail(we.Errno)
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			return rpc.Fail(base.ERR_TIMEOUT)
		}
		// The replica is closing: let the client re-route.
		return rpc.Fail(base.ERR_INVALID_STATE)
	}
	return rpc.OK(resultOf(w.Op, resp))
}

// writeOf pulls the request out of the decoded args.
func writeOf(op storage.Op, args thrift.TStruct) (storage.Write, bool) {
	var req any
	switch a := args.(type) {
	case *rrdb.RrdbMultiPutArgs:
		if a.Request == nil {
			return storage.Write{}, false
		}
		req = a.Request
	case *rrdb.RrdbMultiRemoveArgs:
		if a.Request == nil {
			return storage.Write{}, false
		}
		req = a.Request
	case *rrdb.RrdbIncrArgs:
		if a.Request == nil {
			return storage.Write{}, false
		}
		req = a.Request
	case *rrdb.RrdbCheckAndSetArgs:
		if a.Request == nil {
			return storage.Write{}, false
		}
		req = a.Request
	case *rrdb.RrdbCheckAndMutateArgs:
		if a.Request == nil {
			return storage.Write{}, false
		}
		req = a.Request
	default:
		return storage.Write{}, false
	}
	return storage.Write{Op: op, Request: req}, true
}

// hashMatches checks a put or remove's header partition hash against its
// key (upstream asserts this and aborts; we refuse the request instead).
// A zero header hash is not checked.
func hashMatches(req *rpc.Request, w storage.Write) bool {
	if req.Header.PartitionHash == 0 {
		return true
	}
	var key []byte
	switch r := w.Request.(type) {
	case *rrdb.UpdateRequest:
		key = r.Key.Bytes()
	case *base.Blob:
		key = r.Bytes()
	default:
		return true
	}
	if _, _, err := keys.DecodeKey(key); err != nil {
		return true // a malformed key is storage's to reject
	}
	return keys.KeyHash(key) == req.Header.PartitionHash
}

func resultOf(op storage.Op, resp any) thrift.TStruct {
	switch op {
	case storage.OpPut:
		return &rrdb.RrdbPutResult{Success: resp.(*rrdb.UpdateResponse)}
	case storage.OpRemove:
		return &rrdb.RrdbRemoveResult{Success: resp.(*rrdb.UpdateResponse)}
	case storage.OpMultiPut:
		return &rrdb.RrdbMultiPutResult{Success: resp.(*rrdb.UpdateResponse)}
	case storage.OpMultiRemove:
		return &rrdb.RrdbMultiRemoveResult{Success: resp.(*rrdb.MultiRemoveResponse)}
	case storage.OpIncr:
		return &rrdb.RrdbIncrResult{Success: resp.(*rrdb.IncrResponse)}
	case storage.OpCheckAndSet:
		return &rrdb.RrdbCheckAndSetResult{Success: resp.(*rrdb.CheckAndSetResponse)}
	case storage.OpDuplicate:
		return &rrdb.RrdbDuplicateResult{Success: resp.(*rrdb.DuplicateResponse)}
	default:
		return &rrdb.RrdbCheckAndMutateResult{Success: resp.(*rrdb.CheckAndMutateResponse)}
	}
}
