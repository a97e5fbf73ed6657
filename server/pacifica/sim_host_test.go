package pacifica

import (
	"encoding/binary"
	"net/netip"
	"slices"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// A simulated replica server: it hosts Replica state machines and does
// for them what the real server will do — persist the hard state and the
// mutation log, apply committed mutations to storage, send messages, copy
// checkpoints for learners, talk to the meta (beacons, config sync,
// configuration updates) and feed timer ticks. Its disk may be slow: a
// Ready is then held unpersisted for a while, and lost if the server
// crashes meanwhile.

// simStore is a replica's storage: the mutations applied, by decree.
type simStore struct{ muts []Mutation } // muts[i] holds decree i+1

func (s *simStore) applied() int64 { return int64(len(s.muts)) }

func (s *simStore) clone() *simStore { return &simStore{muts: slices.Clone(s.muts)} }

// simRep is one replica on a server: its durable state (which survives
// crashes) and its state machine (which does not).
type simRep struct {
	pid   base.Gpid
	sm    *Replica // nil while closed or the server is down
	hard  HardState
	log   []Mutation
	best  map[int64]Mutation // highest-ballot logged version of each decree
	store *simStore

	held      *Ready // taken but not yet persisted (slow disk)
	heldUntil int64
	snaps     map[uint64]*simStore // checkpoints received for learning, by signature
	copy      *LearnTask
	copyAt    int64
}

type simNode struct {
	w             *world
	i             int
	addr          netip.AddrPort
	up, connected bool
	leaseOK       bool
	lastAckedSend int64
	nextBeacon    int64
	nextSync      int64
	needSync      bool
	slowDisk      bool
	boot          int // incarnation: restarts so far
	reps          map[base.Gpid]*simRep
	order         []base.Gpid
}

func newSimNode(w *world, i int) *simNode {
	return &simNode{w: w, i: i, addr: simAddr(i), up: true, connected: true, leaseOK: true, reps: map[base.Gpid]*simRep{}}
}

// pids lists the stored replicas in order (kept sorted, so every walk is
// deterministic).
func (n *simNode) pids() []base.Gpid { return n.order }

func (n *simNode) add(rep *simRep) {
	n.reps[rep.pid] = rep
	n.order = append(n.order, rep.pid)
	slices.SortFunc(n.order, func(a, b base.Gpid) int {
		if a.Appid != b.Appid {
			return int(a.Appid - b.Appid)
		}
		return int(a.PartitionIndex - b.PartitionIndex)
	})
}

// open returns pid's replica with its state machine running: restored
// from disk when the server stores it, created empty when allowed.
func (n *simNode) open(pid base.Gpid, create bool) *simRep {
	rep := n.reps[pid]
	switch {
	case rep != nil && rep.sm != nil:
		return rep
	case rep != nil:
		p := Persisted{HardState: rep.hard, Applied: rep.store.applied()}
		for _, m := range rep.log {
			if m.Decree > p.Applied {
				p.Log = append(p.Log, m)
			}
		}
		sm, err := Restore(n.addr, pid, n.w.p.opts, p)
		if err != nil {
			n.w.failf("%v: restore %v: %v", n.addr, &pid, err)
		}
		rep.sm = sm
		n.w.logf("%v: reopened %v at ballot %d, applied %d, %d log entries", n.addr, &pid, sm.Ballot(), p.Applied, len(p.Log))
	case create:
		sm, err := New(n.addr, pid, n.w.p.opts)
		if err != nil {
			n.w.failf("%v: new replica %v: %v", n.addr, &pid, err)
		}
		rep = &simRep{pid: pid, sm: sm, best: map[int64]Mutation{}, store: &simStore{}, snaps: map[uint64]*simStore{}}
		n.add(rep)
		n.w.logf("%v: created %v", n.addr, &pid)
	default:
		return nil
	}
	if !n.leaseOK {
		rep.sm.LeaseExpired()
	}
	return rep
}

// close stops a replica's state machine once its pending disk work is
// done; its data stays.
func (n *simNode) close(rep *simRep) {
	if rep.held != nil {
		rd := *rep.held
		rep.held = nil
		n.handle(rep, rd)
	}
	for rep.sm.HasReady() {
		n.handle(rep, rep.sm.Ready())
	}
	rep.sm, rep.copy = nil, nil
	n.w.logf("%v: closed %v", n.addr, &rep.pid)
}

// drain handles every Ready the state machine has, unless the disk holds
// one back.
func (n *simNode) drain(rep *simRep) {
	for rep.sm != nil && rep.held == nil && rep.sm.HasReady() {
		rd := rep.sm.Ready()
		if n.slowDisk && n.w.chance(30) && (rd.HardState != nil || len(rd.Entries) > 0) {
			rep.held, rep.heldUntil = &rd, n.w.now+1
			return
		}
		n.handle(rep, rd)
	}
}

// handle does what a Ready asks, in the documented order, then advances.
func (n *simNode) handle(rep *simRep, rd Ready) {
	w := n.w
	if rd.HardState != nil {
		if rd.HardState.Ballot < rep.hard.Ballot {
			w.failf("%v %v: ballot goes back from %d to %d", n.addr, &rep.pid, rep.hard.Ballot, rd.HardState.Ballot)
		}
		rep.hard = *rd.HardState
	}
	for _, m := range rd.Entries {
		w.truth.prepared(w, rep.pid, m)
		rep.log = append(rep.log, m)
		if b, ok := rep.best[m.Decree]; !ok || m.Ballot >= b.Ballot {
			rep.best[m.Decree] = m
		}
	}
	for _, c := range rd.Committed {
		n.apply(rep, c)
	}
	for _, m := range rd.Messages {
		to := w.index(m.To)
		if to < 0 {
			w.failf("%v: message to unknown %v", n.addr, m.To)
		}
		if w.tracing {
			w.logf("send %v", m)
		}
		e := envelope{kind: envPeer, from: n.i, to: to, msg: &m}
		if m.Type == MsgLearnReply && m.CopyTo >= m.CopyFrom && m.CopyTo > 0 {
			e.snapshot = rep.store.clone()
		}
		w.send(e)
	}
	for _, r := range rd.Replies {
		w.truth.replied(w, uint64(r.Token), r.Err)
	}
	for _, req := range rd.ConfigRequests {
		if n.connected {
			w.logf("%v: asks meta %v %v → %v", n.addr, req.Type, req.Node, req.Config)
			w.send(envelope{kind: envUpdate, from: n.i, to: -1, update: &updateMsg{req: req}})
		}
	}
	if t := rd.LearnTask; t != nil {
		rep.copy, rep.copyAt = t, w.now+w.rng.Int64N(simCopyTicks+1)
	}
	if rd.SyncConfig {
		n.needSync = true
	}
	rep.sm.Advance(rd)
}

// apply applies one committed mutation to storage.
func (n *simNode) apply(rep *simRep, c Committed) {
	d, have := c.Mutation.Decree, rep.store.applied()
	switch {
	case d <= have:
		n.w.stats["apply skipped (installed already)"]++
		return
	case d != have+1:
		n.w.failf("%v %v: applies decree %d after %d", n.addr, &rep.pid, d, have)
	}
	n.w.truth.committed(n.w, rep.pid, c.Mutation)
	rep.store.muts = append(rep.store.muts, c.Mutation)
	for _, t := range c.Tokens {
		n.w.truth.acked(n.w, rep.pid, uint64(t), d)
	}
}

// receive takes one envelope off the network.
func (n *simNode) receive(e envelope) {
	w := n.w
	if !n.up {
		return
	}
	switch e.kind {
	case envPeer:
		m := *e.msg
		rep := n.reps[m.Pid]
		if m.Type == MsgGroupCheck && m.ReceiverStatus == StatusPotentialSecondary {
			rep = n.open(m.Pid, true) // invited to learn
		}
		if rep == nil || rep.sm == nil {
			return // a real server answers ERR_OBJECT_NOT_FOUND; the sender times out alike
		}
		if e.snapshot != nil {
			rep.snaps[m.Signature] = e.snapshot
		}
		if err := rep.sm.Step(m); err != nil {
			w.failf("%v: step %v: %v", n.addr, m, err)
		}
		n.drain(rep)
	case envProposal:
		p := *e.proposal
		if !n.connected || !n.leaseOK {
			return // proposals are ignored while not connected to the meta
		}
		rep := n.reps[p.Config.Pid]
		if p.Type == admin.ConfigType_CT_ASSIGN_PRIMARY && p.Node == n.addr {
			// Open the stored replica, or create an empty one only for a
			// partition that never had a member (docs/cluster-protocol.md).
			never := !p.Config.Primary.IsValid() && len(p.Config.Secondaries) == 0 && !w.meta.everServed(p.Config.Pid)
			rep = n.open(p.Config.Pid, never)
		}
		if rep == nil || rep.sm == nil {
			return
		}
		w.logf("%v: proposal %v %v on %v", n.addr, p.Type, p.Node, p.Config)
		rep.sm.Proposal(p)
		n.drain(rep)
	case envSyncReply:
		n.applySync(*e.sync)
	case envUpdateReply:
		u := e.update
		rep := n.reps[u.req.Config.Pid]
		if rep == nil || rep.sm == nil {
			return
		}
		w.logf("%v: meta answers %v %v: %v %v", n.addr, u.req.Type, u.req.Node, u.errno, u.stored)
		rep.sm.ConfigReply(u.req, u.errno, u.stored)
		n.drain(rep)
	case envClientWrite:
		rep := n.reps[e.write.pid]
		if rep == nil || rep.sm == nil {
			w.truth.replied(w, e.write.id, base.ERR_OBJECT_NOT_FOUND)
			return
		}
		payload := binary.BigEndian.AppendUint64(nil, e.write.id)
		rep.sm.Propose(Write{Token: Token(e.write.id), Payload: payload, Batchable: e.write.batchable, TimestampUs: w.now * 1e6})
		n.drain(rep)
	}
}

// tick runs the server's timers: lease, beacon, config sync, held disk
// writes, checkpoint copies, and every replica's Tick.
func (n *simNode) tick() {
	w := n.w
	if !n.up {
		return
	}
	if n.leaseOK && w.now-n.lastAckedSend > simLease {
		n.leaseOK, n.needSync = false, true
		w.logf("%v: lease expired", n.addr)
		for _, pid := range n.pids() {
			if rep := n.reps[pid]; rep.sm != nil {
				rep.sm.LeaseExpired()
				n.drain(rep)
			}
		}
	}
	if w.now >= n.nextBeacon {
		n.nextBeacon = w.now + simBeacon
		if n.connected && (w.calm || !w.chance(w.p.lossPct)) {
			if w.meta.s.Beacon(w.clock(), n.addr) {
				w.meta.cure()
			}
			n.lastAckedSend = w.now
			if !n.leaseOK {
				n.leaseOK = true
				w.logf("%v: lease back", n.addr)
				for _, pid := range n.pids() {
					if rep := n.reps[pid]; rep.sm != nil {
						rep.sm.LeaseRenewed()
					}
				}
			}
		}
	}
	if n.connected && n.leaseOK && (n.needSync || w.now >= n.nextSync) {
		n.configSync()
	}
	for _, pid := range n.pids() {
		rep := n.reps[pid]
		if rep.held != nil && w.now >= rep.heldUntil {
			rd := *rep.held
			rep.held = nil
			n.handle(rep, rd)
		}
		if rep.copy != nil && w.now >= rep.copyAt {
			n.finishCopy(rep)
		}
		if rep.sm != nil {
			rep.sm.Tick()
			n.drain(rep)
		}
	}
}

// finishCopy installs a checkpoint copied from the learnee, if the
// learning round that asked for it is still on.
func (n *simNode) finishCopy(rep *simRep) {
	t := *rep.copy
	rep.copy = nil
	sm := rep.sm
	if sm == nil || sm.Learning() != LearnCopying || sm.LearnSignature() != t.Signature {
		return
	}
	snap := rep.snaps[t.Signature]
	delete(rep.snaps, t.Signature)
	if snap == nil || snap.applied() < t.To {
		n.w.stats["learn copy failed"]++
		sm.LearnFailed(t.Signature)
		n.drain(rep)
		return
	}
	rep.store = snap.clone()
	n.w.stats["learn checkpoint installed"]++
	n.w.logf("%v: installed checkpoint of %v at %d", n.addr, &rep.pid, snap.applied())
	if err := sm.LearnInstalled(t.Signature, snap.applied()); err != nil {
		n.w.failf("%v: %v", n.addr, err)
	}
	n.drain(rep)
}

// configSync reports the stored replicas to the meta and acts on its
// answer (docs/cluster-protocol.md, "Config sync").
func (n *simNode) configSync() {
	w := n.w
	serving, _, err := w.meta.s.ConfigSync(n.addr, n.pids(), w.clock())
	if err != nil {
		return
	}
	// The committed decrees of the stored replicas ride along, as in
	// replica_info; cure promotes the secondary with the most.
	for _, pid := range n.pids() {
		switch rep := n.reps[pid]; {
		case rep == nil:
		case rep.sm != nil:
			w.meta.s.RecordCommitted(n.addr, pid, rep.sm.Committed())
		default:
			w.meta.s.RecordCommitted(n.addr, pid, rep.store.applied())
		}
	}
	n.needSync, n.nextSync = false, w.now+simSync
	asked := map[*Replica]int64{}
	for _, pid := range n.pids() {
		if rep := n.reps[pid]; rep.sm != nil {
			asked[rep.sm] = rep.sm.Ballot()
		}
	}
	w.send(envelope{kind: envSyncReply, from: -1, to: n.i, sync: &syncAnswer{serving: serving, asked: asked, boot: n.boot}})
}

// applySync acts on the meta's answer to a config sync of this
// incarnation: each listed partition's configuration, and "not listed" to
// the other replicas that were open when the sync was asked.
func (n *simNode) applySync(a syncAnswer) {
	w := n.w
	if a.boot != n.boot || !n.connected {
		return // the connection that asked is gone
	}
	listed := map[base.Gpid]bool{}
	for _, u := range a.serving {
		pid, cfg := u.Config.Pid, fromMeta(u.Config)
		listed[pid] = true
		rep := n.open(pid, false)
		if rep == nil {
			if cfg.Primary == n.addr {
				next := cfg.Clone()
				next.Ballot++
				next.Primary = netip.AddrPort{}
				w.send(envelope{kind: envUpdate, from: n.i, to: -1, update: &updateMsg{req: ConfigRequest{Type: admin.ConfigType_CT_DOWNGRADE_TO_INACTIVE, Node: n.addr, Config: next}}})
			}
			continue
		}
		rep.sm.ConfigFromMeta(cfg)
		n.drain(rep)
	}
	for _, pid := range n.pids() {
		rep := n.reps[pid]
		ballot, wasOpen := a.asked[rep.sm]
		if rep.sm != nil && !listed[pid] && wasOpen {
			if rep.sm.NotListed(ballot) {
				// A stale answer must not close a member the replica knows
				// itself to be: the meta stores it at a ballot the replica
				// has taken on.
				if cur, _ := w.meta.config(pid); cur.statusOf(n.addr) != StatusInactive && cur.Ballot <= rep.sm.Ballot() {
					w.failf("%v: config sync closed %v, a member at ballot %d (the replica is at %d)", n.addr, &pid, cur.Ballot, rep.sm.Ballot())
				}
				n.close(rep)
			} else {
				n.drain(rep)
			}
		}
	}
}

func (n *simNode) crash() {
	n.up, n.leaseOK = false, false
	for _, rep := range n.reps {
		rep.sm, rep.held, rep.copy = nil, nil, nil
		rep.snaps = map[uint64]*simStore{}
	}
	n.w.logf("%v: crashed", n.addr)
	n.w.stats["crash"]++
}

func (n *simNode) restart() {
	n.up, n.leaseOK, n.needSync = true, false, true
	n.boot++
	n.lastAckedSend, n.nextBeacon = -1000, n.w.now
	n.w.logf("%v: restarted", n.addr)
	for _, pid := range n.pids() {
		n.drain(n.open(pid, false))
	}
}
