package onebox

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A onebox grows and shrinks: AddReplica starts one more replica server on
// the next port (34804, 34805, ...) and records it in <dir>/replicas.added,
// so that stop, start and status include it; StopReplica stops a replica
// server by port, and forgets it if it was an added one (its data stays
// under its directory until clear).

const addedFile = "replicas.added"

// addedReplicas lists the replica servers added to the box, in order.
func (b *Box) addedReplicas() []string {
	data, err := os.ReadFile(filepath.Join(b.Dir, addedFile))
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (b *Box) writeAdded(addrs []string) error {
	path := filepath.Join(b.Dir, addedFile)
	if len(addrs) == 0 {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	return os.WriteFile(path, []byte(strings.Join(addrs, "\n")+"\n"), 0o644)
}

// AddReplica starts one more replica server on the port after the highest
// one in the box, and returns its address once the meta server counts it
// alive. The balancer (at meta level lively) then moves replicas to it.
func (b *Box) AddReplica(ctx context.Context) (string, error) {
	if err := os.MkdirAll(b.Dir, 0o755); err != nil {
		return "", err
	}
	all := b.replicaAddresses()
	last, err := netip.ParseAddrPort(all[len(all)-1])
	if err != nil {
		return "", fmt.Errorf("onebox: replica address %q: %w", all[len(all)-1], err)
	}
	next := netip.AddrPortFrom(last.Addr(), last.Port()+1).String()
	if err := b.writeAdded(append(b.addedReplicas(), next)); err != nil {
		return "", fmt.Errorf("onebox: record the new replica server: %w", err)
	}
	p, err := b.byAddress(next)
	if err != nil {
		return "", err
	}
	if err := waitPortFree(p.Address, 5*time.Second); err != nil {
		return "", err
	}
	if err := b.launch(p); err != nil {
		return "", err
	}
	if err := b.waitListening(ctx, p); err != nil {
		return "", err
	}
	b.printf("added %s on %s\n", p.Name, p.Address)
	return next, nil
}

// StopReplica stops the replica server listening on port (SIGTERM, then
// SIGKILL after timeout). An added server is forgotten by the box; one of
// the three it starts with stays in it, stopped, until the next start.
func (b *Box) StopReplica(port uint16, timeout time.Duration) error {
	p, err := b.lookup(func(q process) bool {
		ap, err := netip.ParseAddrPort(q.Address)
		return err == nil && q.Role == "replica" && ap.Port() == port
	}, fmt.Sprintf("replica server on port %d", port))
	if err != nil {
		return err
	}
	if _, ok := b.pid(p); ok {
		if err := b.Kill(p.Name, syscall.SIGTERM, timeout); err != nil {
			if kerr := b.Kill(p.Name, syscall.SIGKILL, timeout); kerr != nil {
				return kerr
			}
		}
	}
	added := b.addedReplicas()
	if i := slices.Index(added, p.Address); i >= 0 {
		if err := b.writeAdded(slices.Delete(added, i, i+1)); err != nil {
			return err
		}
	}
	b.printf("stopped %s on %s\n", p.Name, p.Address)
	return nil
}

func (b *Box) byAddress(addr string) (process, error) {
	return b.lookup(func(p process) bool { return p.Address == addr }, "process on "+addr)
}

// ParsePort reads a stop-replica argument: a port, or host:port.
func ParsePort(s string) (uint16, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Port(), nil
	}
	p, err := strconv.ParseUint(s, 10, 16)
	if err != nil || p == 0 {
		return 0, fmt.Errorf("onebox: %q is not a port", s)
	}
	return uint16(p), nil
}
