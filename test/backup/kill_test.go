package backup

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/server/backup"
)

const hostKill = 65

// TestBackupSurvivesReplicaKill kills -9 a replica server (the primary of
// partition 0) right after a backup starts: the backup either completes
// (the new primaries upload) or fails with a clear reason, in which case
// a retry succeeds; the completed backup verifies clean and holds every
// partition.
func TestBackupSurvivesReplicaKill(t *testing.T) {
	b := startBox(t, hostKill)
	c := adminClient(t, b)
	tb := openTable(t, b, onebox.TableName)
	ctx := t.Context()
	for i := range 400 {
		h, s := key(i)
		if err := tb.Set(ctx, h, s, []byte(fmt.Sprintf("value-%d", i))); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	id := appID(t, c, onebox.TableName)
	_, parts, err := c.TablePartitions(ctx, onebox.TableName)
	if err != nil {
		t.Fatal(err)
	}
	victim := ""
	for i, a := range b.Replicas {
		if a == parts[0].Primary {
			victim = fmt.Sprintf("replica%d", i+1)
		}
	}
	if victim == "" {
		t.Fatalf("primary %q of partition 0 is none of %v", parts[0].Primary, b.Replicas)
	}

	backupID, err := c.StartBackup(ctx, id, "local_service", "")
	if err != nil {
		t.Fatalf("start backup: %v", err)
	}
	if err := b.Kill(victim, syscall.SIGKILL, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	failed := ""
	waitFor(t, 3*time.Minute, "the backup to complete or fail", func() (bool, error) {
		st, err := c.QueryBackups(ctx, id, backupID)
		if err != nil || len(st) != 1 {
			return false, err
		}
		if st[0].IsBackupFailed {
			failed = st[0].Hint
			return true, nil
		}
		return st[0].Done(), nil
	})
	if failed != "" {
		t.Logf("backup %d failed after the kill, as it may: %s; retrying", backupID, failed)
		if len(failed) < 5 {
			t.Fatalf("a failed backup must say why, got %q", failed)
		}
		backupID = backupTable(t, c, id)
	} else {
		t.Logf("backup %d completed across the kill of %s", backupID, victim)
	}
	loc := backup.Location{Cluster: "onebox", AppName: onebox.TableName, AppID: id, BackupID: backupID}
	rep, err := backup.Verify(ctx, backup.NewLocalService(b.BackupRoot()), loc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if probs := rep.ProblemList(); len(probs) != 0 || len(rep.Partitions) != len(parts) {
		t.Fatalf("verify: %d partitions, problems %v", len(rep.Partitions), probs)
	}
}
