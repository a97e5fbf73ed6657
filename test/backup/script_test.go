package backup

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pegasus-go/pegasus/admin/onebox"
)

const hostCron = 63

// runScript runs scripts/pegasus-backup as cron would: no terminal, no
// HOME, standard input from /dev/null, a bare PATH.
func runScript(t *testing.T, args ...string) (string, int) {
	t.Helper()
	script, err := filepath.Abs("../../scripts/pegasus-backup")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script, args...)
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	cmd.Stdin = nil // /dev/null
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", script, err)
	}
	return string(out), code
}

// TestCronScript: two runs keep one complete backup (retention), a table
// that does not exist fails the run with a non-zero exit and a log line,
// and bad arguments are a usage error (exit 2).
func TestCronScript(t *testing.T) {
	b := startBox(t, hostCron)
	c := adminClient(t, b)
	id := appID(t, c, onebox.TableName)
	logFile := filepath.Join(t.TempDir(), "backup.log")
	args := []string{"-m", b.MetaServers()[0], "-t", onebox.TableName, "--keep", "1", "--root", b.BackupRoot(),
		"--cluster", "onebox", "--shell", shellBinary, "--log", logFile}
	for run := 1; run <= 2; run++ {
		out, code := runScript(t, args...)
		if code != 0 || !strings.Contains(out, "table=temp status=ok backup_id=") {
			t.Fatalf("run %d: exit %d\n%s", run, code, out)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(b.BackupRoot(), "onebox", onebox.TableName+"_"+strconv.Itoa(int(id)), "*", "backup_info.json"))
	if len(dirs) != 1 {
		t.Fatalf("after two runs with --keep 1: %d complete backups %v", len(dirs), dirs)
	}
	logged, _ := os.ReadFile(logFile)
	if n := strings.Count(string(logged), "status=ok"); n != 2 || !strings.Contains(string(logged), "removed=1") {
		t.Fatalf("log file:\n%s", logged)
	}

	out, code := runScript(t, "-m", b.MetaServers()[0], "-t", "no_such_table", "--shell", shellBinary)
	if code != 1 || !strings.Contains(out, "table=no_such_table status=failed") {
		t.Fatalf("missing table: exit %d\n%s", code, out)
	}
	out, code = runScript(t, "-m", b.MetaServers()[0], "--all", "--shell", shellBinary)
	if code != 0 || !strings.Contains(out, "table=temp status=ok") {
		t.Fatalf("--all: exit %d\n%s", code, out)
	}
	if out, code = runScript(t, "-t", "temp"); code != 2 {
		t.Fatalf("no -m: exit %d, want 2\n%s", code, out)
	}
}
