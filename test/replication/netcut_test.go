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
// the meta server, or from its peers, while the rest of the network still
// reaches it. replica1 runs in a network namespace of its own, replica2
// and replica3 share a second one and the meta server has a third; the
// test stays in the host's namespace. A bridge in the host's namespace
// joins them, each namespace by a veth pair: one link-layer segment, so
// that no forwarding needs switching on. Every process's packets leave
// from its own namespace's address, so a cut can name whom it separates.
// Addresses come from 198.18.0.0/15, the range set aside for tests, so
// they meet no real network.
//
// A cut is a blackhole route inside replica1's namespace: its packets to
// the cut-off address vanish, so no connection in either direction
// completes or goes on (beacons, config syncs and proposals with the meta
// server, or prepares, group checks and learning with the peers), and
// nothing else changes.
type cutNet struct {
	ns, peersNS, metaNS string

	// Meta is the meta server's IP, Host the test's, Isolated replica1's
	// and Peers replica2's and replica3's.
	Meta, Host, Isolated, Peers string
}

const cutPrefix = "198.18.57."

// newCutNet builds the namespaces, the bridge and the veth pairs; they are
// removed when the test ends. It skips the test where network namespaces
// cannot be made (not root, or no iproute2).
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
	pid := strconv.Itoa(os.Getpid())
	n := &cutNet{
		ns:       cutNSPrefix + pid,
		peersNS:  cutNSPrefix + pid + peersNSSuffix,
		metaNS:   cutNSPrefix + pid + metaNSSuffix,
		Meta:     cutPrefix + "5",
		Host:     cutPrefix + "1",
		Isolated: cutPrefix + "2",
		Peers:    cutPrefix + "3",
	}
	bridge, ends := cutLinks(pid)
	links := append(ends[:], bridge)
	namespaces := []string{n.ns, n.peersNS, n.metaNS}
	addrs := []string{n.Isolated, n.Peers, n.Meta}
	var made []string // the namespaces made so far, removed at the end
	t.Cleanup(func() {
		for _, ns := range made {
			if err := ipRun("netns", "del", ns); err != nil {
				t.Errorf("remove the network namespace %s: %v", ns, err)
			}
		}
		// A pair goes with its end in a namespace, unless a process still
		// holds the namespace; deleting the host's end deletes both.
		for _, l := range links {
			if err := removeLink(l); err != nil {
				t.Errorf("remove link %s: %v", l, err)
			}
		}
	})
	for _, ns := range namespaces {
		if err := ipRun("netns", "add", ns); err != nil {
			return nil, fmt.Sprintf("cannot make a network namespace here: %v", err)
		}
		made = append(made, ns)
	}
	steps := [][]string{
		{"link", "add", bridge, "type", "bridge"},
		{"addr", "add", n.Host + "/24", "dev", bridge},
		{"link", "set", bridge, "up"},
	}
	for i, end := range ends {
		ns, inner := namespaces[i], end+"i"
		steps = append(steps,
			[]string{"link", "add", end, "type", "veth", "peer", "name", inner},
			[]string{"link", "set", end, "master", bridge},
			[]string{"link", "set", end, "up"},
			[]string{"link", "set", inner, "netns", ns},
			[]string{"-n", ns, "addr", "add", addrs[i] + "/24", "dev", inner},
			[]string{"-n", ns, "link", "set", inner, "up"},
			[]string{"-n", ns, "link", "set", "lo", "up"},
		)
	}
	for _, s := range steps {
		if err := ipRun(s...); err != nil {
			t.Fatalf("build the test network: %v", err)
		}
	}
	return n, ""
}

// The names the network's parts get for test process pid: namespaces
// cutNSPrefix+pid, and that plus peersNSSuffix or metaNSSuffix; the host's
// links (names of at most 15 bytes) below.
const (
	cutNSPrefix   = "pegasus-cut-"
	peersNSSuffix = "-peers"
	metaNSSuffix  = "-meta"
)

// cutLinks names the bridge and the host's ends of the veth pairs to
// replica1's, the peers' and the meta server's namespaces, in that order.
func cutLinks(pid string) (bridge string, ends [3]string) {
	return "pgc" + pid + "b", [3]string{"pgc" + pid + "a", "pgc" + pid + "p", "pgc" + pid + "m"}
}

// Box is a onebox (not started) on this network: the meta server in its
// namespace on Meta, replica1 in its own on Isolated, replica2 and
// replica3 in theirs on Peers.
func (n *cutNet) Box(t *testing.T) *onebox.Box {
	return &onebox.Box{
		Dir:      filepath.Join(t.TempDir(), "onebox"),
		Binary:   serverBinary,
		Meta:     n.Meta + ":34601",
		Replicas: []string{n.Isolated + ":34801", n.Peers + ":34802", n.Peers + ":34803"},
		NetNS:    map[string]string{"meta1": n.metaNS, "replica1": n.ns, "replica2": n.peersNS, "replica3": n.peersNS},
	}
}

// Cut stops replica1's traffic with the meta server.
func (n *cutNet) Cut() error { return n.blackhole("add", n.Meta) }

// Heal undoes Cut.
func (n *cutNet) Heal() error { return n.blackhole("del", n.Meta) }

// CutPeers stops replica1's traffic with replica2 and replica3.
func (n *cutNet) CutPeers() error { return n.blackhole("add", n.Peers) }

// HealPeers undoes CutPeers.
func (n *cutNet) HealPeers() error { return n.blackhole("del", n.Peers) }

func (n *cutNet) blackhole(op, addr string) error {
	return ipRun("-n", n.ns, "route", op, "blackhole", addr+"/32")
}

// removeLink deletes the host's link name if it is there.
func removeLink(name string) error {
	if ipRun("link", "show", name) != nil {
		return nil
	}
	return ipRun("link", "del", name)
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
		rest, ok := strings.CutPrefix(f[0], cutNSPrefix)
		if !ok {
			continue
		}
		pid, _, _ := strings.Cut(rest, "-")
		if pid != strconv.Itoa(os.Getpid()) && testProcessAlive(pid) {
			other = pid
			continue
		}
		if err := ipRun("netns", "del", f[0]); err != nil {
			t.Logf("stale network namespace %s: %v", f[0], err)
		}
		bridge, ends := cutLinks(pid)
		for _, stale := range append(ends[:], bridge) {
			if err := removeLink(stale); err != nil {
				t.Logf("stale link %s: %v", stale, err)
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
