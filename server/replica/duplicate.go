package replica

import (
	"context"
	"errors"
	"fmt"

	"github.com/pegasus-go/pegasus/server/config"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// The follower side of cross-cluster duplication: RPC_RRDB_RRDB_DUPLICATE
// carries writes another cluster's primary took, each with its timestamp
// and cluster id. The primary checks the batch (it decodes, and every
// entry comes from another configured cluster), then replicates it as one
// non-batchable mutation whose payload is OpDuplicate plus the args bytes;
// every member re-executes the entries in storage (storage.Duplicate),
// deciding last-write-wins from its own data only.

// duplicateRPCs maps the task codes a duplicated entry may carry to the
// write it re-executes; anything else is refused.
var duplicateRPCs = map[string]storage.Op{
	catalog.RPC_RRDB_RRDB_PUT:          storage.OpPut,
	catalog.RPC_RRDB_RRDB_REMOVE:       storage.OpRemove,
	catalog.RPC_RRDB_RRDB_MULTI_PUT:    storage.OpMultiPut,
	catalog.RPC_RRDB_RRDB_MULTI_REMOVE: storage.OpMultiRemove,
}

// maxTimestampUs bounds an entry's timestamp: 56 bits of the timetag.
const maxTimestampUs = 1<<56 - 1

// decodeDuplicate decodes the args of a duplicate request and the original
// write inside every entry. It checks structure only (not which clusters
// are configured: that is the primary's check before proposing, so that
// applying never depends on configuration). The writes alias args.
func decodeDuplicate(args []byte) (*storage.Duplicate, error) {
	a := rrdb.NewRrdbDuplicateArgs()
	if err := wire.DecodeStruct(args, a); err != nil {
		return nil, fmt.Errorf("%w: duplicate: %v", errBadPayload, err)
	}
	if a.Request == nil || len(a.Request.Entries) == 0 {
		return nil, fmt.Errorf("%w: duplicate request without entries", errBadPayload)
	}
	d := &storage.Duplicate{Entries: make([]storage.DuplicatedWrite, len(a.Request.Entries))}
	for i, e := range a.Request.Entries {
		dw, err := decodeDuplicateEntry(e)
		if err != nil {
			return nil, fmt.Errorf("%w: duplicate entry %d: %v", errBadPayload, i, err)
		}
		d.Entries[i] = dw
	}
	return d, nil
}

func decodeDuplicateEntry(e *rrdb.DuplicateEntry) (storage.DuplicatedWrite, error) {
	switch {
	case e == nil:
		return storage.DuplicatedWrite{}, errors.New("missing")
	case e.Timestamp == nil || *e.Timestamp < 0 || *e.Timestamp > maxTimestampUs:
		return storage.DuplicatedWrite{}, fmt.Errorf("timestamp %v outside 0..2^56-1 µs", e.Timestamp)
	case e.ClusterID == nil || *e.ClusterID < 1 || *e.ClusterID > config.MaxClusterID:
		return storage.DuplicatedWrite{}, fmt.Errorf("cluster id %v outside 1..%d", e.ClusterID, config.MaxClusterID)
	case e.TaskCode == nil || e.RawMessage == nil:
		return storage.DuplicatedWrite{}, errors.New("no task code or raw message")
	}
	op, ok := duplicateRPCs[e.TaskCode.Code]
	if !ok {
		return storage.DuplicatedWrite{}, fmt.Errorf("task code %q cannot be duplicated", e.TaskCode.Code)
	}
	w, err := decodeArgs(op, e.RawMessage.Bytes())
	if err != nil {
		return storage.DuplicatedWrite{}, err
	}
	return storage.DuplicatedWrite{
		TimestampUs: *e.Timestamp, ClusterID: uint8(*e.ClusterID), VerifyTimetag: e.GetVerifyTimetag(), Write: w,
	}, nil
}

// checkClusters refuses a batch with an entry from this cluster or from a
// cluster the [duplication] section does not name; hint says which.
func checkClusters(d *storage.Duplicate, self uint8, dup config.Duplication) (hint string, ok bool) {
	for i, e := range d.Entries {
		if e.ClusterID == self {
			return fmt.Sprintf("self-duplicating: entry %d carries this cluster's id %d", i, self), false
		}
		if _, _, known := dup.ClusterByID(int(e.ClusterID)); !known {
			return fmt.Sprintf("entry %d: cluster id %d is not configured in [duplication] (clusters %v)", i, e.ClusterID, dup.Names()), false
		}
	}
	return "", true
}

// handleDuplicate serves RPC_RRDB_RRDB_DUPLICATE. A malformed request is
// refused with ERR_INVALID_DATA; a batch from the wrong cluster is
// answered with duplicate_response.error = kInvalidArgument (4) and a
// hint; neither applies anything.
func (s *Server) handleDuplicate(ctx context.Context, req *rpc.Request) rpc.Reply {
	r, errno := s.lookup(req)
	if errno != base.ERR_OK {
		return rpc.Fail(errno)
	}
	if limit := s.opts.MaxWriteSize; limit > 0 && len(req.Args) > 2*limit {
		// One shipped write may be as large as a client's, plus its entry.
		return rpc.Fail(base.ERR_INVALID_DATA)
	}
	if errno := r.admit(req.Header.PartitionHash); errno != base.ERR_OK {
		return rpc.Fail(errno)
	}
	d, err := decodeDuplicate(req.Args)
	if err != nil {
		s.log.Debug("replica: bad duplicate request", "remote", req.Remote, "err", err)
		return rpc.Fail(base.ERR_INVALID_DATA)
	}
	if hint, ok := checkClusters(d, r.Storage().ClusterID(), s.opts.Duplication); !ok {
		s.log.Warn("replica: duplicate request refused", "gpid", gpidString(r.Gpid), "remote", req.Remote, "why", hint)
		code := storage.StatusInvalidArgument
		return rpc.OK(&rrdb.RrdbDuplicateResult{Success: &rrdb.DuplicateResponse{Error: &code, ErrorHint: &hint}})
	}
	return s.submit(ctx, r, req, storage.Write{Op: storage.OpDuplicate, Request: d})
}
