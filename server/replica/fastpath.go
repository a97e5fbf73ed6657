package replica

import (
	"context"
	"sync"

	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// The busiest RPCs (put, get, remove, ttl) skip the generated decoders: the
// request fields alias the frame buffer and the structs handed to storage
// come from a pool, so decoding allocates nothing. This is safe because the
// frame buffer outlives the handler, the handler outlives the write (Write
// returns only after the mutation is applied), and storage keeps no
// reference to request bytes after it returns.

type putScratch struct {
	args       wire.PutRequest
	req        rrdb.UpdateRequest
	key, value base.Blob
	check      base.Blob
	typ        rrdb.UpdateType
	returned   bool
	exist      bool
}

var putScratches = sync.Pool{New: func() any { return new(putScratch) }}

// request points the pooled UpdateRequest at the decoded fields.
func (p *putScratch) request() *rrdb.UpdateRequest {
	a := &p.args
	p.key.Data, p.value.Data = a.Key, a.Value
	p.req = rrdb.UpdateRequest{Key: &p.key, Value: &p.value, ExpireTsSeconds: a.ExpireTs}
	if a.HasType {
		p.typ = rrdb.UpdateType(a.Type)
		p.req.Type = &p.typ
	}
	if a.CheckValueReturned {
		p.returned = true
		p.req.CheckValueReturned = &p.returned
	}
	if a.CheckValueExist {
		p.exist = true
		p.req.CheckValueExist = &p.exist
	}
	if a.CheckValue != nil {
		p.check.Data = a.CheckValue
		p.req.CheckValue = &p.check
	}
	return &p.req
}

func (s *Server) handlePut(ctx context.Context, req *rpc.Request) rpc.Reply {
	r, errno := s.route(req)
	if errno != base.ERR_OK {
		return rpc.Fail(errno)
	}
	if s.opts.MaxWriteSize > 0 && len(req.Args) > s.opts.MaxWriteSize {
		return rpc.Fail(base.ERR_INVALID_DATA)
	}
	sc := putScratches.Get().(*putScratch)
	defer func() { *sc = putScratch{}; putScratches.Put(sc) }()
	if err := sc.args.Decode(req.Args); err != nil {
		s.log.Debug("replica: bad put request", "remote", req.Remote, "err", err)
		return rpc.Fail(base.ERR_INVALID_DATA)
	}
	return s.submit(ctx, r, req, storage.OpPut, sc.request())
}

var blobScratches = sync.Pool{New: func() any { return new(base.Blob) }}

func (s *Server) handleRemove(ctx context.Context, req *rpc.Request) rpc.Reply {
	r, errno := s.route(req)
	if errno != base.ERR_OK {
		return rpc.Fail(errno)
	}
	key, err := wire.BlobArg(req.Args)
	if err != nil {
		s.log.Debug("replica: bad remove request", "remote", req.Remote, "err", err)
		return rpc.Fail(base.ERR_INVALID_DATA)
	}
	b := blobScratches.Get().(*base.Blob)
	defer func() { b.Data = nil; blobScratches.Put(b) }()
	b.Data = key
	return s.submit(ctx, r, req, storage.OpRemove, b)
}

// blobRead serves the reads whose argument is one blob.
func (s *Server) blobRead(serve func(ctx context.Context, p *storage.Partition, arg []byte) rpc.Reply) rpc.Handler {
	return func(ctx context.Context, req *rpc.Request) rpc.Reply {
		r, errno := s.route(req)
		if errno != base.ERR_OK {
			return rpc.Fail(errno)
		}
		arg, err := wire.BlobArg(req.Args)
		if err != nil {
			s.log.Debug("replica: bad read request", "rpc", req.Name, "remote", req.Remote, "err", err)
			return rpc.Fail(base.ERR_INVALID_DATA)
		}
		return serve(ctx, r.store, arg)
	}
}
