package storage

import (
	"fmt"

	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

// Duplicated writes (OpDuplicate) come from another cluster of a
// duplication group. Each re-executes the original write with the timetag
// it had there (its timestamp and cluster id) instead of this mutation's.
// With VerifyTimetag the last write wins per key: a key whose stored value
// is live at the mutation's time and carries a timetag >= the incoming
// one keeps it (equal timestamps are ordered by cluster id, which sits in
// the timetag's low bits). Every decision depends only on the stored data
// and the mutation, so all replicas decide alike.

// seesStagedWrites reports whether a write of ms reads records that
// earlier writes of the same batch staged: a read-before-write (incr,
// check_and_set, check_and_mutate) in a batch of several writes, or a
// duplicated batch, whose entries see each other. Only then does staging
// keep a copy of every staged record.
func seesStagedWrites(ms []*Mutation, writes int) bool {
	for _, m := range ms {
		for i := range m.Writes {
			switch m.Writes[i].Op {
			case OpDuplicate:
				return true
			case OpIncr, OpCheckAndSet, OpCheckAndMutate:
				if writes > 1 {
					return true
				}
			}
		}
	}
	return false
}

// duplicate applies the shipped writes in order. A malformed entry (an op
// that cannot be duplicated or a request of the wrong type) is a caller
// bug: the decoder in front refuses such batches. A write whose own status
// is not OK (e.g. an empty multi_put) had that outcome on its own cluster
// too, where it still took a decree and so was shipped: it is not an
// error of the batch, whose response is always OK (an error would make the
// sender retry a batch that has applied, forever). The response's hint
// counts such writes.
func (p *Partition) duplicate(req *Duplicate) (*rrdb.DuplicateResponse, error) {
	w := &p.w
	saveNow, saveTag := w.now, w.timetag
	defer func() {
		w.now, w.timetag = saveNow, saveTag
		w.verify, w.verifyErr = false, nil
	}()
	refused := 0
	for i := range req.Entries {
		e := &req.Entries[i]
		if !Duplicable(e.Write.Op) {
			return nil, fmt.Errorf("%w: duplicated entry %d is a %v", ErrBadWrite, i, e.Write.Op)
		}
		w.now = epochSecondsFromMicros(e.TimestampUs)
		w.timetag = Timetag(e.TimestampUs, e.ClusterID, false)
		w.verify, w.verifyErr = e.VerifyTimetag, nil
		r, err := p.applyWrite(&e.Write)
		if err != nil {
			return nil, fmt.Errorf("duplicated entry %d: %w", i, err)
		}
		if w.verifyErr != nil {
			return nil, fmt.Errorf("duplicated entry %d: %w", i, w.verifyErr)
		}
		if writeStatus(r) != StatusOk {
			refused++
		}
	}
	ok := StatusOk
	resp := &rrdb.DuplicateResponse{Error: &ok}
	if refused > 0 {
		hint := fmt.Sprintf("%d of %d writes refused as on their own cluster (e.g. an empty multi_put)", refused, len(req.Entries))
		resp.ErrorHint = &hint
	}
	return resp, nil
}

// Duplicable reports whether op may arrive as a duplicated write.
func Duplicable(op Op) bool {
	switch op {
	case OpPut, OpRemove, OpMultiPut, OpMultiRemove:
		return true
	}
	return false
}

// writeStatus is the status of a put, remove, multi_put or multi_remove
// response.
func writeStatus(resp any) int32 {
	switch r := resp.(type) {
	case *rrdb.UpdateResponse:
		return r.Error
	case *rrdb.MultiRemoveResponse:
		return r.Error
	}
	return StatusOk
}

// incomingWins decides last-write-wins for key against the write's
// timetag: true when nothing live is stored or the stored timetag is
// older. An engine error counts as a loss and is kept in verifyErr, which
// fails the whole apply.
func (p *Partition) incomingWins(key []byte) bool {
	w := &p.w
	if w.verifyErr != nil {
		return false
	}
	rec, err := p.readForWrite(key)
	if err != nil {
		w.verifyErr = err
		return false
	}
	return !rec.exists || rec.timetag < w.timetag
}
