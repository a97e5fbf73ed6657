package shell

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/server/backup"
	"github.com/pegasus-go/pegasus/thrift/base"
)

func runRestoreApp(c *Call) error {
	if err := c.need("old_cluster_name", "old_app_name", "old_app_id", "timestamp", "backup_provider_type"); err != nil {
		return err
	}
	oldID, err := c.Int("old_app_id", 0)
	if err != nil {
		return err
	}
	ts, err := c.Int("timestamp", 0)
	if err != nil {
		return err
	}
	r := admin.RestoreRequest{
		OldCluster: c.Str("old_cluster_name", ""), OldPolicy: c.Str("old_policy_name", ""), OldTable: c.Str("old_app_name", ""),
		OldAppID: int32(oldID), BackupID: ts, Provider: c.Str("backup_provider_type", ""),
		NewTable: c.Str("new_app_name", ""), SkipBad: c.Switch("skip_bad_partition"), Path: c.Str("restore_path", ""),
	}
	if r.NewTable == "" {
		r.NewTable = r.OldTable
	}
	ctx, cancel := c.adminCtx()
	newID, err := c.s.admin.StartRestore(ctx, r)
	cancel()
	if err != nil {
		if e, ok := err.(*admin.OpError); ok && e.Errno == base.ERR_OBJECT_NOT_FOUND {
			return failf(err, "restore app failed: couldn't find valid app metadata")
		}
		return failf(err, "restore app failed with err(%s)", describe(err))
	}
	c.s.live.invalidate(KindTable)
	out := map[string]any{"app_name": r.NewTable, "app_id": newID}
	if c.Switch("wait") {
		p := c.s.startProgress("restore "+r.NewTable, 100, "", nil)
		for {
			ctx, cancel := c.adminCtx()
			st, err := c.s.admin.QueryRestore(ctx, newID)
			cancel()
			if err == nil {
				p.update(st.Progress(), 0)
				if ferr := st.Failed(); ferr != nil {
					p.finish()
					return failf(ferr, "restore of %s failed: %v (the new table was dropped)", r.NewTable, ferr)
				}
				if st.Done() {
					p.finish()
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
	return c.Done(out, "\tnew app_id = %d", newID)
}

func restoreWord(e base.Errno) string {
	switch e {
	case base.ERR_OK:
		return "ok"
	case base.ERR_IO_PENDING:
		return "ongoing"
	case base.ERR_IGNORE_BAD_DATA:
		return "skip"
	}
	return string(e)
}

func runQueryRestoreStatus(c *Call) error {
	id, err := strconv.ParseInt(c.args[0], 10, 32)
	if err != nil {
		return usagef("invalid restore_app_id(%s)", c.args[0])
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	st, err := c.s.admin.QueryRestore(ctx, int32(id))
	if err != nil {
		return failf(err, "invalid restore_app_id(%d)", id)
	}
	var parts []map[string]any
	for i, p := range st {
		parts = append(parts, map[string]any{"pidx": i, "progress": p.Progress, "restore_status": restoreWord(p.Status)})
	}
	v := map[string]any{"app_id": id, "progress": st.Progress(), "partitions": parts}
	err = c.Emit(v, func(w io.Writer) {
		if c.Switch("detailed") {
			fmt.Fprintf(w, "%-6s%-13s%s\n", "pid", "progress(%)", "restore_status")
			for i, p := range st {
				fmt.Fprintf(w, "%-6d%-13d%s\n", i, p.Progress, restoreWord(p.Status))
			}
		}
		fmt.Fprintf(w, "the overall progress of restore is %d%%\n", st.Progress())
	})
	if err == nil {
		if ferr := st.Failed(); ferr != nil {
			return failf(ferr, "restore failed: %v", ferr)
		}
	}
	return err
}

func runVerifyBackup(c *Call) error {
	if err := c.need("root", "cluster_name", "app_name", "app_id", "backup_id"); err != nil {
		return err
	}
	appID, err := c.Int("app_id", 0)
	if err != nil {
		return err
	}
	bid, err := c.Int("backup_id", 0)
	if err != nil {
		return err
	}
	loc := backup.Location{Prefix: c.Str("backup_path", ""), Cluster: c.Str("cluster_name", ""), AppName: c.Str("app_name", ""), AppID: int32(appID), BackupID: bid}
	bs := backup.NewLocalService(c.Str("root", ""))
	rep, err := backup.Verify(c.ctx, bs, loc, nil)
	if err != nil {
		return failf(err, "verify backup %s failed: %v", loc, err)
	}
	files, bytes := 0, int64(0)
	for _, p := range rep.Partitions {
		files += p.Files
		bytes += p.Bytes
	}
	problems := rep.ProblemList()
	v := map[string]any{"ok": rep.OK(), "backup_id": bid, "app_id": appID, "partitions": len(rep.Partitions), "files": files, "bytes": bytes, "problems": problems}
	if err := c.Emit(v, func(w io.Writer) {
		for _, p := range problems {
			fmt.Fprintf(w, "PROBLEM: %s\n", p)
		}
		verdict := "OK"
		if !rep.OK() {
			verdict = "FAILED"
		}
		fmt.Fprintf(w, "verify backup %s: %s (%d partitions, %d files, %d bytes checked)\n", loc, verdict, len(rep.Partitions), files, bytes)
	}); err != nil {
		return err
	}
	if !rep.OK() {
		return failf(nil, "backup %s is not intact", loc)
	}
	return nil
}
