// Package replication holds the process-level tests of PacificA
// replication (issue 6): a real onebox (one meta server, three replica
// servers, each a pegasus-server process) whose table temp has every
// partition on all three replica servers, driven through the Go client and
// the admin package while replica servers (and in TestChaos the meta
// server) are killed with SIGKILL or frozen with SIGSTOP and restarted,
// and while the whole cluster is restarted. Every acknowledged write is
// read back afterwards, and one test checks a history of reads, writes
// and check-and-sets for linearizability with porcupine.
//
// Each test runs its own onebox on its own loopback address in
// 127.0.0.50–127.0.0.59, so tests never meet each other or a user's onebox;
// the tests that cut a server off from the meta server or from its peers
// (cutoff_test.go, cutback_test.go, cutpeers_test.go, and TestChaos where
// it can) instead run the servers in network namespaces they build
// (netcut_test.go), on addresses in 198.18.57.0/24.
package replication

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/test/testbox"
)

// The loopback host of each test (127.0.0.<host>).
const (
	hostPrimaryKill   = 50
	hostSecondaryKill = 51
	hostWholeRestart  = 52
	hostLinearizable  = 53
)

// serverBinary is built once for the whole package.
var serverBinary string

func TestMain(m *testing.M) {
	testbox.Main(m, []string{"pegasus-server"}, []*string{&serverBinary})
}

// startBox starts a onebox on 127.0.0.<host>, stopped when the test ends
// (also when it fails); its logs are printed on failure.
func startBox(t *testing.T, host int) *onebox.Box {
	t.Helper()
	b := testbox.Loopback(t, serverBinary, fmt.Sprintf("127.0.0.%d", host))
	testbox.Start(t, b, 90*time.Second, nil)
	return b
}

// openTable opens table on b with a client closed when the test ends.
func openTable(t *testing.T, b *onebox.Box, table string) *client.Table {
	t.Helper()
	return testbox.OpenTable(t, b, table)
}

// processOf is the onebox process name (replica1, replica2, ...) of the
// replica server listening on addr; onebox names them in the order of
// Box.Replicas.
func processOf(t *testing.T, b *onebox.Box, addr string) string {
	t.Helper()
	for i, r := range b.Replicas {
		if r == addr {
			return fmt.Sprintf("replica%d", i+1)
		}
	}
	t.Fatalf("%s is not a replica server of the onebox (%v)", addr, b.Replicas)
	return ""
}

// timers are the failure-detection settings the onebox wrote into its
// servers' configuration files.
type timers struct {
	beacon time.Duration // replica server → meta beacon interval
	lease  time.Duration // a primary stops serving this long after its last acknowledged beacon
	grace  time.Duration // the meta declares a replica server dead this long after its last beacon
}

// failoverBound is how long a kill -9 may keep a partition from taking
// writes: the lease and the grace period, which PacificA waits out before
// another replica may become primary, plus a margin for reconfiguration,
// learning and a loaded two-core machine.
func (tm timers) failoverBound() time.Duration { return tm.lease + tm.grace + 15*time.Second }

// readTimers reads the timers from the configuration files the box wrote
// (<Dir>/meta1/config.toml, <Dir>/replica1/config.toml), so the bound
// follows the onebox's settings instead of repeating them.
func readTimers(t *testing.T, b *onebox.Box) timers {
	t.Helper()
	var meta struct {
		Meta struct {
			FDGrace string `toml:"fd_grace"`
		} `toml:"meta"`
	}
	var replica struct {
		Replica struct {
			Beacon string `toml:"beacon_interval"`
			Lease  string `toml:"lease_timeout"`
		} `toml:"replica"`
	}
	decode := func(name string, v any) {
		path := filepath.Join(b.Dir, name, "config.toml")
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read the onebox's configuration: %v", err)
		}
		if _, err := toml.Decode(string(raw), v); err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
	}
	decode("meta1", &meta)
	decode("replica1", &replica)
	parse := func(what, s string) time.Duration {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("the onebox's %s is %q: %v", what, s, err)
		}
		return d
	}
	return timers{
		beacon: parse("beacon_interval", replica.Replica.Beacon),
		lease:  parse("lease_timeout", replica.Replica.Lease),
		grace:  parse("fd_grace", meta.Meta.FDGrace),
	}
}
