package admin

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// Cold backup and restore as plain calls (docs/backup.md).

// StartBackup starts a one-shot backup of table appID to provider (under
// path, if not empty) and returns its backup id.
func (c *Client) StartBackup(ctx context.Context, appID int32, provider, path string) (int64, error) {
	req := &admin.StartBackupAppRequest{BackupProviderType: provider, AppID: appID}
	if path != "" {
		req.BackupPath = &path
	}
	res := admin.NewMetaStartBackupAppResult()
	if err := c.call(ctx, catalog.RPC_CM_START_BACKUP_APP, &admin.MetaStartBackupAppArgs{Req: req}, res, func() errGetter { return res.Success }); err != nil {
		return 0, err
	}
	if err := check("start backup", res.Success, res.Success.GetHintMessage()); err != nil {
		return 0, err
	}
	return res.Success.GetBackupID(), nil
}

// BackupStatus is one backup as the meta reports it.
type BackupStatus struct {
	*admin.BackupItem
	// PartitionsDone of Partitions have been uploaded.
	PartitionsDone, Partitions int
	// Hint says why a failed backup failed.
	Hint string
}

// Done reports whether the backup has ended, well or not.
func (b BackupStatus) Done() bool { return b.IsBackupFailed || b.EndTimeMs > 0 }

var progressLine = regexp.MustCompile(`^backup (\d+): (\d+)/(\d+) partitions uploaded(?:; failed: (.*))?$`)

// QueryBackups returns table appID's backups (only backupID's, if not 0),
// oldest first.
func (c *Client) QueryBackups(ctx context.Context, appID int32, backupID int64) ([]BackupStatus, error) {
	req := &admin.QueryBackupStatusRequest{AppID: appID}
	if backupID != 0 {
		req.BackupID = &backupID
	}
	res := admin.NewMetaQueryBackupStatusResult()
	if err := c.call(ctx, catalog.RPC_CM_QUERY_BACKUP_STATUS, &admin.MetaQueryBackupStatusArgs{Req: req}, res, func() errGetter { return res.Success }); err != nil {
		return nil, err
	}
	if err := check("query backup status", res.Success, res.Success.GetHintMessage()); err != nil {
		return nil, err
	}
	progress := map[int64][3]string{}
	for _, line := range strings.Split(res.Success.HintMessage, "\n") {
		if m := progressLine.FindStringSubmatch(line); m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			progress[id] = [3]string{m[2], m[3], m[4]}
		}
	}
	var out []BackupStatus
	for _, it := range res.Success.BackupItems {
		p := progress[it.BackupID]
		done, _ := strconv.Atoi(p[0])
		total, _ := strconv.Atoi(p[1])
		out = append(out, BackupStatus{BackupItem: it, PartitionsDone: done, Partitions: total, Hint: p[2]})
	}
	return out, nil
}

// RestoreRequest names a backup to restore and the table to create.
type RestoreRequest struct {
	OldCluster string
	OldPolicy  string
	OldTable   string
	OldAppID   int32
	BackupID   int64
	Provider   string
	NewTable   string // "" = the old name
	SkipBad    bool
	Path       string // the backup's backup_path, if any
}

// StartRestore creates a new table from a backup and returns its app id.
func (c *Client) StartRestore(ctx context.Context, r RestoreRequest) (int32, error) {
	req := &admin.ConfigurationRestoreRequest{
		ClusterName: r.OldCluster, PolicyName: r.OldPolicy, TimeStamp: r.BackupID, AppName: r.OldTable, AppID: r.OldAppID,
		NewAppName_: r.NewTable, BackupProviderName: r.Provider, SkipBadPartition: r.SkipBad,
	}
	if r.Path != "" {
		req.RestorePath = &r.Path
	}
	res := admin.NewMetaStartRestoreResult()
	if err := c.call(ctx, catalog.RPC_CM_START_RESTORE, &admin.MetaStartRestoreArgs{Req: req}, res, func() errGetter { return res.Success }); err != nil {
		return 0, err
	}
	if err := check("restore", res.Success, ""); err != nil {
		return 0, err
	}
	return res.Success.Appid, nil
}

// RestorePartition is one partition of a restore.
type RestorePartition struct {
	Status   base.Errno // ERR_OK, ERR_IO_PENDING, ERR_IGNORE_BAD_DATA or a failure
	Progress int32      // percent
}

// RestoreStatus is a restore's state.
type RestoreStatus []RestorePartition

// Progress is the overall percentage.
func (r RestoreStatus) Progress() int {
	if len(r) == 0 {
		return 0
	}
	sum := 0
	for _, p := range r {
		sum += int(p.Progress)
	}
	return sum / len(r)
}

// Failed returns the first failed partition's error, if any.
func (r RestoreStatus) Failed() error {
	for i, p := range r {
		switch p.Status {
		case base.ERR_OK, base.ERR_IO_PENDING, base.ERR_IGNORE_BAD_DATA:
		default:
			return fmt.Errorf("partition %d: %s", i, p.Status)
		}
	}
	return nil
}

// Done reports whether every partition is restored (or skipped).
func (r RestoreStatus) Done() bool {
	for _, p := range r {
		if p.Status != base.ERR_OK && p.Status != base.ERR_IGNORE_BAD_DATA {
			return false
		}
	}
	return len(r) > 0
}

// QueryRestore reports the restore into table appID.
func (c *Client) QueryRestore(ctx context.Context, appID int32) (RestoreStatus, error) {
	res := admin.NewMetaQueryRestoreStatusResult()
	args := &admin.MetaQueryRestoreStatusArgs{Req: &admin.ConfigurationQueryRestoreRequest{RestoreAppID: appID}}
	if err := c.call(ctx, catalog.RPC_CM_QUERY_RESTORE_STATUS, args, res, func() errGetter { return res.Success }); err != nil {
		return nil, err
	}
	if err := check("query restore status", res.Success, ""); err != nil {
		return nil, err
	}
	var out RestoreStatus
	for i, e := range res.Success.RestoreStatus {
		p := RestorePartition{Status: e.Code()}
		if i < len(res.Success.RestoreProgress) {
			p.Progress = res.Success.RestoreProgress[i]
		}
		out = append(out, p)
	}
	return out, nil
}
