package meta

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/pegasus-go/pegasus/server/backup"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// maxUploadFailures is how many failed uploads of one partition (reported
// by primaries, not counting lost primaries) fail the whole backup.
const maxUploadFailures = 3

// backupRunner drives backup id to its end while this server leads.
func (s *Server) backupRunner(id int64) {
	conns := map[netip.AddrPort]*rpc.Conn{}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	failures := map[int32]int{}
	t := time.NewTicker(s.opts.BackupPollInterval)
	defer t.Stop()
	for {
		if !s.leading() {
			return
		}
		done, err := s.backupRound(id, conns, failures)
		if err != nil {
			s.log.Error("meta: backup round", "backup_id", id, "err", err)
		}
		if done {
			return
		}
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// backupRound asks every partition not yet uploaded for its upload, and
// finishes the backup when all are; done says the runner may stop.
func (s *Server) backupRound(id int64, conns map[netip.AddrPort]*rpc.Conn, failures map[int32]int) (done bool, err error) {
	recs := s.backupRecords(-1)
	var rec *backupRecord
	for _, r := range recs {
		if r.BackupID == id {
			rec = r
		}
	}
	if rec == nil || rec.finished() {
		return true, nil
	}
	ctx := s.ctx
	fail := func(hint string) (bool, error) {
		s.log.Error("meta: backup failed", "backup_id", id, "app", rec.AppName, "why", hint)
		_, err := s.updateBackup(ctx, id, func(r *backupRecord) { r.Failed, r.Hint, r.EndTimeMs = true, hint, nowMs(s.now()) })
		return err == nil, err
	}
	var (
		app       App
		primaries = make([]netip.AddrPort, rec.PartitionCount)
	)
	if err := s.read(func(st *State) {
		app, _ = st.App(rec.AppID)
		for i := range primaries {
			if p, ok := st.Partition(base.Gpid{Appid: rec.AppID, PartitionIndex: int32(i)}); ok {
				primaries[i] = p.Primary
			}
		}
	}); err != nil {
		return true, nil // not leading: the next leader resumes
	}
	if !app.Available() {
		return fail("the table was dropped")
	}
	for i, u := range rec.Uploaded {
		if u.Decree >= 0 || !primaries[i].IsValid() {
			continue
		}
		pidx := int32(i)
		resp, err := s.askUpload(ctx, conns, primaries[i], rec, pidx)
		if err != nil {
			s.log.Debug("meta: ask for a backup upload", "backup_id", id, "partition", pidx, "primary", primaries[i], "err", err)
			continue
		}
		switch resp.Err.Code() {
		case base.ERR_OK:
			sum := backup.PartitionSummary{Index: pidx, Decree: resp.CheckpointDecree, Files: int(resp.FileCount), Size: resp.TotalSize}
			if _, err := s.updateBackup(ctx, id, func(r *backupRecord) { r.Uploaded[pidx] = sum }); err != nil {
				return false, err
			}
			s.log.Info("meta: partition backed up", "backup_id", id, "gpid", fmt.Sprintf("%d.%d", rec.AppID, pidx), "decree", sum.Decree)
		case base.ERR_BUSY, base.ERR_INVALID_STATE, base.ERR_OBJECT_NOT_FOUND:
			// Uploading, or the primary moved: ask again next round.
		default:
			failures[pidx]++
			s.log.Warn("meta: partition upload failed", "backup_id", id, "partition", pidx, "err", resp.Err.Code(), "hint", resp.Hint)
			if failures[pidx] >= maxUploadFailures {
				return fail(fmt.Sprintf("partition %d: %s", pidx, resp.Hint))
			}
		}
	}
	rec = nil
	for _, r := range s.backupRecords(-1) {
		if r.BackupID == id {
			rec = r
		}
	}
	if rec == nil || rec.doneCount() < int(rec.PartitionCount) {
		return false, nil
	}
	return true, s.finishBackup(ctx, rec, app)
}

// finishBackup writes the backup's metadata (the completion marker) and
// then records the end time.
func (s *Server) finishBackup(ctx context.Context, rec *backupRecord, app App) error {
	bs, err := backup.Open(rec.Provider, s.opts.BackupRoot)
	if err != nil {
		return err
	}
	end := nowMs(s.now())
	info := backup.Info{
		BackupID: rec.BackupID, Cluster: rec.Cluster, AppName: rec.AppName, AppID: rec.AppID, AppType: app.Type,
		PartitionCount: rec.PartitionCount, MaxReplicaCount: app.MaxReplicaCount, Envs: backedUpEnvs(app.Envs),
		Provider: rec.Provider, Path: rec.Path, StartTimeMs: rec.StartTimeMs, EndTimeMs: end, Partitions: rec.Uploaded,
	}
	if err := backup.WriteInfo(ctx, bs, rec.location(), info); err != nil {
		return err
	}
	_, err = s.updateBackup(ctx, rec.BackupID, func(r *backupRecord) { r.EndTimeMs = end })
	if err == nil {
		s.log.Info("meta: backup complete", "backup_id", rec.BackupID, "app", rec.AppName, "partitions", rec.PartitionCount)
	}
	return err
}

// backedUpEnvs are the table envs a restore gives the new table: all but
// the restore.* keys of a table that was itself restored.
func backedUpEnvs(envs map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range envs {
		if len(k) < 8 || k[:8] != "restore." {
			out[k] = v
		}
	}
	return out
}

func (s *Server) askUpload(ctx context.Context, conns map[netip.AddrPort]*rpc.Conn, target netip.AddrPort, rec *backupRecord, pidx int32) (*replication.ColdBackupResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c := conns[target]
	if c != nil && c.Err() != nil {
		c.Close()
		c = nil
	}
	if c == nil {
		var err error
		if c, err = rpc.Dial(ctx, target.String(), rpc.ConnOptions{}); err != nil {
			return nil, err
		}
		conns[target] = c
	}
	pid := base.Gpid{Appid: rec.AppID, PartitionIndex: pidx}
	req := &replication.ColdBackupRequest{
		Pid: &pid, BackupID: rec.BackupID, ProviderType: rec.Provider, ProviderRoot: s.opts.BackupRoot,
		ClusterName: rec.Cluster, AppName: rec.AppName, BackupPath: rec.Path,
	}
	res := replication.NewColdBackupUploadResult()
	err := c.Call(ctx, wire.Header{AppID: pid.Appid, PartitionIndex: pidx}, catalog.RPC_COLD_BACKUP, &replication.ColdBackupUploadArgs{Req: req}, res)
	if err != nil {
		return nil, err
	}
	if res.Success == nil || res.Success.Err == nil {
		return nil, errors.New("empty cold backup reply")
	}
	return res.Success, nil
}
