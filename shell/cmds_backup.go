package shell

import (
	"fmt"
	"io"
	"time"

	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// Cold backup and restore (docs/backup.md).

var waitFlag = Flag{Long: "wait", Help: "wait until it ends, with a progress bar; exit 1 if it fails"}

func init() {
	register(
		&Command{Name: "backup_app", Aliases: []string{"backup"}, Group: "backup", Summary: "start a one-shot backup of a table",
			Help: "Starts a cold backup of a table to a block service (local_service) and prints its\n" +
				"backup id. JSON: {app_name, app_id, backup_id}.",
			Flags: []Flag{
				{Short: "a", Long: "app_name", Value: "table", Help: "the table to back up"},
				{Short: "b", Long: "backup_provider_type", Value: "provider", Help: "block service (local_service)"},
				{Short: "p", Long: "backup_path", Value: "path", Help: "optional path under the provider's root"},
				waitFlag,
			},
			JSON: true, Run: runBackupApp},
		&Command{Name: "query_backup_status", Aliases: []string{"query-backup-status"}, Group: "backup", Summary: "show a table's backups",
			Help: "Lists a table's one-shot backups (or one, with -i). JSON: an array of {backup_id,\n" +
				"app_name, app_id, provider, path, start_time_ms, end_time_ms, status, partitions_done,\n" +
				"partitions}.",
			Flags: []Flag{
				{Short: "a", Long: "app_name", Value: "table", Help: "the table"},
				{Short: "i", Long: "backup_id", Value: "id", Help: "only this backup"},
			},
			JSON: true, Output: true, Run: runQueryBackupStatus},
		&Command{Name: "restore_app", Group: "backup", Summary: "restore a backup into a new table",
			Help: "Creates a new table from a backup; each partition is checked against its manifest\n" +
				"before it serves. JSON: {app_name, app_id}.",
			Flags: []Flag{
				{Short: "c", Long: "old_cluster_name", Value: "cluster", Help: "cluster the backup was taken on"},
				{Short: "p", Long: "old_policy_name", Value: "policy", Help: "backup policy (unused for one-shot backups)"},
				{Short: "a", Long: "old_app_name", Value: "table", Help: "backed-up table's name"},
				{Short: "i", Long: "old_app_id", Value: "id", Help: "backed-up table's id"},
				{Short: "t", Long: "timestamp", Value: "backup_id", Help: "the backup id"},
				{Short: "b", Long: "backup_provider_type", Value: "provider", Help: "block service (local_service)"},
				{Short: "n", Long: "new_app_name", Value: "table", Help: "new table name (default: the old one)"},
				{Short: "s", Long: "skip_bad_partition", Help: "start partitions with bad data empty instead of failing"},
				{Short: "r", Long: "restore_path", Value: "path", Help: "the backup's backup_path"},
				waitFlag,
			},
			JSON: true, Run: runRestoreApp},
		&Command{Name: "query_restore_status", Group: "backup", Summary: "show a restore's progress",
			Args:  []Arg{{Name: "restore_app_id"}},
			Flags: []Flag{detailedFlag},
			JSON:  true, Output: true, Run: runQueryRestoreStatus},
		&Command{Name: "verify_backup", Group: "backup", Summary: "check a backup's files without restoring",
			Help: "Reads a backup straight from the provider's root (this machine must see it) and checks\n" +
				"its completion marker, every manifest and every file's size and CRC-32C. Exit 1 if\n" +
				"anything is missing or corrupt. JSON: {ok, partitions, files, bytes, problems}.",
			Flags: []Flag{
				{Short: "r", Long: "root", Value: "dir", Help: "the local_service root"},
				{Short: "c", Long: "cluster_name", Value: "cluster", Help: "cluster the backup was taken on"},
				{Short: "a", Long: "app_name", Value: "table", Help: "backed-up table's name"},
				{Short: "i", Long: "app_id", Value: "id", Help: "backed-up table's id"},
				{Short: "t", Long: "backup_id", Value: "id", Help: "the backup id"},
				{Short: "p", Long: "backup_path", Value: "path", Help: "the backup's backup_path"},
			},
			JSON: true, Output: true, Run: runVerifyBackup},
	)
}

func (c *Call) need(longs ...string) error {
	for _, l := range longs {
		if c.Str(l, "") == "" {
			return usagef("--%s is required", l)
		}
	}
	return nil
}

// tableID resolves an available table's id.
func (c *Call) tableID(name string) (int32, error) {
	ctx, cancel := c.adminCtx()
	defer cancel()
	apps, err := c.s.admin.ListTables(ctx, layer2.AppStatus_AS_AVAILABLE)
	if err != nil {
		return 0, failf(err, "list tables failed: %s", describe(err))
	}
	for _, a := range apps {
		if a.AppName == name {
			return a.AppID, nil
		}
	}
	return 0, failf(nil, "table %s does not exist", name)
}

func runBackupApp(c *Call) error {
	if err := c.need("app_name", "backup_provider_type"); err != nil {
		return err
	}
	name := c.Str("app_name", "")
	id, err := c.tableID(name)
	if err != nil {
		return err
	}
	ctx, cancel := c.adminCtx()
	backupID, err := c.s.admin.StartBackup(ctx, id, c.Str("backup_provider_type", ""), c.Str("backup_path", ""))
	cancel()
	if err != nil {
		return failf(err, "backup app %s failed: %s", name, describe(err))
	}
	out := map[string]any{"app_name": name, "app_id": id, "backup_id": backupID}
	if c.Switch("wait") {
		var p *progress
		for {
			ctx, cancel := c.adminCtx()
			st, err := c.s.admin.QueryBackups(ctx, id, backupID)
			cancel()
			if err == nil && len(st) == 1 {
				if p == nil {
					p = c.s.startProgress("backup "+name, st[0].Partitions, "", nil)
				}
				p.update(st[0].PartitionsDone, 0)
				if st[0].Done() {
					p.finish()
					if st[0].IsBackupFailed {
						return failf(nil, "backup %d of %s failed: %s", backupID, name, st[0].Hint)
					}
					out["status"] = "completed"
					break
				}
			}
			select {
			case <-c.ctx.Done():
				return c.ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	return c.Done(out, "backup app %s started: backup_id = %d, app_id = %d", name, backupID, id)
}

func backupStatus(failed bool, end int64) string {
	switch {
	case failed:
		return "failed"
	case end > 0:
		return "completed"
	}
	return "running"
}

func runQueryBackupStatus(c *Call) error {
	if err := c.need("app_name"); err != nil {
		return err
	}
	name := c.Str("app_name", "")
	id, err := c.tableID(name)
	if err != nil {
		return err
	}
	bid, err := c.Int("backup_id", 0)
	if err != nil {
		return err
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	st, err := c.s.admin.QueryBackups(ctx, id, bid)
	if err != nil {
		return failf(err, "query backup status of %s failed: %s", name, describe(err))
	}
	var rows []map[string]any
	for _, b := range st {
		rows = append(rows, map[string]any{
			"backup_id": b.BackupID, "app_name": b.AppName, "app_id": id, "provider": b.BackupProviderType,
			"path": b.BackupPath, "start_time_ms": b.StartTimeMs, "end_time_ms": b.EndTimeMs,
			"status": backupStatus(b.IsBackupFailed, b.EndTimeMs), "partitions_done": b.PartitionsDone, "partitions": b.Partitions,
		})
	}
	return c.Emit(rows, func(w io.Writer) {
		fmt.Fprintf(w, "%-15s %-12s %-20s %-20s %-10s %-10s %s\n", "backup_id", "app_name", "start_time", "end_time", "status", "progress", "provider")
		for _, b := range st {
			end := "-"
			if b.EndTimeMs > 0 {
				end = time.UnixMilli(b.EndTimeMs).Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(w, "%-15d %-12s %-20s %-20s %-10s %-10s %s\n", b.BackupID, b.AppName,
				time.UnixMilli(b.StartTimeMs).Format("2006-01-02 15:04:05"), end,
				backupStatus(b.IsBackupFailed, b.EndTimeMs), fmt.Sprintf("%d/%d", b.PartitionsDone, b.Partitions), b.BackupProviderType)
		}
	})
}
