package meta

import (
	"net/netip"
	"slices"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// The simulated replica servers of sim_test.go: what docs/cluster-protocol.md
// asks of a replica server, without storage.

// simReplica is one replica on a simulated replica server.
type simReplica struct {
	ballot   int64 // last ballot accepted from the meta, as on disk
	serving  bool  // serving as primary
	inflight *ConfigUpdate
}

type simNode struct {
	addr          netip.AddrPort
	up, connected bool
	replicas      map[base.Gpid]*simReplica
	lastAckedSend time.Time
	nextBeacon    time.Time
	nextSync      time.Time
	needSync      bool
}

// onProposal follows the contract for CT_ASSIGN_PRIMARY: open the replica
// (create it empty only at ballot 0) and ask to become primary.
func (m *sim) onProposal(n *simNode, u ConfigUpdate) {
	if u.Type != admin.ConfigType_CT_ASSIGN_PRIMARY || u.Node != n.addr {
		return
	}
	pid := u.Config.Pid
	r := n.replicas[pid]
	if r == nil {
		if u.Config.Ballot != 0 {
			return // data may exist elsewhere: never create an empty replica
		}
		r = &simReplica{}
		n.replicas[pid] = r
	}
	if r.ballot > u.Config.Ballot || r.serving {
		return
	}
	req := u.Config.Clone()
	req.Ballot++
	req.Primary = n.addr
	req.Secondaries = nil
	r.inflight = &ConfigUpdate{App: u.App, Config: req, Type: admin.ConfigType_CT_ASSIGN_PRIMARY, Node: n.addr}
	m.send(simMsg{kind: msgUpdate, node: m.index(n.addr), update: *r.inflight})
}

func (m *sim) leaseOK(n *simNode) bool { return m.now.Sub(n.lastAckedSend) <= simLease }

func (m *sim) onReply(n *simNode, msg simMsg) {
	pid := msg.update.Config.Pid
	r := n.replicas[pid]
	if r == nil || r.inflight == nil || r.inflight.Config.Ballot != msg.update.Config.Ballot || r.inflight.Type != msg.update.Type {
		return // a reply to an older request
	}
	switch msg.errno {
	case base.ERR_OK:
		r.inflight = nil
		r.ballot = msg.config.Ballot
		r.serving = msg.config.Primary == n.addr && m.leaseOK(n)
		m.logf("%v: %v %v ok at %d, serving %v", n.addr, msg.update.Type, &pid, r.ballot, r.serving)
		if r.serving {
			if m.everServed[pid] == nil {
				m.everServed[pid] = map[netip.AddrPort]bool{}
			}
			m.everServed[pid][n.addr] = true
		}
	default:
		r.inflight = nil
		r.serving = false
	}
}

// configSync follows the contract's replica side.
func (m *sim) configSync(n *simNode) {
	var stored []base.Gpid
	for _, pid := range sortedGpids(n.replicas) {
		stored = append(stored, pid)
	}
	serving, gc, err := m.s.ConfigSync(n.addr, stored, m.now)
	if err != nil {
		return
	}
	mentioned := map[base.Gpid]bool{}
	for _, u := range serving {
		pid := u.Config.Pid
		mentioned[pid] = true
		r := n.replicas[pid]
		m.syncSplit(n, u)
		if u.Config.Primary != n.addr {
			continue
		}
		next := u.Config.Clone()
		next.Ballot++
		switch {
		case r == nil:
			// Listed as primary of a replica it does not have: ask to be
			// removed (no retry; the next sync asks again).
			next.Primary = netip.AddrPort{}
			m.send(simMsg{kind: msgUpdate, node: m.index(n.addr), update: ConfigUpdate{
				App: u.App, Config: next, Type: admin.ConfigType_CT_DOWNGRADE_TO_INACTIVE, Node: n.addr}})
		case r.serving:
			// A request of ours that we had given up on was accepted after
			// all (a late copy): adopt the newer ballot.
			r.ballot = max(r.ballot, u.Config.Ballot)
		case r.inflight == nil:
			r.inflight = &ConfigUpdate{App: u.App, Config: next, Type: admin.ConfigType_CT_PRIMARY_FORCE_UPDATE_BALLOT, Node: n.addr}
			m.send(simMsg{kind: msgUpdate, node: m.index(n.addr), update: *r.inflight})
		}
	}
	for pid, r := range n.replicas {
		if !mentioned[pid] {
			r.serving = false
		}
	}
	for _, pid := range gc {
		delete(n.replicas, pid)
	}
}

func sortedGpids(rs map[base.Gpid]*simReplica) []base.Gpid {
	out := make([]base.Gpid, 0, len(rs))
	for pid := range rs {
		out = append(out, pid)
	}
	slices.SortFunc(out, func(a, b base.Gpid) int {
		if a.Appid != b.Appid {
			return int(a.Appid - b.Appid)
		}
		return int(a.PartitionIndex - b.PartitionIndex)
	})
	return out
}
