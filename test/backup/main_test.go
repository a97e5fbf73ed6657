// Package backup holds the process-level tests of cold backup and restore
// (issue 8): a real onebox whose meta server has a local_service root,
// data written through the Go client, backed up, changed, and restored
// into a new table that must equal the data at backup time; a corrupted
// backup file that verify and restore must both report; the cron
// script run without a terminal; and a backup policy run by the meta.
//
// Tests use their own loopback addresses in 127.0.0.60–127.0.0.69.
package backup

import (
	"fmt"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/test/testbox"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

const (
	hostRoundTrip = 60
	hostCorrupt   = 61
	hostScript    = 62
)

var serverBinary, shellBinary string

func TestMain(m *testing.M) {
	testbox.Main(m, []string{"pegasus-server", "pegasus-shell"}, []*string{&serverBinary, &shellBinary})
}

func startBox(t *testing.T, host int) *onebox.Box {
	t.Helper()
	b := testbox.Loopback(t, serverBinary, fmt.Sprintf("127.0.0.%d", host))
	testbox.Start(t, b, 90*time.Second, nil)
	return b
}

func adminClient(t *testing.T, b *onebox.Box) *admin.Client {
	t.Helper()
	return testbox.AdminClient(t, b)
}

func openTable(t *testing.T, b *onebox.Box, table string) *client.Table {
	t.Helper()
	return testbox.OpenTable(t, b, table)
}

// appID finds an available table's id.
func appID(t *testing.T, c *admin.Client, name string) int32 {
	t.Helper()
	apps, err := c.ListTables(t.Context(), layer2.AppStatus_AS_AVAILABLE)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		if a.AppName == name {
			return a.AppID
		}
	}
	t.Fatalf("no available table %s", name)
	return 0
}

// waitFor polls cond every 200ms until it holds or limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	testbox.WaitFor(t, limit, 200*time.Millisecond, what, func() (bool, string) {
		ok, err := cond()
		return ok, fmt.Sprint("last error: ", err)
	})
}

// backupTable runs a backup of table and waits for it to complete.
func backupTable(t *testing.T, c *admin.Client, id int32) int64 {
	t.Helper()
	backupID, err := c.StartBackup(t.Context(), id, "local_service", "")
	if err != nil {
		t.Fatalf("start backup: %v", err)
	}
	waitFor(t, 90*time.Second, "backup completes", func() (bool, error) {
		st, err := c.QueryBackups(t.Context(), id, backupID)
		if err != nil || len(st) != 1 {
			return false, err
		}
		if st[0].IsBackupFailed {
			t.Fatalf("backup %d failed: %s", backupID, st[0].Hint)
		}
		return st[0].Done(), nil
	})
	return backupID
}
