package replica

import (
	"context"

	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// The busiest RPCs (put, get, remove, ttl) skip the generated decoders:
// the request fields alias the frame buffer, which outlives the handler. A
// write's payload is a copy of its args (payload.go), so nothing of the
// frame is kept once the handler returns.

func (s *Server) handlePut(ctx context.Context, req *rpc.Request) rpc.Reply {
	r, errno := s.routeWrite(req)
	if errno != base.ERR_OK {
		return rpc.Fail(errno)
	}
	var args wire.PutRequest
	if err := args.Decode(req.Args); err != nil {
		s.log.Debug("replica: bad put request", "remote", req.Remote, "err", err)
		return rpc.Fail(base.ERR_INVALID_DATA)
	}
	key := base.Blob{Data: args.Key}
	return s.submit(ctx, r, req, storage.Write{Op: storage.OpPut, Request: &rrdb.UpdateRequest{Key: &key}})
}

func (s *Server) handleRemove(ctx context.Context, req *rpc.Request) rpc.Reply {
	r, errno := s.routeWrite(req)
	if errno != base.ERR_OK {
		return rpc.Fail(errno)
	}
	key, err := wire.BlobArg(req.Args)
	if err != nil {
		s.log.Debug("replica: bad remove request", "remote", req.Remote, "err", err)
		return rpc.Fail(base.ERR_INVALID_DATA)
	}
	return s.submit(ctx, r, req, storage.Write{Op: storage.OpRemove, Request: &base.Blob{Data: key}})
}

// blobRead serves the reads whose argument is one blob.
func (s *Server) blobRead(serve func(ctx context.Context, p *storage.Partition, arg []byte) rpc.Reply) rpc.Handler {
	return func(ctx context.Context, req *rpc.Request) rpc.Reply {
		r, errno := s.routeRead(req)
		if errno != base.ERR_OK {
			return rpc.Fail(errno)
		}
		arg, err := wire.BlobArg(req.Args)
		if err != nil {
			s.log.Debug("replica: bad read request", "rpc", req.Name, "remote", req.Remote, "err", err)
			return rpc.Fail(base.ERR_INVALID_DATA)
		}
		return serve(ctx, r.Storage(), arg)
	}
}
