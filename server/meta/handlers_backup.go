package meta

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pegasus-go/pegasus/server/backup"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// Backup RPCs: RPC_CM_START_BACKUP_APP and RPC_CM_QUERY_BACKUP_STATUS.

// providerOK checks that the provider type is one this server can write.
func (s *Server) providerOK(typ string) error {
	if typ != backup.LocalServiceType {
		return refuse(base.ERR_INVALID_PARAMETERS, "unknown backup provider %q (this cluster offers %s)", typ, backup.LocalServiceType)
	}
	if s.opts.BackupRoot == "" {
		return refuse(base.ERR_INVALID_PARAMETERS, "%s has no root: set [backup] local_service_root in the meta server's config", typ)
	}
	return nil
}

func (s *Server) startBackupApp(ctx context.Context, q *admin.StartBackupAppRequest) any {
	resp := &admin.StartBackupAppResponse{}
	reply := func(err error) any {
		resp.Err, resp.HintMessage = ec(s.replyErrno(err)), hintOf(err)
		return resp
	}
	if err := s.providerOK(q.BackupProviderType); err != nil {
		return reply(err)
	}
	rec, err := s.startBackup(ctx, q.AppID, q.BackupProviderType, q.GetBackupPath(), "")
	if err != nil {
		return reply(err)
	}
	id := rec.BackupID
	resp.Err, resp.BackupID = ec(base.ERR_OK), &id
	resp.HintMessage = fmt.Sprintf("backup %d of table %s started", id, rec.AppName)
	return resp
}

// startBackup records a new backup of table appID (started by policy, if
// not "") and starts its runner.
func (s *Server) startBackup(ctx context.Context, appID int32, provider, path, policy string) (*backupRecord, error) {
	if err := s.loadBackups(ctx); err != nil {
		return nil, err
	}
	var app App
	if err := s.read(func(st *State) { app, _ = st.App(appID) }); err != nil {
		return nil, err
	}
	if !app.Available() {
		return nil, refuse(base.ERR_APP_NOT_EXIST, "no available table with id %d", appID)
	}
	id := nowMs(s.now())
	for _, r := range s.backupRecords(-1) {
		if r.AppID == appID && !r.finished() {
			return nil, refuse(base.ERR_BUSY, "backup %d of table %s is still running", r.BackupID, r.AppName)
		}
		id = max(id, r.BackupID+1)
	}
	rec := &backupRecord{
		BackupID: id, AppID: app.ID, AppName: app.Name, Provider: provider, Path: path,
		Cluster: s.opts.ClusterName, PartitionCount: app.PartitionCount, StartTimeMs: id,
		Uploaded: make([]backup.PartitionSummary, app.PartitionCount), Policy: policy,
	}
	for i := range rec.Uploaded {
		rec.Uploaded[i] = backup.PartitionSummary{Index: int32(i), Decree: -1}
	}
	if err := s.saveBackup(ctx, rec); err != nil {
		return nil, err
	}
	s.bk.mu.Lock()
	if s.bk.records != nil { // nil: the term ended meanwhile; the next one loads it
		s.bk.records[id] = rec.clone()
	}
	s.bk.mu.Unlock()
	s.runBackup(id)
	s.log.Info("meta: backup started", "backup_id", id, "app", app.Name, "app_id", app.ID, "provider", provider, "path", path, "policy", policy)
	return rec, nil
}

// queryBackupStatus answers with the table's backups, oldest first; the
// hint carries one line per backup with the partitions uploaded so far
// ("backup <id>: <done>/<total> partitions uploaded", and why it failed),
// which the shell's progress bar reads.
func (s *Server) queryBackupStatus(ctx context.Context, q *admin.QueryBackupStatusRequest) any {
	resp := &admin.QueryBackupStatusResponse{BackupItems: []*admin.BackupItem{}}
	if err := s.loadBackups(ctx); err != nil {
		resp.Err, resp.HintMessage = ec(s.replyErrno(err)), hintOf(err)
		return resp
	}
	recs := s.backupRecords(q.AppID)
	sort.Slice(recs, func(i, j int) bool { return recs[i].BackupID < recs[j].BackupID })
	var hints []string
	for _, r := range recs {
		if q.BackupID != nil && r.BackupID != *q.BackupID {
			continue
		}
		resp.BackupItems = append(resp.BackupItems, &admin.BackupItem{
			BackupID: r.BackupID, AppName: r.AppName, BackupProviderType: r.Provider, BackupPath: r.Path,
			StartTimeMs: r.StartTimeMs, EndTimeMs: r.EndTimeMs, IsBackupFailed: r.Failed,
		})
		h := fmt.Sprintf("backup %d: %d/%d partitions uploaded", r.BackupID, r.doneCount(), r.PartitionCount)
		if r.Failed {
			h += "; failed: " + r.Hint
		}
		hints = append(hints, h)
	}
	if len(resp.BackupItems) == 0 {
		what := fmt.Sprintf("table %d has no backups", q.AppID)
		if q.BackupID != nil {
			what = fmt.Sprintf("table %d has no backup %d", q.AppID, *q.BackupID)
		}
		resp.Err, resp.HintMessage = ec(base.ERR_OBJECT_NOT_FOUND), what
		return resp
	}
	resp.Err, resp.HintMessage = ec(base.ERR_OK), strings.Join(hints, "\n")
	return resp
}
