package meta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pegasus-go/pegasus/server/metastore"
)

// Fencing (docs/meta-ha.md). Winning the election is not enough to write:
// a leader that lost its leadership without noticing yet (a paused
// process, a silent network) must not overwrite what its successor
// writes. So each term starts by bumping the epoch node, conditional on
// the version read, and every commit of the term carries a check that the
// epoch is still at the version this term wrote, plus the election's own
// fence (the ZooKeeper election checks that its lock node still exists).
// A successor bumps the epoch before it loads the state, so from then on
// the old leader's commits fail atomically with metastore.ErrConflict,
// and the old leader drops its state and campaigns again.

// EpochPath is the epoch node under a cluster root.
func EpochPath(root string) string { return metastore.Join(root, "epoch") }

// epochRecord is the epoch node's value: who leads, since when.
type epochRecord struct {
	Version int    `json:"v"`
	Term    int64  `json:"term"`
	Leader  string `json:"leader"`
	Since   string `json:"since"`
}

// claimEpoch starts a term: it bumps the epoch node (conditional on the
// version it read and on the election's fence) and returns the term
// number and the checks that every commit of the term must carry.
func (s *Server) claimEpoch(ctx context.Context) (int64, []metastore.Op, error) {
	path := EpochPath(s.opts.ClusterRoot)
	var electionFence []metastore.Op
	if f, ok := s.opts.Election.(Fencer); ok {
		electionFence = f.FenceOps()
	}
	old, version, err := s.store.GetWithVersion(ctx, path)
	var prev epochRecord
	switch {
	case errors.Is(err, metastore.ErrNotFound):
		version = -1
	case err != nil:
		return 0, nil, fmt.Errorf("read the epoch: %w", err)
	default:
		if err := json.Unmarshal(old, &prev); err != nil && len(old) > 0 {
			return 0, nil, fmt.Errorf("read the epoch %s: %w", path, err)
		}
	}
	rec := epochRecord{Version: recordVersion, Term: prev.Term + 1, Leader: s.opts.Address, Since: s.now().UTC().Format(time.RFC3339)}
	value, err := json.Marshal(rec)
	if err != nil {
		return 0, nil, err
	}
	ops := append([]metastore.Op(nil), electionFence...)
	if version >= 0 {
		ops = append(ops, metastore.CheckOp(path, version), metastore.PutOp(path, value))
	} else {
		// Created by this commit only if it is at version 0 right after
		// the put: a put over a node someone else created bumps it to 1.
		ops = append(ops, metastore.PutOp(path, value), metastore.CheckOp(path, 0))
	}
	if err := s.store.Commit(ctx, ops); err != nil {
		return 0, nil, fmt.Errorf("claim the epoch: %w", err)
	}
	fence := append(slices.Clone(electionFence), metastore.CheckOp(path, version+1))
	return rec.Term, fence, nil
}
