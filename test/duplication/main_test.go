// Package duplication holds the process-level tests of cross-cluster
// duplication (issue 12, docs/duplication.md): two real oneboxes per test
// — cluster onebox (A, duplication id 1) on ports 34xxx and onebox2 (B,
// id 2) on 35xxx of one loopback address — each naming both clusters in
// its [duplication] section. Data goes in through the Go client, the
// duplications are driven through pegasus-shell, and the tables of both
// clusters are compared by full scans (keys, values and TTLs).
//
// Tests use their own loopback addresses in 127.0.0.100–127.0.0.109, one
// pair per test; every process is stopped when a test ends, also when it
// fails.
package duplication

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/test/testbox"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
)

var serverBinary, shellBinary string

func TestMain(m *testing.M) {
	testbox.Main(m, []string{"pegasus-server", "pegasus-shell"}, []*string{&serverBinary, &shellBinary})
}

// Loopback hosts, one per test.
const (
	hostCheckpoint   = 100
	hostMasterMaster = 101
	hostPause        = 102
	hostLogGC        = 103
)

// pair is two running oneboxes that know each other.
type pair struct {
	a, b   *onebox.Box
	ac, bc *admin.Client
}

// startPair starts both clusters on 127.0.0.<host> at once and stops them
// when the test ends; segment, when positive, is A's mutation log
// segment size; each of tune, if any, adjusts both boxes before they
// start.
func startPair(t *testing.T, host int, segment int64, tune ...func(*onebox.Box)) pair {
	t.Helper()
	ip := fmt.Sprintf("127.0.0.%d", host)
	a, b := testbox.DupPair(t, serverBinary, ip)
	a.LogSegmentBytes = segment
	boxes := []*onebox.Box{a, b}
	for _, f := range tune {
		for _, box := range boxes {
			f(box)
		}
	}
	for _, box := range boxes {
		t.Cleanup(func() {
			if err := box.Stop(10 * time.Second); err != nil {
				t.Errorf("stop %s: %v", box.Dir, err)
			}
			if t.Failed() {
				for _, name := range box.Processes() {
					testbox.LogTail(t, box.ClusterName+"/"+name, box.Dir+"/"+name+"/server.log")
				}
			}
		})
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, box := range boxes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			errs[i] = box.Start(ctx)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("start the pair on %s: %v", ip, err)
	}
	p := pair{a: a, b: b, ac: admin.New(a.MetaServers()), bc: admin.New(b.MetaServers())}
	t.Cleanup(p.ac.Close)
	t.Cleanup(p.bc.Close)
	return p
}

// createTable creates table on box and waits until it is served.
func createTable(t *testing.T, box *onebox.Box, c *admin.Client, table string, partitions int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if _, err := c.CreateTable(ctx, table, partitions, 3, nil, true); err != nil {
		t.Fatalf("create %s on %s: %v", table, box.ClusterName, err)
	}
	if err := box.WaitTable(ctx, table); err != nil {
		t.Fatalf("%s on %s: %v", table, box.ClusterName, err)
	}
}

// shell runs one pegasus-shell command against box and returns its
// standard output; a non-zero exit fails the test.
func shell(t *testing.T, box *onebox.Box, command string) string {
	t.Helper()
	out, err := shellRun(box, command)
	if err != nil {
		t.Fatalf("%s on %s: %v\n%s", command, box.ClusterName, err, out)
	}
	return out
}

func shellRun(box *onebox.Box, command string) (string, error) {
	cmd := exec.Command(shellBinary, "-m", strings.Join(box.MetaServers(), ","), "-e", command)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out) + stderr.String(), err
	}
	return string(out), nil
}

// addDup adds a duplication of table from box to remote through the
// shell and returns its dupid.
func addDup(t *testing.T, box *onebox.Box, table, remote string, checkpoint bool) int32 {
	t.Helper()
	cmd := fmt.Sprintf("add_dup %s %s --json", table, remote)
	if checkpoint {
		cmd += " -s"
	}
	var res struct {
		DupID  int32  `json:"dupid"`
		Result string `json:"result"`
	}
	out := shell(t, box, cmd)
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Result != "ERR_OK" || res.DupID <= 0 {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	return res.DupID
}

// dupState is query_dup --json of one table.
type dupState struct {
	AppID        int32 `json:"appid"`
	Duplications []struct {
		DupID      int32  `json:"dupid"`
		Status     string `json:"status"`
		Remote     string `json:"remote"`
		Partitions []struct {
			Partition     int32  `json:"partition_id"`
			Confirmed     int64  `json:"confirmed_decree"`
			LastCommitted int64  `json:"last_committed_decree"`
			Gap           int64  `json:"decree_gap"`
			LagMs         *int64 `json:"lag_ms"`
		} `json:"partitions"`
	} `json:"duplications"`
}

func queryDup(t *testing.T, box *onebox.Box, table string) dupState {
	t.Helper()
	var st dupState
	out := shell(t, box, "query_dup "+table+" --json")
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("query_dup %s: %v\n%s", table, err, out)
	}
	return st
}

// progress is one duplication's confirmed and last committed decrees by
// partition, from the admin API.
type progress map[int32]admin.DupProgress

func dupProgress(t *testing.T, c *admin.Client, table string, dupid int32) (admintypes.DuplicationStatus, progress) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, entries, err := c.QueryDuplication(ctx, table)
	if err != nil {
		t.Fatalf("query duplication of %s: %v", table, err)
	}
	for _, e := range entries {
		if e.Dupid == dupid {
			out := progress{}
			for _, p := range admin.Progress(e) {
				out[p.Partition] = p
			}
			return e.Status, out
		}
	}
	t.Fatalf("duplication %d of %s is gone", dupid, table)
	return 0, nil
}

// caughtUp reports whether every one of n partitions has confirmed all it
// committed.
func (p progress) caughtUp(n int) bool {
	if len(p) < n {
		return false
	}
	for _, q := range p {
		if q.Gap() != 0 {
			return false
		}
	}
	return true
}

func (p progress) String() string {
	var b strings.Builder
	for i := int32(0); i < int32(len(p)); i++ {
		q := p[i]
		fmt.Fprintf(&b, "p%d %d/%d ", i, q.Confirmed, q.LastCommitted)
	}
	return b.String()
}

// waitFor polls cond every 300ms until it holds or limit passes (a bound
// on a wait, not a speed requirement).
func waitFor(t *testing.T, limit time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	testbox.WaitFor(t, limit, 300*time.Millisecond, what, cond)
}

// openTable opens table on box with a client closed when the test ends.
func openTable(t *testing.T, box *onebox.Box, table string) *client.Table {
	t.Helper()
	return testbox.OpenTable(t, box, table)
}
