package onebox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pegasus-go/pegasus/server/metastore/zkserver"
)

// The HA onebox (Box.HA, `pegasus-server onebox start --ha`) runs a
// ZooKeeper server on 127.0.0.1:22181 (upstream's onebox port) and three
// meta servers on 34601, 34602 and 34603 that keep the state in ZooKeeper
// and elect their leader there, plus the usual replica servers. Its
// ZooKeeper data lives under <Dir>/zookeeper; a marker file remembers the
// mode, so stop, status and clear of a directory act on all of it.

// Default HA layout.
const (
	ZooKeeperAddress = "127.0.0.1:22181"
	// ZooKeeperRoot is the znode under which the HA onebox's state lives.
	ZooKeeperRoot = "/pegasus/onebox"
	// ZooKeeperSessionTimeout is the meta servers' session timeout: short,
	// so that a killed leader is replaced well within the replica
	// servers' lease (12s in HA mode), yet long enough for a loaded laptop.
	ZooKeeperSessionTimeout = 4 * time.Second
	haMetaCount             = 3
	haMarker                = "ha"
)

// IsHA reports whether the onebox in dir was started in HA mode.
func IsHA(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, haMarker))
	return err == nil
}

// metaAddresses lists the meta servers: one, or three in HA mode (on the
// first one's host, ports 34601..34603, unless Metas says otherwise).
func (b *Box) metaAddresses() []string {
	if !b.HA {
		return []string{b.metaAddress()}
	}
	if len(b.Metas) > 0 {
		return b.Metas
	}
	host, portText, err := net.SplitHostPort(b.metaAddress())
	port, perr := strconv.Atoi(portText)
	if err != nil || perr != nil {
		return []string{b.metaAddress()}
	}
	out := make([]string, haMetaCount)
	for i := range out {
		out[i] = net.JoinHostPort(host, strconv.Itoa(port+i))
	}
	return out
}

// zooKeeperAddress is the HA box's ZooKeeper: ZooKeeper if set, else port
// 22181 on the meta servers' host.
func (b *Box) zooKeeperAddress() string {
	if b.ZooKeeper != "" {
		return b.ZooKeeper
	}
	host, _, err := net.SplitHostPort(b.metaAddress())
	if err != nil {
		return ZooKeeperAddress
	}
	return net.JoinHostPort(host, "22181")
}

func (b *Box) zooKeeperDir() string { return filepath.Join(b.Dir, "zookeeper") }

// tomlList writes addrs as a TOML array of strings.
func tomlList(addrs []string) string {
	q := make([]string, len(addrs))
	for i, a := range addrs {
		q[i] = strconv.Quote(a)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// lease and grace are the replica servers' lease and the meta servers'
// grace period. In HA mode a meta failover takes the session timeout plus
// the time replica servers need to find the new leader (a few beacons);
// the lease covers both, so that primaries keep serving through it.
func (b *Box) lease() string {
	if b.HA {
		return "12s"
	}
	return "8s"
}

func (b *Box) grace() string {
	if b.Grace > 0 {
		return b.Grace.String()
	}
	if b.HA {
		return "15s"
	}
	return "10s"
}

// haMetaConfig is the [meta.zookeeper] section of an HA meta server.
func (b *Box) haMetaConfig() string {
	if !b.HA {
		return ""
	}
	return fmt.Sprintf(`
[meta.zookeeper]
servers = [%q]
session_timeout = %q
root = %q
`, b.zooKeeperAddress(), ZooKeeperSessionTimeout.String(), ZooKeeperRoot)
}

// checkMode refuses to turn a onebox of one mode into the other, which
// would lose its tables; an HA directory started without HA is taken as
// HA.
func (b *Box) checkMode() error {
	if IsHA(b.Dir) {
		b.HA = true
		return nil
	}
	if !b.HA {
		return nil
	}
	if _, err := os.Stat(filepath.Join(b.Dir, "meta1")); err == nil {
		return fmt.Errorf("the onebox in %s runs on the embedded store; `onebox clear` it before starting it with --ha", b.Dir)
	}
	if err := os.MkdirAll(b.Dir, 0o755); err != nil {
		return fmt.Errorf("onebox dir: %w", err)
	}
	return os.WriteFile(filepath.Join(b.Dir, haMarker), []byte("meta servers keep their state in ZooKeeper\n"), 0o644)
}

// startZooKeeper starts the HA box's ZooKeeper unless it runs already.
func (b *Box) startZooKeeper(ctx context.Context) error {
	if !b.HA {
		return nil
	}
	dir := b.zooKeeperDir()
	if pid, ok := zkserver.Running(dir); ok {
		b.printf("zookeeper already running (pid %d)\n", pid)
		return nil
	}
	pid, err := zkserver.Start(ctx, zkserver.Config{Dir: dir, Address: b.zooKeeperAddress()})
	if err != nil {
		return fmt.Errorf("start zookeeper: %w", err)
	}
	b.printf("started zookeeper (pid %d) on %s, log %s\n", pid, b.zooKeeperAddress(), zkserver.LogFile(dir))
	return nil
}

// stopZooKeeper stops the box's ZooKeeper, if one runs.
func (b *Box) stopZooKeeper(timeout time.Duration) error {
	dir := b.zooKeeperDir()
	pid, ok := zkserver.Running(dir)
	if !ok {
		return nil
	}
	if err := zkserver.Stop(dir, timeout); err != nil {
		return err
	}
	b.printf("stopped zookeeper (pid %d)\n", pid)
	return nil
}

// KillZooKeeper ends the HA box's ZooKeeper with SIGKILL, as a crash
// would; StartZooKeeper brings it back on the same data.
func (b *Box) KillZooKeeper() error {
	if _, ok := zkserver.Running(b.zooKeeperDir()); !ok {
		return errors.New("zookeeper is not running")
	}
	return zkserver.Kill(b.zooKeeperDir())
}

// StartZooKeeper starts the HA box's ZooKeeper again after KillZooKeeper.
func (b *Box) StartZooKeeper(ctx context.Context) error { return b.startZooKeeper(ctx) }

// ZooKeeperAddress is the HA box's ZooKeeper address.
func (b *Box) ZooKeeperAddress() string { return b.zooKeeperAddress() }

// zooKeeperStatus is the status line of the box's ZooKeeper.
func (b *Box) zooKeeperStatus() (line string, up bool) {
	pid, ok := zkserver.Running(b.zooKeeperDir())
	if !ok {
		return fmt.Sprintf("%-10s %-8s %-17s %s\n", "zookeeper", "-", b.zooKeeperAddress(), "stopped"), false
	}
	return fmt.Sprintf("%-10s %-8d %-17s %s\n", "zookeeper", pid, b.zooKeeperAddress(), "running"), true
}
