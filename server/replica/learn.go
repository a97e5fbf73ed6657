package replica

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pegasus-go/pegasus/server/filecopy"
	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// Learning moves committed state from a primary to a learner as a RocksDB
// checkpoint: the learner's server asks the primary's server for a
// checkpoint covering the task's range (RPC_LEARN_CHECKPOINT), fetches its
// files with server/filecopy (CRC-checked), installs it as the replica's
// storage and tells the state machine (LearnInstalled). The log tail past
// the checkpoint comes through prepares and the learn reply's entries.

const (
	learnFetchTimeout = 10 * time.Minute
	// shareLifetime bounds how long a checkpoint stays shared for fetching.
	shareLifetime = 15 * time.Minute
)

func learnDir(r *Replica) string {
	if r.dir != "" {
		return filepath.Join(r.dir, "learn")
	}
	return r.rdbDir + ".learn"
}

// learn runs a learner's copy task in the background (links.learn).
func (n *Node) learn(r *Replica, t pacifica.LearnTask) {
	n.spawn(func() {
		dest, decree, err := n.fetchCheckpoint(r, t)
		if err != nil {
			r.log.Warn("replica: learning copy failed", "primary", t.Primary, "signature", t.Signature, "err", err)
			r.post(func() { r.sm.LearnFailed(t.Signature) })
			return
		}
		r.log.Info("replica: learned checkpoint fetched", "primary", t.Primary, "decree", decree)
		if !r.post(func() { r.install(t, dest) }) {
			os.RemoveAll(dest)
		}
	})
}

// fetchCheckpoint asks the primary for a checkpoint and copies it.
func (n *Node) fetchCheckpoint(r *Replica, t pacifica.LearnTask) (string, int64, error) {
	ctx, cancel := context.WithTimeout(n.ctx, learnFetchTimeout)
	defer cancel()
	conn, err := n.peers.conn(ctx, t.Primary)
	if err != nil {
		return "", 0, err
	}
	pid := r.Gpid
	res := replication.NewPeerLearnCheckpointResult()
	err = conn.Call(ctx, wire.Header{AppID: pid.Appid, PartitionIndex: pid.PartitionIndex}, catalog.RPC_LEARN_CHECKPOINT,
		&replication.PeerLearnCheckpointArgs{Req: &replication.LearnCheckpointRequest{Pid: &pid, Signature: int64(t.Signature), MinDecree: t.To}}, res)
	if err != nil {
		return "", 0, fmt.Errorf("ask for a checkpoint: %w", err)
	}
	if res.Success == nil || res.Success.Err.Code() != base.ERR_OK {
		return "", 0, fmt.Errorf("ask for a checkpoint: %s", res.Success.GetErr().Code())
	}
	dir := learnDir(r)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", 0, err
	}
	dest := filepath.Join(dir, fmt.Sprintf("incoming.%d", t.Signature))
	os.RemoveAll(dest)
	if err := filecopy.Fetch(ctx, conn, res.Success.Session, dest, nil); err != nil {
		return "", 0, err
	}
	syncDir(dir)
	return dest, res.Success.Decree, nil
}

// install replaces the replica's storage with a fetched checkpoint, on the
// loop, if the learning round that asked for it is still on.
func (r *Replica) install(t pacifica.LearnTask, dir string) {
	defer os.RemoveAll(dir)
	if r.broken || r.sm.Learning() != pacifica.LearnCopying || r.sm.LearnSignature() != t.Signature {
		return
	}
	if err := r.takeStepBack(dir); err != nil {
		r.log.Warn("replica: duplication step-back log not taken", "err", err)
	}
	if err := r.swapStorage(dir); err != nil {
		r.log.Error("replica: install learned checkpoint", "err", err)
		r.broken = true
		r.sm.Fail()
		return
	}
	decree := r.store.Load().LastAppliedDecree()
	r.log.Info("replica: installed learned checkpoint", "decree", decree, "from_scratch", t.FromScratch)
	if err := r.sm.LearnInstalled(t.Signature, decree); err != nil {
		r.log.Warn("replica: learned checkpoint not taken", "decree", decree, "err", err)
	}
}

// swapStorage closes the storage, moves the checkpoint into its place and
// reopens it. The replica's entries in the mutation log stay: those at or
// below the checkpoint are skipped on replay, and the state machine sorts
// out the rest by ballot, as it does after any restart (the simulator
// replays whole logs across learning from scratch).
func (r *Replica) swapStorage(ckpt string) error {
	if err := r.store.Load().Close(); err != nil {
		return fmt.Errorf("close storage: %w", err)
	}
	old := r.rdbDir + ".old"
	os.RemoveAll(old)
	if err := os.Rename(r.rdbDir, old); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("move old storage aside: %w", err)
	}
	if err := os.Rename(ckpt, r.rdbDir); err != nil {
		return fmt.Errorf("install checkpoint: %w", err)
	}
	syncDir(filepath.Dir(r.rdbDir))
	store, err := storage.Open(r.storeOpts)
	if err != nil {
		return fmt.Errorf("open learned storage: %w", err)
	}
	r.store.Store(store)
	os.RemoveAll(old)
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// handleLearnCheckpoint is the primary's side: checkpoint the partition
// and share the checkpoint for fetching.
func (n *Node) handleLearnCheckpoint(ctx context.Context, req *rpc.Request) rpc.Reply {
	args := replication.NewPeerLearnCheckpointArgs()
	if err := req.DecodeArgs(args); err != nil || args.Req == nil || args.Req.Pid == nil {
		return rpc.Fail(base.ERR_INVALID_DATA)
	}
	q := args.Req
	resp := &replication.LearnCheckpointResponse{Err: base.NewErrorCode(base.ERR_OK)}
	fail := func(e base.Errno) rpc.Reply {
		resp.Err = base.NewErrorCode(e)
		return rpc.OK(&replication.PeerLearnCheckpointResult{Success: resp})
	}
	r := n.srv.Replica(*q.Pid)
	if r == nil {
		return fail(base.ERR_OBJECT_NOT_FOUND)
	}
	if r.Status() != StatusPrimary {
		return fail(base.ERR_INVALID_STATE)
	}
	dir := filepath.Join(learnDir(r), fmt.Sprintf("share.%d.%d", q.Signature, time.Now().UnixNano()))
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fail(base.ERR_FILE_OPERATION_FAILED)
	}
	decree, err := r.Storage().Checkpoint(dir)
	if err != nil {
		r.log.Warn("replica: checkpoint for a learner", "err", err)
		os.RemoveAll(dir)
		return fail(base.ERR_FILE_OPERATION_FAILED)
	}
	if decree < q.MinDecree {
		os.RemoveAll(dir)
		return fail(base.ERR_TRY_AGAIN)
	}
	if err := r.writeStepBack(dir, decree); err != nil {
		// The learner can do without: a duplication catches up with a
		// snapshot should it become primary.
		r.log.Warn("replica: duplication step-back log for a learner", "err", err)
		os.Remove(filepath.Join(dir, stepBackFile))
	}
	session, release, err := n.files.Share(dir)
	if err != nil {
		os.RemoveAll(dir)
		return fail(base.ERR_FILE_OPERATION_FAILED)
	}
	n.spawn(func() {
		select {
		case <-n.ctx.Done():
		case <-time.After(shareLifetime):
		}
		release()
		os.RemoveAll(dir)
	})
	r.log.Info("replica: checkpoint shared with a learner", "decree", decree, "remote", req.Remote)
	resp.Session, resp.Decree = session, decree
	return rpc.OK(&replication.PeerLearnCheckpointResult{Success: resp})
}
