package replica

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/server/backup"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
)

// Restore, replica side (docs/backup.md): a partition of a table restored
// from a backup is created by the server the meta assigns its primary to.
// Instead of starting empty, that server downloads the partition's
// checkpoint from the backup (every file checked against the manifest),
// installs it as the new replica's storage and only then takes the
// assignment; secondaries learn from it as usual. Progress and failure go
// to the meta with RPC_CM_REPORT_RESTORE_STATUS. Nothing is created when
// the download fails, so no replica serves part of a partition.

// errRestoring: the assignment waits for a download in progress.
var errRestoring = errors.New("partition is being restored from a backup")

// restores tracks the downloads in progress, one per partition.
type restores struct {
	mu     sync.Mutex // guards active
	active map[base.Gpid]bool
}

// startRestore downloads the partition p assigns in the background, unless
// a download of it is already running.
func (n *Node) startRestore(p *replication.ConfigurationUpdateRequest, src backup.Source) {
	gpid := *p.Config.Pid
	n.restores.mu.Lock()
	if n.restores.active == nil {
		n.restores.active = map[base.Gpid]bool{}
	}
	if n.restores.active[gpid] {
		n.restores.mu.Unlock()
		return
	}
	n.restores.active[gpid] = true
	n.restores.mu.Unlock()
	n.spawn(func() {
		defer func() {
			n.restores.mu.Lock()
			delete(n.restores.active, gpid)
			n.restores.mu.Unlock()
		}()
		if n.restore(p, src) {
			n.onProposal(p)
		}
	})
}

// restore downloads and installs the partition; it reports whether the
// replica was created.
func (n *Node) restore(p *replication.ConfigurationUpdateRequest, src backup.Source) bool {
	gpid := *p.Config.Pid
	log := n.log.With("gpid", gpidString(gpid), "backup_id", src.Location.BackupID)
	stage := filepath.Join(n.opts.DataDir, "restore", fmt.Sprintf("%d.%d.%d", gpid.Appid, gpid.PartitionIndex, src.Location.BackupID))
	os.RemoveAll(stage)
	if err := os.MkdirAll(filepath.Dir(stage), 0o755); err != nil {
		log.Error("replica node: restore", "err", err)
		return false
	}
	defer os.RemoveAll(stage)

	n.reportRestore(gpid, base.ERR_BUSY, 0, "downloading")
	var last time.Time
	_, err := n.download(src, gpid.PartitionIndex, stage, func(done, total int) {
		if time.Since(last) > time.Second || done == total {
			last = time.Now()
			n.reportRestore(gpid, base.ERR_BUSY, int32(int64(done)*999/int64(max(total, 1))), "downloading")
		}
	})
	skipped := false
	if err != nil {
		if !src.SkipBad || !(errors.Is(err, backup.ErrCorrupt) || errors.Is(err, backup.ErrIncomplete)) {
			log.Error("replica node: restore from backup failed", "err", err)
			errno := base.ERR_CORRUPTION
			if !errors.Is(err, backup.ErrCorrupt) && !errors.Is(err, backup.ErrIncomplete) {
				errno = base.ERR_FILE_OPERATION_FAILED
			}
			n.reportRestore(gpid, errno, 0, err.Error())
			return false
		}
		log.Warn("replica node: bad partition in backup skipped; starting it empty", "err", err)
		skipped = true
	}

	n.hostMu.Lock()
	defer n.hostMu.Unlock()
	if n.srv.Replica(gpid) != nil {
		return true
	}
	if skipped {
		_, err = n.create(gpid, p.Info)
	} else {
		_, err = n.createFrom(gpid, p.Info, stage)
	}
	if err != nil {
		log.Error("replica node: create restored replica", "err", err)
		n.reportRestore(gpid, base.ERR_FILE_OPERATION_FAILED, 0, err.Error())
		return false
	}
	errno, hint := base.ERR_OK, "restored"
	if skipped {
		errno, hint = base.ERR_IGNORE_BAD_DATA, "bad partition skipped; started empty"
	}
	log.Info("replica node: partition restored from backup", "skipped", skipped)
	n.reportRestore(gpid, errno, 1000, hint)
	return true
}

func (n *Node) download(src backup.Source, pidx int32, dest string, progress backup.Progress) (backup.Manifest, error) {
	bs, err := backup.Open(src.Provider, src.Root)
	if err != nil {
		return backup.Manifest{}, err
	}
	return backup.DownloadCheckpoint(n.ctx, bs, src.Location, pidx, dest, progress)
}

// reportRestore tells the meta how a partition's restore goes; best effort.
func (n *Node) reportRestore(gpid base.Gpid, errno base.Errno, progress int32, hint string) {
	ctx, cancel := context.WithTimeout(n.ctx, 5*time.Second)
	defer cancel()
	addr := n.meta.current()
	res := replication.NewColdBackupReportRestoreResult()
	req := &replication.RestoreReportRequest{Pid: &gpid, Err: base.NewErrorCode(errno), Progress: progress, Hint: hint}
	if err := n.meta.call(ctx, addr, catalog.RPC_CM_REPORT_RESTORE_STATUS, &replication.ColdBackupReportRestoreArgs{Req: req}, res); err != nil {
		n.log.Debug("replica node: report restore status", "gpid", gpidString(gpid), "err", err)
	}
}
