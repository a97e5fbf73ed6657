package backup

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
)

const hostPolicy = 64

// shell runs one pegasus-shell command against b and returns its standard
// output; a non-zero exit fails the test.
func shell(t *testing.T, b *onebox.Box, command string) string {
	t.Helper()
	cmd := exec.Command(shellBinary, "-m", b.MetaServers()[0], "-e", command)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s: %v\n%s%s", command, err, out, stderr)
	}
	return string(out)
}

// policyBackups returns the policy's backups the meta still records.
func policyBackups(t *testing.T, c *admin.Client, name string) []admin.PolicyBackup {
	t.Helper()
	pols, err := c.QueryBackupPolicies(t.Context(), []string{name}, 100)
	if err != nil {
		t.Fatalf("query policy %s: %v", name, err)
	}
	if len(pols) != 1 {
		t.Fatalf("query policy %s: %d policies", name, len(pols))
	}
	return pols[0].Backups
}

// completeOnProvider lists the backup ids with a backup_info.json under the
// table's directory on the provider.
func completeOnProvider(t *testing.T, b *onebox.Box, id int32) []int64 {
	t.Helper()
	infos, err := filepath.Glob(filepath.Join(b.BackupRoot(), "onebox", onebox.TableName+"_"+strconv.Itoa(int(id)), "*", "backup_info.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, f := range infos {
		n, err := strconv.ParseInt(filepath.Base(filepath.Dir(f)), 10, 64)
		if err != nil {
			t.Fatalf("backup dir %s: %v", f, err)
		}
		out = append(out, n)
	}
	return out
}

// TestBackupPolicy adds a policy with a 5-second interval and history
// count 1 through the shell, sees it make backups and keep only the newest
// on the provider, disables it, and checks that no backup starts although
// one is due; ls and query show it; enabling it starts backups again.
func TestBackupPolicy(t *testing.T) {
	b := startBox(t, hostPolicy)
	c := adminClient(t, b)
	id := appID(t, c, onebox.TableName)
	tb := openTable(t, b, onebox.TableName)
	for i := range 20 {
		if err := tb.Set(t.Context(), []byte(fmt.Sprintf("h%d", i)), []byte("s"), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}

	// The start time is this minute: the meta runs the first backup at once.
	out := shell(t, b, fmt.Sprintf("add_backup_policy -p every5s -b local_service -a %d -i 5 -s %s -c 1", id, time.Now().Format("15:04")))
	if !strings.Contains(out, "add backup policy succeed, policy_name = every5s") {
		t.Fatalf("add_backup_policy: %q", out)
	}
	// Too short an interval is refused by the meta, with exit status 1.
	if err := exec.Command(shellBinary, "-m", b.MetaServers()[0], "-e",
		fmt.Sprintf("add_backup_policy -p fast -b local_service -a %d -i 1 -s 0:00 -c 1", id)).Run(); err == nil {
		t.Fatal("add_backup_policy with a 1s interval succeeded")
	}

	// At least two complete backups made by the policy.
	completed := map[int64]bool{}
	waitFor(t, 45*time.Second, "two policy backups complete", func() (bool, error) {
		for _, bk := range policyBackups(t, c, "every5s") {
			if bk.Status == "failed" {
				t.Fatalf("policy backup %d failed: %s", bk.BackupID, bk.Hint)
			}
			if bk.Status == "completed" {
				completed[bk.BackupID] = true
			}
		}
		return len(completed) >= 2, nil
	})

	// Disable (forced: a backup may be running), then wait for the policy to
	// be quiet: nothing running and, with history count 1, one backup kept.
	out = shell(t, b, "disable_backup_policy -p every5s -f")
	if !strings.Contains(out, "disable policy result: ERR_OK") {
		t.Fatalf("disable_backup_policy: %q", out)
	}
	var last admin.PolicyBackup
	waitFor(t, 30*time.Second, "retention keeps the newest backup only", func() (bool, error) {
		bks := policyBackups(t, c, "every5s")
		if len(bks) != 1 || bks[0].Status != "completed" {
			return false, fmt.Errorf("backups %+v", bks)
		}
		last = bks[0]
		onProvider := completeOnProvider(t, b, id)
		return len(onProvider) == 1 && onProvider[0] == last.BackupID, fmt.Errorf("on the provider: %v", onProvider)
	})
	dirs, err := os.ReadDir(filepath.Join(b.BackupRoot(), "onebox", onebox.TableName+"_"+strconv.Itoa(int(id))))
	if err != nil || len(dirs) != 1 {
		t.Fatalf("table backup dir holds %d entries (%v), want 1", len(dirs), err)
	}

	// Disabled: even once the next backup is due, none starts. The wait is
	// two intervals past the last start, plus the meta's poll.
	time.Sleep(time.Until(time.UnixMilli(last.StartTimeMs).Add(11 * time.Second)))
	if bks := policyBackups(t, c, "every5s"); len(bks) != 1 || bks[0].BackupID != last.BackupID {
		t.Fatalf("a disabled policy made backups: %+v", bks)
	}

	out = shell(t, b, "ls_backup_policy")
	for _, want := range []string{"[every5s]", "local_service", "5s", fmt.Sprintf("{%d}", id), "disabled"} {
		if !strings.Contains(out, want) {
			t.Fatalf("ls_backup_policy lacks %q:\n%s", want, out)
		}
	}
	var q map[string]map[string]any
	if err := json.Unmarshal([]byte(shell(t, b, "query_backup_policy -p every5s -j")), &q); err != nil {
		t.Fatal(err)
	}
	if q["every5s"]["status"] != "disabled" || q["every5s"]["backup_history_count"] != "1" {
		t.Fatalf("query_backup_policy policy: %v", q["every5s"])
	}
	info := q["every5s_backup_info"]
	if row, ok := info[strconv.FormatInt(last.BackupID, 10)].(map[string]any); len(info) != 1 || !ok || row["status"] != "completed" {
		t.Fatalf("query_backup_policy backups: %v", info)
	}

	// Enabled again, the overdue policy backs up at once.
	out = shell(t, b, "enable_backup_policy -p every5s")
	if !strings.Contains(out, "enable policy result: ERR_OK") {
		t.Fatalf("enable_backup_policy: %q", out)
	}
	waitFor(t, 20*time.Second, "a backup after enabling", func() (bool, error) {
		bks := policyBackups(t, c, "every5s")
		return len(bks) > 0 && bks[0].BackupID > last.BackupID, nil
	})
	shell(t, b, "disable_backup_policy -p every5s -f")
}
