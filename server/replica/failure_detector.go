package replica

import (
	"context"
	"time"

	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
)

// The replica server is the failure detector's worker (design notes §3.8):
// it beacons the meta leader, and only an ack from the leader renews its
// lease, counted from when that beacon was sent. When the lease runs out
// the server stops serving before the meta (whose grace period is longer)
// can give its partitions to anyone else.

func (n *Node) beaconLoop() {
	defer n.wg.Done()
	t := time.NewTicker(n.opts.BeaconInterval)
	defer t.Stop()
	logFailed := false
	for {
		// A server whose mutation log failed can take no write, yet it
		// would look alive, keep its primaries and be handed new replicas
		// that never learn: the groups it belongs to stay short for good.
		// Beacons are tied to the log instead: it stops sending them, its
		// lease lapses (its replicas stop serving) and the meta server
		// declares it dead and moves its replicas away.
		if err := n.mlog.Err(); err != nil {
			if !logFailed {
				logFailed = true
				n.log.Error("replica node: the mutation log failed; beacons stop so that the meta server moves this server's replicas elsewhere — restart the server once its disk is sound", "err", err)
			}
		} else {
			// A failed or redirected beacon goes straight to the next meta
			// guess, so that a new leader is found within one round rather
			// than one meta per round.
			for attempt := 0; attempt <= n.meta.size(); attempt++ {
				if !n.beacon() {
					break
				}
			}
		}
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// beacon pings the current leader guess once; it reports whether another
// meta should be tried at once (the call failed or named another leader).
func (n *Node) beacon() (retry bool) {
	addr := n.meta.current()
	sent := time.Now()
	ctx, cancel := context.WithTimeout(n.ctx, n.opts.BeaconInterval*2/3)
	defer cancel()
	to, _, _ := parseSelf(addr)
	msg := &replication.BeaconMsg{
		Time: sent.UnixMilli(), FromAddr: n.self, ToAddr: to, StartTime: n.startTime.UnixMilli(),
		HpFromAddr: n.selfHP,
	}
	if to == nil {
		msg.ToAddr = n.self // a meta named by host name: the field is informational
	}
	ack := replication.NewReplicationPingResult()
	if err := n.meta.call(ctx, addr, catalog.RPC_FD_FAILURE_DETECTOR_PING, &replication.ReplicationPingArgs{Beacon: msg}, ack); err != nil {
		if n.ctx.Err() == nil {
			n.log.Debug("replica node: beacon failed", "meta", addr, "err", err)
		}
		return n.ctx.Err() == nil
	}
	a := ack.Success
	if a == nil {
		return false
	}
	if !a.IsMaster {
		if a.PrimaryNode != nil && !a.PrimaryNode.IsZero() && a.PrimaryNode.String() != addr {
			n.meta.follow(a.PrimaryNode.String())
		} else {
			n.meta.next(addr)
		}
		return true
	}
	if !a.Allowed {
		n.log.Warn("replica node: the meta refuses this node's beacons", "meta", addr)
		return false
	}
	n.mu.Lock()
	if sent.After(n.lastAckSend) {
		n.lastAckSend = sent
		n.srv.setLeaseEnd(n.leaseEnd(sent))
	}
	was := n.connected
	n.connected = true
	n.mu.Unlock()
	if !was {
		n.log.Info("replica node: connected to the meta server", "meta", addr)
		for _, r := range n.srv.Replicas() {
			r.post(r.sm.LeaseRenewed)
		}
		n.triggerSync()
	}
	return false
}

func (n *Node) leaseLoop() {
	defer n.wg.Done()
	t := time.NewTicker(n.opts.CheckInterval)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
			n.checkLease(time.Now())
		}
	}
}

// leaseEnd is when reads must stop for a lease renewed by a beacon sent at
// sent: the lease timeout after it, less the check interval that
// checkLease also takes off (at most half the lease).
func (n *Node) leaseEnd(sent time.Time) time.Time {
	return sent.Add(n.opts.LeaseTimeout - min(n.opts.CheckInterval, n.opts.LeaseTimeout/2))
}

// checkLease declares the meta lost a check interval early, so that the
// expiry is acted on before it happens given the check granularity.
func (n *Node) checkLease(now time.Time) {
	n.mu.Lock()
	expired := n.connected && now.Add(n.opts.CheckInterval).Sub(n.lastAckSend) > n.opts.LeaseTimeout
	if expired {
		n.connected = false
		n.srv.setLeaseEnd(time.Time{})
	}
	n.mu.Unlock()
	if !expired {
		return
	}
	n.log.Warn("replica node: lease from the meta expired; replicas stop serving")
	for _, r := range n.srv.Replicas() {
		r.readable.Store(false) // at once, before the loop gets to it
		r.post(r.sm.LeaseExpired)
	}
}
