package onebox

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Several oneboxes on one machine (docs/duplication.md): each has a name
// and a port base. The default one is "onebox" in ./onebox on ports
// 34601 (meta) and 34801.. (replicas); "onebox2" lives in ./onebox-onebox2
// on 35601 and 35801... Every onebox started from the command line writes
// a [duplication] section naming both standard clusters, so the two can
// duplicate tables to each other out of the box.

// Standard cluster names and duplication ids of the two oneboxes.
const (
	DefaultName = "onebox"
	SecondName  = "onebox2"
	DefaultBase = 34600
	SecondBase  = 35600
	// Offsets of the meta and the first replica server from a port base.
	metaOffset    = 1
	replicaOffset = 201
	portsFile     = "ports"
)

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// DupCluster is one cluster of a duplication group, as written into the
// servers' [duplication.clusters.<name>] sections.
type DupCluster struct {
	ID    int
	Metas []string
}

// DupGroup is the [duplication] section of every server of a box.
type DupGroup struct {
	// Clusters by name; the box's own ClusterName must be among them.
	Clusters map[string]DupCluster
	// SyncInterval of the replica servers' progress reports; 0 = the
	// server's default (10s).
	SyncInterval time.Duration
}

// StandardGroup is the group of the two standard oneboxes, onebox (id 1)
// with its meta on hostA:34601 and onebox2 (id 2) on hostB:35601.
func StandardGroup(hostA, hostB string) *DupGroup {
	return &DupGroup{Clusters: map[string]DupCluster{
		DefaultName: {ID: 1, Metas: []string{net.JoinHostPort(hostA, strconv.Itoa(DefaultBase+metaOffset))}},
		SecondName:  {ID: 2, Metas: []string{net.JoinHostPort(hostB, strconv.Itoa(SecondBase+metaOffset))}},
	}}
}

// ParsePortBase reads a port base: either the hundreds of thousands
// ("35" = 35600) or the base itself ("35600"). The meta server listens on
// base+1, the replica servers on base+201, base+202, ...
func ParsePortBase(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("port base %q: want e.g. 35 or 35600", s)
	}
	if n < 100 {
		n *= 1000
		n += 600
	}
	if n%100 != 0 || n+replicaOffset+10 > 65535 || n < 1024 {
		return 0, fmt.Errorf("port base %q: want a multiple of 100 between 1100 and 65300 (or its thousands, e.g. 35 for 35600)", s)
	}
	return n, nil
}

// NameForBase is the name of a box on port base when none is given:
// onebox (34600), onebox2 (35600), else onebox<thousands> (onebox36).
func NameForBase(base int) string {
	switch base {
	case DefaultBase:
		return DefaultName
	case SecondBase:
		return SecondName
	}
	return DefaultName + strconv.Itoa(base/1000)
}

// Named returns the box called name with its processes on host at port
// base (0: 34600 for onebox, 35600 for onebox2, else the base recorded in
// dir by an earlier start). dir "" is ./onebox for onebox and
// ./onebox-<name> otherwise.
func Named(name, host string, base int, dir string) (*Box, error) {
	if name == "" {
		name = DefaultName
	}
	if !validName.MatchString(name) {
		return nil, fmt.Errorf("onebox name %q: want letters, digits, '_' or '-' (at most 64)", name)
	}
	if dir == "" {
		dir = DefaultName
		if name != DefaultName {
			dir = DefaultName + "-" + name
		}
	}
	if base == 0 {
		base = recordedBase(dir)
	}
	if base == 0 {
		switch name {
		case DefaultName:
			base = DefaultBase
		case SecondName:
			base = SecondBase
		default:
			return nil, fmt.Errorf("onebox %q: give --port-base (e.g. 36 for meta 36601, replicas 36801..)", name)
		}
	}
	b := &Box{Dir: dir, ClusterName: name}
	b.setPorts(host, base)
	return b, nil
}

// setPorts places the box's servers on host at port base.
func (b *Box) setPorts(host string, base int) {
	b.Meta = net.JoinHostPort(host, strconv.Itoa(base+metaOffset))
	b.Replicas = nil
	for i := range 3 {
		b.Replicas = append(b.Replicas, net.JoinHostPort(host, strconv.Itoa(base+replicaOffset+i)))
	}
	b.portBase = base
}

// recordedBase is the port base a start recorded in dir, 0 if none.
func recordedBase(dir string) int {
	raw, err := os.ReadFile(filepath.Join(dir, portsFile))
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return 0
	}
	return n
}

// recordBase remembers the box's port base in its directory, so that
// stop, status and clear of the directory find its servers.
func (b *Box) recordBase() error {
	if b.portBase == 0 {
		return nil
	}
	if old := recordedBase(b.Dir); old != 0 && old != b.portBase {
		return fmt.Errorf("onebox in %s runs on port base %d, not %d; `onebox clear` it first", b.Dir, old, b.portBase)
	}
	return os.WriteFile(filepath.Join(b.Dir, portsFile), []byte(strconv.Itoa(b.portBase)+"\n"), 0o644)
}

// clusterName is the box's cluster name, "onebox" unless set.
func (b *Box) clusterName() string {
	if b.ClusterName != "" {
		return b.ClusterName
	}
	return DefaultName
}

// withSelf returns the group with the box itself in it: a box whose name
// is not in the group joins it with the id of its port base's thousands
// (36 for 36600), its own meta servers.
func (b *Box) withSelf() (map[string]DupCluster, error) {
	out := map[string]DupCluster{}
	for n, c := range b.Dup.Clusters {
		out[n] = c
	}
	name := b.clusterName()
	if _, ok := out[name]; ok {
		return out, nil
	}
	_, portText, err := net.SplitHostPort(b.metaAddress())
	port, perr := strconv.Atoi(portText)
	if err != nil || perr != nil {
		return nil, fmt.Errorf("onebox %s: meta address %q", name, b.metaAddress())
	}
	id := port / 1000
	for n, c := range out {
		if c.ID == id || id < 1 || id > 127 {
			return nil, fmt.Errorf("onebox %s: duplication id %d (from port %d) is taken by %s or out of 1..127", name, id, port, n)
		}
	}
	out[name] = DupCluster{ID: id, Metas: b.metaAddresses()}
	return out, nil
}

// dupConfig is the [duplication] section of every server of the box, ""
// when the box has no group.
func (b *Box) dupConfig() (string, error) {
	if b.Dup == nil {
		return "", nil
	}
	clusters, err := b.withSelf()
	if err != nil {
		return "", err
	}
	var s strings.Builder
	fmt.Fprintf(&s, "\n[duplication]\ncluster_name = %q\n", b.clusterName())
	if b.Dup.SyncInterval > 0 {
		fmt.Fprintf(&s, "sync_interval = %q\n", b.Dup.SyncInterval.String())
	}
	names := make([]string, 0, len(clusters))
	for n := range clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := clusters[n]
		fmt.Fprintf(&s, "\n[duplication.clusters.%s]\nid = %d\nmetas = %s\n", n, c.ID, tomlList(c.Metas))
	}
	return s.String(), nil
}
