package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/server/backup"
	"github.com/pegasus-go/pegasus/thrift/base"
)

// record is what the test expects of one key.
type record struct {
	value string
	ttl   int // seconds left when read at backup time; -1: none
}

const keyCount = 240

func key(i int) (hash, sort []byte) {
	return []byte(fmt.Sprintf("user%03d", i%60)), []byte(fmt.Sprintf("field%03d", i))
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	b := startBox(t, hostRoundTrip)
	c := adminClient(t, b)
	tb := openTable(t, b, onebox.TableName)
	ctx := t.Context()

	// Keys with and without TTLs; every third one expires in an hour.
	for i := range keyCount {
		h, s := key(i)
		v := []byte(fmt.Sprintf("value-%d", i))
		var err error
		if i%3 == 0 {
			err = tb.SetTTL(ctx, h, s, v, time.Hour+time.Duration(i)*time.Second)
		} else {
			err = tb.Set(ctx, h, s, v)
		}
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	want := map[int]record{}
	for i := range keyCount {
		h, s := key(i)
		ttl, err := tb.TTL(ctx, h, s)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = record{value: fmt.Sprintf("value-%d", i), ttl: ttl}
	}
	snapshotAt := time.Now()

	id := appID(t, c, onebox.TableName)
	backupID := backupTable(t, c, id)

	// Change the table after the backup: overwrite, delete, add.
	for i := range keyCount {
		h, s := key(i)
		var err error
		switch i % 4 {
		case 1:
			err = tb.Set(ctx, h, s, []byte("changed"))
		case 2:
			err = tb.Del(ctx, h, s)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := keyCount; i < keyCount+40; i++ {
		h, s := key(i)
		if err := tb.Set(ctx, h, s, []byte("after backup")); err != nil {
			t.Fatal(err)
		}
	}

	loc := backup.Location{Cluster: "onebox", AppName: onebox.TableName, AppID: id, BackupID: backupID}
	rep, err := backup.Verify(ctx, backup.NewLocalService(b.BackupRoot()), loc, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("verify of a good backup: %v, %v", rep.ProblemList(), err)
	}

	newID, err := c.StartRestore(ctx, admin.RestoreRequest{
		OldCluster: "onebox", OldTable: onebox.TableName, OldAppID: id, BackupID: backupID,
		Provider: "local_service", NewTable: "restored",
	})
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	waitRestored(t, c, newID)

	rt := openTable(t, b, "restored")
	for i := range keyCount + 40 {
		h, s := key(i)
		got, err := rt.Get(ctx, h, s)
		if err != nil {
			t.Fatalf("read %d from the restored table: %v", i, err)
		}
		w, existed := want[i]
		if !existed {
			if got != nil {
				t.Fatalf("key %d was written after the backup but the restored table has %q", i, got)
			}
			continue
		}
		if string(got) != w.value {
			t.Fatalf("key %d restored as %q, want %q", i, got, w.value)
		}
		ttl, err := rt.TTL(ctx, h, s)
		if err != nil {
			t.Fatal(err)
		}
		// Expiry times are absolute: the TTL left can only have shrunk by
		// the time since the snapshot.
		elapsed := int(time.Since(snapshotAt).Seconds()) + 2
		if w.ttl < 0 && ttl != -1 || w.ttl >= 0 && (ttl > w.ttl || ttl < w.ttl-elapsed) {
			t.Fatalf("key %d restored with ttl %d, had %d at backup time (%ds ago)", i, ttl, w.ttl, elapsed)
		}
	}
}

// waitRestored waits until every partition of the new table is restored.
func waitRestored(t *testing.T, c *admin.Client, newID int32) {
	t.Helper()
	waitFor(t, 90*time.Second, "restore completes", func() (bool, error) {
		st, err := c.QueryRestore(t.Context(), newID)
		if err != nil {
			return false, err
		}
		if err := st.Failed(); err != nil {
			t.Fatalf("restore failed: %v", err)
		}
		return st.Done(), nil
	})
}

func TestCorruptBackupIsReported(t *testing.T) {
	b := startBox(t, hostCorrupt)
	c := adminClient(t, b)
	tb := openTable(t, b, onebox.TableName)
	ctx := t.Context()
	for i := range 100 {
		h, s := key(i)
		if err := tb.Set(ctx, h, s, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	id := appID(t, c, onebox.TableName)
	backupID := backupTable(t, c, id)
	bs := backup.NewLocalService(b.BackupRoot())
	loc := backup.Location{Cluster: "onebox", AppName: onebox.TableName, AppID: id, BackupID: backupID}

	corruptOneFile(t, bs, loc)
	rep, err := backup.Verify(ctx, bs, loc, nil)
	if err != nil || rep.OK() {
		t.Fatalf("verify of a corrupt backup passed: %+v, %v", rep, err)
	}
	t.Logf("verify reports: %v", rep.ProblemList())

	newID, err := c.StartRestore(ctx, admin.RestoreRequest{
		OldCluster: "onebox", OldTable: onebox.TableName, OldAppID: id, BackupID: backupID,
		Provider: "local_service", NewTable: "bad",
	})
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	waitFor(t, 90*time.Second, "restore reports the corruption", func() (bool, error) {
		st, err := c.QueryRestore(ctx, newID)
		if err != nil {
			return false, err
		}
		for _, p := range st {
			if p.Status == base.ERR_CORRUPTION {
				return true, nil
			}
		}
		return false, nil
	})
	// The half-restored table is gone: nothing of it serves.
	waitFor(t, 30*time.Second, "the failed table is dropped", func() (bool, error) {
		_, err := c.QueryConfig(ctx, "bad")
		var oe *admin.OpError
		return errors.As(err, &oe) && oe.Errno == base.ERR_OBJECT_NOT_FOUND, err
	})
}

// corruptOneFile flips a byte in the largest file of partition 0,
// keeping its size.
func corruptOneFile(t *testing.T, bs *backup.LocalService, loc backup.Location) {
	t.Helper()
	m, err := backup.ReadManifest(t.Context(), bs, loc, 0)
	if err != nil {
		t.Fatal(err)
	}
	var big backup.FileInfo
	for _, f := range m.Files {
		if f.Size > big.Size {
			big = f
		}
	}
	flipByte(t, bs.Root, loc.FilePath(0, big.Name))
}

// TestShellBackupCommands runs backup_app --wait --json and verify_backup
// through the shell binary, as a script would.
func TestShellBackupCommands(t *testing.T) {
	b := startBox(t, hostScript)
	c := adminClient(t, b)
	id := appID(t, c, onebox.TableName)
	out, err := exec.Command(shellBinary, "-m", b.MetaServers()[0], "-e", "backup_app -a "+onebox.TableName+" -b local_service --wait --json").Output()
	if err != nil {
		t.Fatalf("backup_app: %v\n%s", err, out)
	}
	var res struct {
		BackupID int64  `json:"backup_id"`
		AppID    int32  `json:"app_id"`
		Status   string `json:"status"`
	}
	if err := json.Unmarshal(out, &res); err != nil || res.AppID != id || res.BackupID == 0 || res.Status != "completed" {
		t.Fatalf("backup_app --json = %s (%v)", out, err)
	}
	verify := func() ([]byte, error) {
		return exec.Command(shellBinary, "-m", b.MetaServers()[0], "-e", fmt.Sprintf("verify_backup -r %s -c onebox -a %s -i %d -t %d",
			b.BackupRoot(), onebox.TableName, id, res.BackupID)).CombinedOutput()
	}
	if out, err := verify(); err != nil {
		t.Fatalf("verify_backup of a good backup: %v\n%s", err, out)
	}
	loc := backup.Location{Cluster: "onebox", AppName: onebox.TableName, AppID: id, BackupID: res.BackupID}
	flipByte(t, b.BackupRoot(), loc.FilePath(3, "CURRENT"))
	out, err = verify()
	if err == nil || !strings.Contains(string(out), "PROBLEM: partition 3: file CURRENT") {
		t.Fatalf("verify_backup of a corrupt backup: %v\n%s", err, out)
	}
}
