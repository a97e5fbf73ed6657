package pacifica

import (
	"encoding/binary"
	"net/netip"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// truth is what the checker knows happened, to hold the invariants
// against:
//
//   - no acknowledged write is lost: every member of the meta's current
//     configuration durably holds (in storage or log, with the committed
//     content) every decree up to the highest acknowledged one;
//   - at most one primary per ballot: no two replicas are ever primary at
//     the same ballot, and no two different mutations are ever logged at
//     the same (ballot, decree);
//   - committed prefixes agree: every replica applies the same mutation at
//     each decree;
//   - decrees are applied in order without gaps (checked by the host);
//   - a write answered with a refusal is never committed, and no write is
//     committed twice;
//   - reads are never stale: a replica that may serve reads has applied
//     every acknowledged write.
type truth struct {
	parts    map[base.Gpid]*partTruth
	refused  map[uint64]bool
	unknown  map[uint64]bool // answered ERR_TIMEOUT: may or may not commit
	ackedIDs map[uint64]bool
	acks     int
}

type partTruth struct {
	committed map[int64]Mutation
	maxAcked  int64
	prepared  map[[2]int64]Mutation
	primaryAt map[int64]netip.AddrPort
	placed    map[uint64]int64 // write id → decree it committed at
}

func newTruth() *truth {
	return &truth{parts: map[base.Gpid]*partTruth{}, refused: map[uint64]bool{}, unknown: map[uint64]bool{}, ackedIDs: map[uint64]bool{}}
}

func (t *truth) part(pid base.Gpid) *partTruth {
	p := t.parts[pid]
	if p == nil {
		p = &partTruth{committed: map[int64]Mutation{}, prepared: map[[2]int64]Mutation{},
			primaryAt: map[int64]netip.AddrPort{}, placed: map[uint64]int64{}}
		t.parts[pid] = p
	}
	return p
}

func writeIDs(m Mutation) []uint64 {
	out := make([]uint64, len(m.Updates))
	for i, u := range m.Updates {
		out[i] = binary.BigEndian.Uint64(u)
	}
	return out
}

// prepared records a mutation some replica logged.
func (t *truth) prepared(w *world, pid base.Gpid, m Mutation) {
	p := t.part(pid)
	k := [2]int64{m.Ballot, m.Decree}
	if old, ok := p.prepared[k]; ok {
		if !sameContent(old, m) {
			w.failf("%v: two different mutations logged at ballot %d decree %d: %v and %v", &pid, m.Ballot, m.Decree, writeIDs(old), writeIDs(m))
		}
		return
	}
	p.prepared[k] = m
}

// committed records a mutation some replica applied.
func (t *truth) committed(w *world, pid base.Gpid, m Mutation) {
	p := t.part(pid)
	if old, ok := p.committed[m.Decree]; ok {
		if !sameContent(old, m) {
			w.failf("%v: committed prefixes disagree at decree %d: %v (ballot %d) vs %v (ballot %d)",
				&pid, m.Decree, writeIDs(old), old.Ballot, writeIDs(m), m.Ballot)
		}
		return
	}
	p.committed[m.Decree] = m
	for _, id := range writeIDs(m) {
		if t.refused[id] {
			w.failf("%v: write %d was refused, yet committed at decree %d", &pid, id, m.Decree)
		}
		if d, ok := p.placed[id]; ok && d != m.Decree {
			w.failf("%v: write %d committed twice, at decrees %d and %d", &pid, id, d, m.Decree)
		}
		p.placed[id] = m.Decree
	}
}

// acked records a write answered OK after its mutation was applied.
func (t *truth) acked(w *world, pid base.Gpid, id uint64, d int64) {
	p := t.part(pid)
	p.maxAcked = max(p.maxAcked, d)
	t.acks++
	t.ackedIDs[id] = true
}

// replied records a write answered with an error.
func (t *truth) replied(w *world, id uint64, err base.Errno) {
	switch err {
	case base.ERR_TIMEOUT:
		w.stats["write outcome unknown"]++
		t.unknown[id] = true
		return
	case base.ERR_INVALID_STATE, base.ERR_NOT_ENOUGH_MEMBER, base.ERR_CAPACITY_EXCEEDED, base.ERR_OBJECT_NOT_FOUND:
	default:
		w.failf("write %d answered %v", id, err)
	}
	w.stats["write refused "+string(err)]++
	for pid, p := range t.parts {
		if d, ok := p.placed[id]; ok {
			w.failf("%v: write %d committed at decree %d, then refused with %v", &pid, id, d, err)
		}
	}
	t.refused[id] = true
}

// check holds the invariants over the whole world; the host checks the
// rest as it goes.
func (w *world) check() {
	for _, n := range w.nodes {
		if !n.up {
			continue
		}
		for _, pid := range n.pids() {
			rep := n.reps[pid]
			if rep.sm == nil {
				continue
			}
			p := w.truth.part(pid)
			if rep.sm.Status() == StatusPrimary {
				b := rep.sm.Ballot()
				if who, ok := p.primaryAt[b]; ok && who != n.addr {
					w.failf("%v: %v and %v are both primary at ballot %d", &pid, who, n.addr, b)
				}
				p.primaryAt[b] = n.addr
			}
			if rep.sm.CanRead() && rep.held == nil && rep.store.applied() < p.maxAcked {
				w.failf("%v: %v serves reads having applied %d, but decree %d was acknowledged", &pid, n.addr, rep.store.applied(), p.maxAcked)
			}
		}
	}
	for _, pid := range w.meta.pids() {
		p := w.truth.part(pid)
		if p.maxAcked == 0 {
			continue
		}
		cfg, _ := w.meta.config(pid)
		for _, m := range append([]netip.AddrPort{cfg.Primary}, cfg.Secondaries...) {
			if !m.IsValid() {
				continue
			}
			rep := w.nodes[w.index(m)].reps[pid]
			if rep == nil {
				w.failf("%v: member %v of %v stores nothing, but decree %d was acknowledged", &pid, m, cfg, p.maxAcked)
			}
			for d := rep.store.applied() + 1; d <= p.maxAcked; d++ {
				got, ok := rep.best[d]
				if !ok || !sameContent(got, p.committed[d]) {
					w.failf("%v: member %v of %v lost acknowledged decree %d (applied %d, logged %v %v, committed %v)",
						&pid, m, cfg, d, rep.store.applied(), ok, writeIDs(got), writeIDs(p.committed[d]))
				}
			}
		}
	}
}
