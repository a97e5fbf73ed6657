package replica

import (
	"fmt"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// Converting logged mutations into what a duplication ships: each client
// write of a mutation becomes one duplicate_entry (the write's RPC name and
// its args bytes, the mutation's timestamp, this cluster's id, and a
// last-write-wins check), tagged with the partition hash of its hash key so
// that entries can be grouped by the follower partition serving it. Writes
// that arrived by duplication themselves (OpDuplicate) are not shipped
// again: master-master setups do not loop.

// maxDupBatchBytes bounds one duplicate request's entries (upstream's
// duplicate_log_batch_bytes): a larger entry travels alone.
const maxDupBatchBytes = 4096

// dupEntryOverhead approximates an entry's encoding beyond its args bytes.
const dupEntryOverhead = 48

// shippedEntry is one converted write.
type shippedEntry struct {
	decree int64
	hash   uint64 // partition hash of the write's hash key
	entry  *rrdb.DuplicateEntry
	size   int
}

// convertMutation turns one committed mutation into the entries to ship,
// in the order of its writes. A payload that is neither a client write
// nor a duplicated one is an error (it would have failed to apply too).
func convertMutation(m pacifica.Mutation, clusterID int64, out []shippedEntry) ([]shippedEntry, error) {
	for i, u := range m.Updates {
		if len(u) > 0 && u[0] == OpDuplicate {
			continue
		}
		name, args, ok := ClientWrite(u)
		if !ok {
			return out, fmt.Errorf("decree %d write %d: %w", m.Decree, i, errBadPayload)
		}
		w, err := decodeWrite(u)
		if err != nil {
			return out, fmt.Errorf("decree %d write %d: %w", m.Decree, i, err)
		}
		hash, err := writeHash(w)
		if err != nil {
			return out, fmt.Errorf("decree %d write %d: %w", m.Decree, i, err)
		}
		raw := args // the mutation owns its updates (peerwire.DecodeMutation copies)
		ts, cid, verify := m.TimestampUs, clusterID, true
		code := &base.TaskCode{Code: name}
		out = append(out, shippedEntry{
			decree: m.Decree, hash: hash, size: len(raw) + dupEntryOverhead,
			entry: &rrdb.DuplicateEntry{Timestamp: &ts, TaskCode: code, RawMessage: base.NewBlob(raw), ClusterID: &cid, VerifyTimetag: &verify},
		})
	}
	return out, nil
}

// writeHash is the partition hash a write routes by.
func writeHash(w storage.Write) (uint64, error) {
	switch req := w.Request.(type) {
	case *rrdb.UpdateRequest:
		return keys.KeyHash(req.Key.Bytes()), nil
	case *base.Blob:
		return keys.KeyHash(req.Bytes()), nil
	case *rrdb.MultiPutRequest:
		return keys.PartitionHash(req.HashKey.Bytes()), nil
	case *rrdb.MultiRemoveRequest:
		return keys.PartitionHash(req.HashKey.Bytes()), nil
	case *rrdb.IncrRequest:
		return keys.KeyHash(req.Key.Bytes()), nil
	case *rrdb.CheckAndSetRequest:
		return keys.PartitionHash(req.HashKey.Bytes()), nil
	case *rrdb.CheckAndMutateRequest:
		return keys.PartitionHash(req.HashKey.Bytes()), nil
	}
	return 0, fmt.Errorf("%w: request %T", errBadPayload, w.Request)
}

// dupBatch is one duplicate request: entries bound for one follower
// partition, in log order.
type dupBatch struct {
	hash    uint64 // routes the request (any of its entries' hashes)
	entries []*rrdb.DuplicateEntry
	bytes   int
}

// batchEntries groups entries by follower partition (hash → index among
// partitionCount; 0 or less: by exact hash) and cuts each group into
// requests of at most maxDupBatchBytes, keeping log order within a group,
// so one hash key's writes arrive in order. The result lists each group's
// batches consecutively, groups in order of first appearance.
func batchEntries(es []shippedEntry, partitionCount int32) [][]dupBatch {
	type group struct{ batches []dupBatch }
	var order []uint64
	groups := map[uint64]*group{}
	for _, e := range es {
		g := e.hash
		if partitionCount > 0 {
			g = uint64(keys.PartitionIndex(e.hash, partitionCount))
		}
		gr := groups[g]
		if gr == nil {
			gr = &group{}
			groups[g] = gr
			order = append(order, g)
		}
		n := len(gr.batches)
		if n == 0 || (gr.batches[n-1].bytes+e.size > maxDupBatchBytes && len(gr.batches[n-1].entries) > 0) {
			gr.batches = append(gr.batches, dupBatch{hash: e.hash})
			n++
		}
		b := &gr.batches[n-1]
		b.entries = append(b.entries, e.entry)
		b.bytes += e.size
	}
	out := make([][]dupBatch, 0, len(order))
	for _, g := range order {
		out = append(out, groups[g].batches)
	}
	return out
}
