package onebox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// Start launches whatever processes of the box are not running, creates the
// table temp if it does not exist, and returns once every partition of it
// is served by its primary.
func (b *Box) Start(ctx context.Context) error {
	if err := os.MkdirAll(b.Dir, 0o755); err != nil {
		return fmt.Errorf("onebox dir: %w", err)
	}
	if err := b.checkMode(); err != nil {
		return err
	}
	if err := b.recordBase(); err != nil {
		return err
	}
	if err := b.startZooKeeper(ctx); err != nil {
		return err
	}
	for _, p := range b.processes() {
		if pid, ok := b.pid(p); ok {
			b.printf("%s already running (pid %d)\n", p.Name, pid)
			continue
		}
		if err := b.launch(p); err != nil {
			return err
		}
		if p.Role == "meta" {
			if err := b.waitListening(ctx, p); err != nil {
				return err
			}
		}
	}
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	if err := b.waitNodes(ctx, ac); err != nil {
		return err
	}
	if _, err := ac.CreateTable(ctx, TableName, TablePartitions, TableReplicas, nil, true); err != nil {
		return fmt.Errorf("create table %s: %w", TableName, err)
	}
	if err := b.waitServed(ctx, ac, TableName); err != nil {
		return err
	}
	b.printf("onebox %s is up: meta %s, replica servers %s, table %s (%d partitions)\n", b.clusterName(),
		strings.Join(b.metaAddresses(), ","), strings.Join(b.replicaAddresses(), " "), TableName, TablePartitions)
	return nil
}

func (b *Box) launch(p process) error {
	if err := os.MkdirAll(b.dir(p), 0o755); err != nil {
		return fmt.Errorf("%s: %w", p.Name, err)
	}
	cfg, err := b.config(p)
	if err != nil {
		return fmt.Errorf("%s: %w", p.Name, err)
	}
	if err := os.WriteFile(b.cfgFile(p), []byte(cfg), 0o644); err != nil {
		return fmt.Errorf("%s: write config: %w", p.Name, err)
	}
	if err := waitPortFree(p.Address, 5*time.Second); err != nil {
		return fmt.Errorf("%s: %w", p.Name, err)
	}
	logf, err := os.OpenFile(b.logFile(p), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("%s: log file: %w", p.Name, err)
	}
	defer logf.Close()
	cmd := exec.Command(b.Binary, p.Role, "-config", b.cfgFile(p))
	if ns := b.NetNS[p.Name]; ns != "" {
		// ip execs the server in place: the pid stays the server's.
		cmd = exec.Command("ip", "netns", "exec", ns, b.Binary, p.Role, "-config", b.cfgFile(p))
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = b.dir(p)
	// Its own session: the server outlives this command and the terminal.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: start: %w", p.Name, err)
	}
	pid := cmd.Process.Pid
	if err := os.WriteFile(b.pidFile(p), []byte(fmt.Sprintf("%d\n", pid)), 0o644); err != nil {
		cmd.Process.Kill()
		return fmt.Errorf("%s: pid file: %w", p.Name, err)
	}
	// Reap it if it exits while we are still here; otherwise it is
	// re-parented when this command ends.
	go cmd.Wait()
	b.printf("started %s (pid %d) on %s, log %s\n", p.Name, pid, p.Address, b.logFile(p))
	return nil
}

// poll runs check every 200ms until it succeeds, ctx ends, or a process of
// the box has died (its log tail is then part of the error).
func (b *Box) poll(ctx context.Context, what string, check func(ctx context.Context) error) error {
	var last error
	for {
		for _, p := range b.processes() {
			if _, err := os.Stat(b.pidFile(p)); err != nil {
				continue // not launched yet
			}
			if _, ok := b.pid(p); !ok {
				return fmt.Errorf("waiting for %s: %s exited; end of %s:\n%s", what, p.Name, b.logFile(p), tail(b.logFile(p), 15))
			}
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		last = check(cctx)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %v)", what, ctx.Err(), last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (b *Box) waitListening(ctx context.Context, p process) error {
	return b.poll(ctx, p.Name+" to listen", func(context.Context) error {
		c, err := net.DialTimeout("tcp", p.Address, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
}

func (b *Box) waitNodes(ctx context.Context, ac *admin.Client) error {
	return b.poll(ctx, "replica servers to register", func(ctx context.Context) error {
		nodes, err := ac.ListNodes(ctx, admintypes.NodeStatus_NS_ALIVE)
		if err != nil {
			return err
		}
		if len(nodes) < len(b.replicaAddresses()) {
			return fmt.Errorf("%d of %d replica servers alive", len(nodes), len(b.replicaAddresses()))
		}
		return nil
	})
}

// waitServed waits until every partition has its full replica group (as
// many as the table asks for and the box has servers) and a primary that
// answers a read.
func (b *Box) waitServed(ctx context.Context, ac *admin.Client, table string) error {
	return b.poll(ctx, "every partition of "+table+" to be served", func(ctx context.Context) error {
		cfg, err := ac.QueryConfig(ctx, table)
		if err != nil {
			return err
		}
		for _, pc := range cfg.Partitions {
			if pc.Primary == nil || pc.Primary.IsZero() {
				return fmt.Errorf("partition %d has no primary yet", pc.Pid.PartitionIndex)
			}
			want := min(int(pc.MaxReplicaCount), len(b.replicaAddresses()))
			if have := 1 + len(pc.Secondaries); have < want {
				return fmt.Errorf("partition %d has %d of %d replicas", pc.Pid.PartitionIndex, have, want)
			}
			if err := probe(ctx, pc.Primary.String(), cfg.AppID, pc.Pid.PartitionIndex); err != nil {
				return fmt.Errorf("partition %d: %w", pc.Pid.PartitionIndex, err)
			}
		}
		return nil
	})
}

// probe reads a key from one partition's primary: any storage answer (found
// or not) means the partition is served.
func probe(ctx context.Context, addr string, appID, pidx int32) error {
	c, err := rpc.Dial(ctx, addr, rpc.ConnOptions{})
	if err != nil {
		return err
	}
	defer c.Close()
	args := &rrdb.RrdbGetArgs{Key: base.NewBlob([]byte{0, 0})}
	// The hash names the partition itself, so a replica that checks
	// partition hashes (after a split) accepts the probe.
	err = c.Call(ctx, wire.Header{AppID: appID, PartitionIndex: pidx, PartitionHash: uint64(pidx)}, catalog.RPC_RRDB_RRDB_GET, args, rrdb.NewRrdbGetResult())
	var re *rpc.RemoteError
	if errors.As(err, &re) {
		return fmt.Errorf("%s answers %s", addr, re.Errno)
	}
	return err
}

// waitPortFree waits until nothing accepts connections on addr: a process
// just killed may hold its socket for a moment after its pid is gone.
func waitPortFree(addr string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return nil
		}
		c.Close()
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is already in use by another process", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
