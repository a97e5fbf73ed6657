package meta

import (
	"context"
	"errors"
	"maps"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/server/backup"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
)

// Restore (docs/backup.md): RPC_CM_START_RESTORE reads the backup's
// metadata from the provider, checks that every partition's manifest is
// there, and creates a new table whose envs name the backup (restore.*);
// the replica server assigned each partition's primary downloads and
// checks the partition's files before it serves (server/replica,
// restore.go) and reports with RPC_CM_REPORT_RESTORE_STATUS. A partition
// whose files are corrupt fails the restore: the new table is dropped, so
// none of it goes on serving.

// restoreStatus is what the replica servers reported of one restore; it
// lives in memory only. After a meta restart a partition with a primary
// counts as restored, one without as still going.
type restoreStatus struct {
	parts  []restorePart
	failed bool
}

type restorePart struct {
	errno    base.Errno // ERR_OK, ERR_BUSY (downloading), ERR_IGNORE_BAD_DATA, or the failure
	progress int32      // 0..1000
	reported bool
}

// restores is the meta server's restore bookkeeping, by new app id.
type restores struct {
	mu sync.Mutex // guards by
	by map[int32]*restoreStatus
}

func (s *Server) startRestore(ctx context.Context, q *admin.ConfigurationRestoreRequest) any {
	resp := &admin.ConfigurationCreateAppResponse{}
	reply := func(err error) any {
		resp.Err = ec(s.replyErrno(err))
		if err != nil {
			s.log.Warn("meta: restore refused", "app", q.AppName, "backup_id", q.TimeStamp, "err", err)
		}
		return resp
	}
	if err := s.providerOK(q.BackupProviderName); err != nil {
		return reply(err)
	}
	bs, err := backup.Open(q.BackupProviderName, s.opts.BackupRoot)
	if err != nil {
		return reply(err)
	}
	src := backup.Source{
		Provider: q.BackupProviderName, Root: s.opts.BackupRoot, SkipBad: q.SkipBadPartition,
		Location: backup.Location{Prefix: q.GetRestorePath(), Cluster: q.ClusterName, AppName: q.AppName, AppID: q.AppID, BackupID: q.TimeStamp},
	}
	info, err := backup.ReadInfo(ctx, bs, src.Location)
	switch {
	case errors.Is(err, backup.ErrIncomplete):
		return reply(refuse(base.ERR_OBJECT_NOT_FOUND, "%v", err))
	case errors.Is(err, backup.ErrCorrupt):
		return reply(refuse(base.ERR_CORRUPTION, "%v", err))
	case err != nil:
		return reply(refuse(base.ERR_FILE_OPERATION_FAILED, "%v", err))
	}
	if !q.SkipBadPartition {
		for pidx := int32(0); pidx < info.PartitionCount; pidx++ {
			if _, err := backup.ReadManifest(ctx, bs, src.Location, pidx); err != nil {
				return reply(refuse(base.ERR_CORRUPTION, "%v", err))
			}
		}
	}
	name := q.NewAppName_
	if name == "" {
		name = info.AppName
	}
	envs := maps.Clone(info.Envs)
	if envs == nil {
		envs = map[string]string{}
	}
	maps.Copy(envs, src.Envs())
	r := CreateRequest{
		Name: name, PartitionCount: info.PartitionCount, ReplicaCount: info.MaxReplicaCount,
		AppType: info.AppType, IsStateful: true, Envs: envs,
	}
	var id int32
	err = s.commit(ctx, func(st *State, now time.Time) (c Change, err error) {
		c, id, err = st.CreateApp(r, now)
		return c, err
	})
	s.logChange("restore table", err, "app", name, "app_id", id, "backup_id", info.BackupID, "from", info.AppName)
	if err != nil {
		return reply(err)
	}
	s.restores.mu.Lock()
	if s.restores.by == nil {
		s.restores.by = map[int32]*restoreStatus{}
	}
	s.restores.by[id] = &restoreStatus{parts: make([]restorePart, info.PartitionCount)}
	s.restores.mu.Unlock()
	resp.Err, resp.Appid = ec(base.ERR_OK), id
	return resp
}

// reportRestore takes a replica server's report on one partition.
func (s *Server) reportRestore(ctx context.Context, q *replication.RestoreReportRequest) any {
	resp := &replication.RestoreReportResponse{Err: ec(base.ERR_OK)}
	if q.Pid == nil || q.Err == nil {
		resp.Err = ec(base.ERR_INVALID_PARAMETERS)
		return resp
	}
	pid, errno := *q.Pid, q.Err.Code()
	var app App
	if err := s.read(func(st *State) { app, _ = st.App(pid.Appid) }); err != nil {
		resp.Err = ec(s.replyErrno(err))
		return resp
	}
	if app.ID == 0 || pid.PartitionIndex < 0 || pid.PartitionIndex >= app.PartitionCount {
		resp.Err = ec(base.ERR_OBJECT_NOT_FOUND)
		return resp
	}
	s.restores.mu.Lock()
	if s.restores.by == nil {
		s.restores.by = map[int32]*restoreStatus{}
	}
	rst := s.restores.by[pid.Appid]
	if rst == nil {
		rst = &restoreStatus{parts: make([]restorePart, app.PartitionCount)}
		s.restores.by[pid.Appid] = rst
	}
	rst.parts[pid.PartitionIndex] = restorePart{errno: errno, progress: q.Progress, reported: true}
	failNow := !rst.failed && errno != base.ERR_OK && errno != base.ERR_BUSY && errno != base.ERR_IGNORE_BAD_DATA
	if failNow {
		rst.failed = true
	}
	s.restores.mu.Unlock()
	if failNow {
		s.log.Error("meta: restore failed; dropping the half-restored table", "app", app.Name, "app_id", app.ID,
			"partition", pid.PartitionIndex, "err", errno, "hint", q.Hint)
		err := s.commit(ctx, func(st *State, now time.Time) (Change, error) {
			return st.DropApp(app.Name, true, 1, now)
		})
		s.logChange("drop failed restore", err, "app", app.Name)
	}
	return resp
}

// queryRestoreStatus reports each partition of a restored table: status
// ERR_OK (restored), ERR_IO_PENDING (downloading or waiting for a
// server), ERR_IGNORE_BAD_DATA (skipped) or the error that failed it,
// and progress in percent.
func (s *Server) queryRestoreStatus(_ context.Context, q *admin.ConfigurationQueryRestoreRequest) any {
	resp := &admin.ConfigurationQueryRestoreResponse{RestoreStatus: []*base.ErrorCode{}, RestoreProgress: []int32{}}
	var (
		app      App
		primary  []bool
		restored bool
	)
	if err := s.read(func(st *State) {
		app, _ = st.App(q.RestoreAppID)
		_, restored = app.Envs[backup.EnvRestoreBackupID]
		for i := int32(0); i < app.PartitionCount; i++ {
			p, _ := st.Partition(base.Gpid{Appid: app.ID, PartitionIndex: i})
			primary = append(primary, p.HasPrimary())
		}
	}); err != nil {
		resp.Err = ec(s.replyErrno(err))
		return resp
	}
	if app.ID == 0 || !restored {
		resp.Err = ec(base.ERR_APP_NOT_EXIST)
		return resp
	}
	s.restores.mu.Lock()
	var parts []restorePart
	if rst := s.restores.by[app.ID]; rst != nil {
		parts = append(parts, rst.parts...)
	}
	s.restores.mu.Unlock()
	for i := range app.PartitionCount {
		p := restorePart{}
		if int(i) < len(parts) {
			p = parts[i]
		}
		errno, pct := base.ERR_IO_PENDING, p.progress/10
		switch {
		case p.reported && p.errno != base.ERR_BUSY:
			errno = p.errno
			if errno == base.ERR_OK || errno == base.ERR_IGNORE_BAD_DATA {
				pct = 100
			}
		case !p.reported && primary[i] && app.Available():
			errno, pct = base.ERR_OK, 100 // restored before this server took over
		}
		resp.RestoreStatus = append(resp.RestoreStatus, ec(errno))
		resp.RestoreProgress = append(resp.RestoreProgress, pct)
	}
	resp.Err = ec(base.ERR_OK)
	return resp
}
