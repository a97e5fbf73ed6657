package replication

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pegasus-go/pegasus/admin/onebox"
)

// cutNet is a network the test builds to separate one replica server from
// the meta server while it still reaches its peers and clients: the
// server runs in a network namespace of its own, joined to the host's by
// a veth pair. The other servers and the test stay in the host's
// namespace, on the pair's host end. Addresses come from 198.18.0.0/15,
// the range set aside for tests, so they meet no real network.
//
// Cut adds a blackhole route to the meta server's address inside the
// namespace: the server's packets to the meta server vanish (beacons,
// config syncs, its answers to the meta's proposals), and nothing else
// changes.
type cutNet struct {
	ns, hostIf string

	// Meta is the meta server's IP, Host the other replica servers' and
	// the test's, Isolated the namespaced server's.
	Meta, Host, Isolated string
}

const cutPrefix = "198.18.57."

// newCutNet builds the namespace and the veth pair; they are removed when
// the test ends. It skips the test where network namespaces cannot be
// made (not root, or no iproute2).
func newCutNet(t *testing.T) *cutNet {
	t.Helper()
	n, why := buildCutNet(t)
	if n == nil {
		t.Skip("SKIPPED: " + why)
	}
	return n
}

// buildCutNet is newCutNet for tests that can do without: it returns nil
// and the reason where network namespaces cannot be made.
func buildCutNet(t *testing.T) (*cutNet, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil, "building a network namespace needs root"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, "no ip command (Debian package iproute2)"
	}
	if other := removeStaleCutNets(t); other != "" {
		return nil, fmt.Sprintf("test process %s holds the cut network's addresses", other)
	}
	pid := os.Getpid()
	n := &cutNet{
		ns:       fmt.Sprintf("pegasus-cut-%d", pid),
		hostIf:   fmt.Sprintf("pgc%dh", pid),
		Meta:     cutPrefix + "5",
		Host:     cutPrefix + "1",
		Isolated: cutPrefix + "2",
	}
	nsIf := fmt.Sprintf("pgc%dn", pid)
	if err := ipRun("netns", "add", n.ns); err != nil {
		return nil, fmt.Sprintf("cannot make a network namespace here: %v", err)
	}
	t.Cleanup(func() {
		if err := ipRun("netns", "del", n.ns); err != nil {
			t.Errorf("remove the network namespace: %v", err)
		}
		// The pair goes with its end in the namespace, unless a process
		// still holds the namespace; deleting the host's end deletes both.
		if ipRun("link", "show", n.hostIf) == nil {
			if err := ipRun("link", "del", n.hostIf); err != nil {
				t.Errorf("remove the veth pair: %v", err)
			}
		}
	})
	steps := [][]string{
		{"link", "add", n.hostIf, "type", "veth", "peer", "name", nsIf},
		{"link", "set", nsIf, "netns", n.ns},
		{"addr", "add", n.Host + "/24", "dev", n.hostIf},
		{"addr", "add", n.Meta + "/32", "dev", n.hostIf},
		{"link", "set", n.hostIf, "up"},
		{"-n", n.ns, "addr", "add", n.Isolated + "/24", "dev", nsIf},
		{"-n", n.ns, "link", "set", nsIf, "up"},
		{"-n", n.ns, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if err := ipRun(s...); err != nil {
			t.Fatalf("build the test network: %v", err)
		}
	}
	return n, ""
}

// Box is a onebox (not started) on this network: the meta server on
// Meta, replica1 in the namespace on Isolated, replica2 and replica3 on
// Host.
func (n *cutNet) Box(t *testing.T) *onebox.Box {
	return &onebox.Box{
		Dir:      filepath.Join(t.TempDir(), "onebox"),
		Binary:   serverBinary,
		Meta:     n.Meta + ":34601",
		Replicas: []string{n.Isolated + ":34801", n.Host + ":34802", n.Host + ":34803"},
		NetNS:    map[string]string{"replica1": n.ns},
	}
}

// Cut stops the namespaced server's traffic to and from the meta server.
func (n *cutNet) Cut() error {
	return ipRun("-n", n.ns, "route", "add", "blackhole", n.Meta+"/32")
}

// Heal undoes Cut.
func (n *cutNet) Heal() error {
	return ipRun("-n", n.ns, "route", "del", "blackhole", n.Meta+"/32")
}

func ipRun(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// removeStaleCutNets deletes the namespaces and veth pairs that an earlier
// test process left behind (killed before its cleanup ran), or an earlier
// test of this one whose cleanup failed: they would hold the same
// addresses. It returns the pid of a running test process
// whose network is still up, if there is one ("" if not).
func removeStaleCutNets(t *testing.T) (other string) {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		pid, ok := strings.CutPrefix(f[0], "pegasus-cut-")
		if !ok {
			continue
		}
		if pid != strconv.Itoa(os.Getpid()) && testProcessAlive(pid) {
			other = pid
			continue
		}
		if err := ipRun("netns", "del", f[0]); err != nil {
			t.Logf("stale network namespace %s: %v", f[0], err)
		}
		if stale := "pgc" + pid + "h"; ipRun("link", "show", stale) == nil {
			if err := ipRun("link", "del", stale); err != nil {
				t.Logf("stale veth pair %s: %v", stale, err)
			}
		}
	}
	return other
}

// testProcessAlive reports whether pid is a running Go test binary (its
// command is a *.test file), not a process that took over a dead one's pid.
func testProcessAlive(pid string) bool {
	n, err := strconv.Atoi(pid)
	if err != nil {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", n))
	if err != nil {
		return false
	}
	cmd, _, _ := strings.Cut(string(cmdline), "\x00")
	return strings.HasSuffix(cmd, ".test")
}
