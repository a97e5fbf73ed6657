package meta

import (
	"fmt"
	"net/netip"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// Partition split in the simulation (sim_test.go): the meta starts,
// pauses, restarts and cancels splits at random; a serving parent primary
// that config sync shows SPLITTING creates its child on the same node and
// registers it (sometimes late, with a ballot that may have moved on, and
// the reply may be lost); one shown PAUSING, PAUSED or CANCELING drops its
// unregistered child and confirms over the lossy network. The meta
// restarts from its store mid-split and store writes fail.
//
// Invariants: a child leaves ballot -1 only by registering, at its
// parent's ballot+1 with the parent's members; a cancel removes only
// unregistered children; a parent is NOT_SPLIT exactly when its child
// registered (or, while canceling, when it confirmed, and then no child
// registered); an unregistered child has no members; and once the faults
// heal (and paused splits restart) every split finishes.

// randomSplitStep starts a split, or pauses, restarts or cancels one.
func (m *sim) randomSplitStep() {
	if m.rng.IntN(2) == 0 {
		a, ok := m.pickApp(func(a App) bool { return a.Available() && !a.Splitting() && a.PartitionCount <= 8 })
		if !ok {
			return
		}
		c, err := m.s.StartSplit(a.Name, 2*a.PartitionCount)
		if err != nil {
			if ErrnoOf(err) != base.ERR_STATE_FREEZED {
				m.fail("start split of %s: %v", a.Name, err)
			}
			return
		}
		if m.commit(c) {
			m.stats["split start"]++
			m.logf("split %d: %d -> %d", a.ID, a.PartitionCount, 2*a.PartitionCount)
		}
		return
	}
	a, ok := m.pickApp(App.Splitting)
	if !ok {
		return
	}
	typ := admin.SplitControlType(m.rng.IntN(3))
	parent := int32(-1)
	if m.rng.IntN(2) == 0 {
		parent = int32(m.rng.IntN(int(a.parentCount())))
	}
	c, _, err := m.s.ControlSplit(a.Name, typ, parent, nil)
	m.stats[fmt.Sprintf("split %v %v", typ, ErrnoOf(err))]++
	if err == nil && m.commit(c) {
		m.logf("split %d: %v parent %d -> %v", a.ID, typ, parent, m.s.tables[a.ID].app.Split)
	}
}

// resumeSplits restarts every paused split before the cluster settles.
func (m *sim) resumeSplits() {
	for _, id := range m.s.tableIDs() {
		a := m.s.tables[id].app
		if a.Available() && a.Splitting() && !canceling(a.Split) {
			c, _, err := m.s.ControlSplit(a.Name, admin.SplitControlType_RESTART, -1, nil)
			if err != nil {
				m.fail("restart split of %s: %v", a.Name, err)
			}
			m.commit(c)
		}
	}
}

// syncSplit is a replica server's part of a split, on one config sync
// unit.
func (m *sim) syncSplit(n *simNode, u ConfigUpdate) {
	if u.Config.Primary != n.addr || u.SplitStatus == admin.SplitStatus_NOT_SPLIT {
		return
	}
	r := n.replicas[u.Config.Pid]
	if r == nil || !r.serving {
		return
	}
	child := base.Gpid{Appid: u.Config.Pid.Appid, PartitionIndex: u.Config.Pid.PartitionIndex + u.App.PartitionCount/2}
	switch u.SplitStatus {
	case admin.SplitStatus_SPLITTING:
		if n.replicas[child] == nil {
			n.replicas[child] = &simReplica{ballot: childBallot}
		}
		if m.rng.IntN(2) == 0 {
			return // the child is still catching up
		}
		m.register(n, u, r.ballot, child)
	default: // PAUSING, PAUSED, CANCELING
		if cr := n.replicas[child]; cr != nil && cr.ballot == childBallot {
			delete(n.replicas, child)
		}
		if u.SplitStatus != admin.SplitStatus_PAUSED {
			m.send(simMsg{kind: msgStopSplit, node: m.index(n.addr), update: u})
		}
	}
}

// register is RPC_CM_REGISTER_CHILD_REPLICA, a call with a deadline: the
// meta handles it at once (a failed store write is ERR_TRY_AGAIN, and the
// primary registers again at a later sync), and the reply may be lost.
// Unlike the one-way messages it is never delivered late or twice: a
// register landing after its primary dropped the child (a pause and a
// restart in between) would make a child of nothing.
func (m *sim) register(n *simNode, u ConfigUpdate, ballot int64, child base.Gpid) {
	parent := u.Config.Clone()
	parent.Ballot = ballot
	req := parent.Clone()
	req.Pid, req.Ballot = child, ballot+1
	c, _, _, stored, err := m.s.RegisterChild(parent, req)
	if !m.commit(c) {
		return
	}
	errno := ErrnoOf(err)
	m.stats["register "+string(errno)]++
	if err == nil {
		m.logf("registered %v at %d on %v", &child, stored.Ballot, stored.Primary)
	}
	if m.chance(lossPercent) {
		return // the reply is lost: config sync lists the child if it registered
	}
	r := n.replicas[child]
	switch {
	case r == nil || r.ballot != childBallot:
	case (errno == base.ERR_OK || errno == base.ERR_CHILD_REGISTERED) && stored.Pid == child:
		if stored.Primary != n.addr {
			delete(n.replicas, child) // someone else's child registered
			return
		}
		r.ballot = stored.Ballot
		r.serving = m.leaseOK(n)
		if r.serving {
			if m.everServed[child] == nil {
				m.everServed[child] = map[netip.AddrPort]bool{}
			}
			m.everServed[child][n.addr] = true
		}
	case errno == base.ERR_INVALID_VERSION:
		delete(n.replicas, child) // the parent moved on: start again
	}
}

// deliverStopSplit is RPC_CM_NOTIFY_STOP_SPLIT reaching the meta: a late or
// repeated confirmation is harmless.
func (m *sim) deliverStopSplit(msg simMsg) {
	u := msg.update
	c, err := m.s.NotifyStopSplit(u.App.Name, u.Config.Pid, u.SplitStatus, u.App.PartitionCount/2)
	if m.commit(c) {
		m.stats["stop split "+string(ErrnoOf(err))]++
	}
}

// checkSplitChange holds the invariants of a change that registers or
// removes children.
func (m *sim) checkSplitChange(c Change) {
	for _, pid := range c.RemovedPartitions {
		if cur, ok := m.s.Partition(pid); !ok || cur.Ballot != childBallot {
			m.fail("a change removes partition %v at %+v: only unregistered children may go", &pid, cur)
		}
	}
	for _, next := range c.Partitions {
		cur, ok := m.s.Partition(next.Pid)
		if !ok || cur.Ballot != childBallot {
			continue
		}
		t := m.s.tables[next.Pid.Appid]
		n := t.app.parentCount()
		if !t.app.Splitting() || next.Pid.PartitionIndex < n {
			m.fail("partition %v at ballot -1 changes to %+v outside a split", &next.Pid, next)
		}
		parent := t.parts[next.Pid.PartitionIndex-n]
		if next.Ballot != parent.Ballot+1 || next.Primary != parent.Primary || !sameMembers(next, parent) {
			m.fail("child %v registers as %+v; its parent is %+v", &next.Pid, next, parent)
		}
		if next.HasPrimary() {
			m.lastPrimary[next.Pid] = next.Primary
		}
	}
}

// checkSplitState holds the split invariants of the meta's view.
func (m *sim) checkSplitState() {
	for _, id := range m.s.tableIDs() {
		t := m.s.tables[id]
		a := t.app
		if !a.Splitting() {
			for _, p := range t.parts {
				if p.Ballot == childBallot {
					m.fail("%v is an unregistered child of table %d, which is not splitting", &p.Pid, id)
				}
			}
			continue
		}
		n := a.parentCount()
		if !a.Available() || 2*n != a.PartitionCount || len(t.parts) != int(a.PartitionCount) {
			m.fail("table %d splits %d parents with %d partitions (%d configurations), status %v",
				id, n, a.PartitionCount, len(t.parts), a.Status)
		}
		cancel := canceling(a.Split)
		for i := range n {
			child := t.parts[i+n]
			registered := child.Ballot != childBallot
			switch {
			case !registered && len(child.Members()) > 0:
				m.fail("unregistered child %v has members %v", &child.Pid, child.Members())
			case cancel && registered:
				m.fail("table %d is canceling with child %v registered", id, &child.Pid)
			case !cancel && (a.Split[i] == admin.SplitStatus_NOT_SPLIT) != registered:
				m.fail("table %d: parent %d is %v, child at ballot %d", id, i, a.Split[i], child.Ballot)
			}
		}
	}
}
