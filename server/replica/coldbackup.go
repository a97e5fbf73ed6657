package replica

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/server/backup"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// Cold backup, primary side (docs/backup.md): the meta server sends
// RPC_COLD_BACKUP for a partition until the answer says done. The first
// request starts an upload job in the background — checkpoint the
// storage, upload its files and then the manifest — and later ones report
// on it. A failed job is reported once and forgotten, so the next request
// starts over; a finished one is kept for a while so that a repeated
// request (a lost reply) does not upload again.

// uploadKeep is how long a finished upload is remembered.
const uploadKeep = 10 * time.Minute

type uploadKey struct {
	gpid     base.Gpid
	backupID int64
}

// upload is one partition's upload into one backup.
type upload struct {
	mu       sync.Mutex // guards the fields below
	progress int32      // 0..1000
	done     bool
	err      error
	manifest backup.Manifest
	finished time.Time
}

// uploads are a node's upload jobs.
type uploads struct {
	mu   sync.Mutex // guards jobs
	jobs map[uploadKey]*upload
}

func (n *Node) handleColdBackup(_ context.Context, req *rpc.Request) rpc.Reply {
	args := replication.NewColdBackupUploadArgs()
	if err := req.DecodeArgs(args); err != nil || args.Req == nil || args.Req.Pid == nil {
		return rpc.Fail(base.ERR_INVALID_DATA)
	}
	q := args.Req
	answer := func(e base.Errno, hint string) rpc.Reply {
		return rpc.OK(&replication.ColdBackupUploadResult{Success: &replication.ColdBackupResponse{Err: base.NewErrorCode(e), Hint: hint}})
	}
	r := n.srv.Replica(*q.Pid)
	if r == nil {
		return answer(base.ERR_OBJECT_NOT_FOUND, "partition not hosted here")
	}
	if r.Status() != StatusPrimary {
		return answer(base.ERR_INVALID_STATE, "not the primary")
	}
	bs, err := backup.Open(q.ProviderType, q.ProviderRoot)
	if err != nil {
		return answer(base.ERR_INVALID_PARAMETERS, err.Error())
	}
	loc := backup.Location{Prefix: q.BackupPath, Cluster: q.ClusterName, AppName: q.AppName, AppID: q.Pid.Appid, BackupID: q.BackupID}
	key := uploadKey{*q.Pid, q.BackupID}

	n.uploads.mu.Lock()
	if n.uploads.jobs == nil {
		n.uploads.jobs = map[uploadKey]*upload{}
	}
	for k, j := range n.uploads.jobs {
		j.mu.Lock()
		stale := j.done && time.Since(j.finished) > uploadKeep
		j.mu.Unlock()
		if stale {
			delete(n.uploads.jobs, k)
		}
	}
	job, ok := n.uploads.jobs[key]
	if !ok {
		job = &upload{}
		n.uploads.jobs[key] = job
		n.spawn(func() { n.runUpload(r, bs, loc, job) })
	}
	n.uploads.mu.Unlock()

	job.mu.Lock()
	defer job.mu.Unlock()
	resp := &replication.ColdBackupResponse{Err: base.NewErrorCode(base.ERR_BUSY), Progress: job.progress}
	switch {
	case job.err != nil:
		n.uploads.mu.Lock()
		delete(n.uploads.jobs, key)
		n.uploads.mu.Unlock()
		resp.Err, resp.Hint = base.NewErrorCode(base.ERR_FILE_OPERATION_FAILED), job.err.Error()
	case job.done:
		resp.Err = base.NewErrorCode(base.ERR_OK)
		resp.CheckpointDecree = job.manifest.Decree
		resp.FileCount, resp.TotalSize = int32(len(job.manifest.Files)), job.manifest.TotalSize
	}
	return rpc.OK(&replication.ColdBackupUploadResult{Success: resp})
}

// runUpload checkpoints r and uploads the checkpoint.
func (n *Node) runUpload(r *Replica, bs backup.BlockService, loc backup.Location, job *upload) {
	m, err := n.uploadCheckpoint(r, bs, loc, func(done, total int) {
		job.mu.Lock()
		job.progress = int32(int64(done) * 999 / int64(max(total, 1)))
		job.mu.Unlock()
	})
	job.mu.Lock()
	defer job.mu.Unlock()
	job.finished = time.Now()
	if err != nil {
		r.log.Warn("replica: cold backup upload failed", "backup_id", loc.BackupID, "err", err)
		job.err = err
		return
	}
	r.log.Info("replica: cold backup uploaded", "backup_id", loc.BackupID, "decree", m.Decree, "files", len(m.Files), "bytes", m.TotalSize)
	job.done, job.progress, job.manifest = true, 1000, m
}

func (n *Node) uploadCheckpoint(r *Replica, bs backup.BlockService, loc backup.Location, progress backup.Progress) (backup.Manifest, error) {
	root := r.dir
	if root == "" {
		root = r.rdbDir + ".backup"
	}
	dir := filepath.Join(root, "backup", fmt.Sprintf("%d", loc.BackupID))
	os.RemoveAll(dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return backup.Manifest{}, fmt.Errorf("cold backup: %w", err)
	}
	defer os.RemoveAll(dir)
	decree, err := r.Storage().Checkpoint(dir)
	if err != nil {
		return backup.Manifest{}, fmt.Errorf("cold backup: %w", err)
	}
	return backup.UploadCheckpoint(n.ctx, bs, loc, r.Gpid.PartitionIndex, dir, decree, progress)
}
