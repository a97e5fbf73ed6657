package onebox

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/pegasus-go/pegasus/admin"
)

// Processes names the box's processes: meta1, replica1, replica2, ...
func (b *Box) Processes() []string {
	var names []string
	for _, p := range b.processes() {
		names = append(names, p.Name)
	}
	return names
}

func (b *Box) find(name string) (process, error) {
	return b.lookup(func(p process) bool { return p.Name == name }, fmt.Sprintf("process %q", name))
}

// lookup returns the box's process that match selects.
func (b *Box) lookup(match func(process) bool, what string) (process, error) {
	for _, p := range b.processes() {
		if match(p) {
			return p, nil
		}
	}
	return process{}, fmt.Errorf("onebox has no %s", what)
}

// Kill sends sig to one process and waits (up to timeout) until it exited;
// it then forgets the process's pid, so the box counts it as stopped, not
// crashed, until Launch.
func (b *Box) Kill(name string, sig syscall.Signal, timeout time.Duration) error {
	p, err := b.find(name)
	if err != nil {
		return err
	}
	pid, ok := b.pid(p)
	if !ok {
		return fmt.Errorf("%s is not running", name)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("signal %s: %w", name, err)
	}
	if sig == syscall.SIGSTOP || sig == syscall.SIGCONT {
		return nil
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if _, alive := b.pid(p); !alive {
			os.Remove(b.pidFile(p))
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s (pid %d) still running %v after signal %v", name, pid, timeout, sig)
}

// Launch starts one stopped process again and waits until the box serves
// table temp fully.
func (b *Box) Launch(ctx context.Context, name string) error { return b.LaunchAll(ctx, name) }

// LaunchAll starts the named stopped processes again, each before any
// waiting (two replica servers that died together come back together),
// and waits until the box serves table temp fully.
func (b *Box) LaunchAll(ctx context.Context, names ...string) error {
	var started []process
	for _, name := range names {
		p, err := b.find(name)
		if err != nil {
			return err
		}
		if _, ok := b.pid(p); ok {
			return fmt.Errorf("%s is already running", name)
		}
		if err := b.launch(p); err != nil {
			return err
		}
		started = append(started, p)
	}
	for _, p := range started {
		if p.Role == "meta" {
			if err := b.waitListening(ctx, p); err != nil {
				return err
			}
		}
	}
	return b.WaitServed(ctx)
}

// WaitServed waits until every replica server is alive and every partition
// of table temp is served.
func (b *Box) WaitServed(ctx context.Context) error { return b.WaitTableServed(ctx, TableName) }

// WaitTableServed waits until every replica server is alive and every
// partition of table has its primary serving and all its replicas (as many
// as the box has servers for).
func (b *Box) WaitTableServed(ctx context.Context, table string) error {
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	if err := b.waitNodes(ctx, ac); err != nil {
		return err
	}
	return b.waitServed(ctx, ac, table)
}

// MetaServers lists the box's meta addresses (three in HA mode), for
// clients.
func (b *Box) MetaServers() []string { return b.metaAddresses() }

// WaitTable waits until every partition of table has its full group and a
// primary that answers.
func (b *Box) WaitTable(ctx context.Context, table string) error {
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	return b.waitServed(ctx, ac, table)
}

// ProcessAt names the box's process listening on addr (replica2, ...).
func (b *Box) ProcessAt(addr string) (string, error) {
	p, err := b.byAddress(addr)
	return p.Name, err
}
