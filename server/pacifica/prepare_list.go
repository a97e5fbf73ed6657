package pacifica

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
)

// entry is one decree's mutation in a replica's prepare list, with what
// the replica still owes or awaits for it.
type entry struct {
	mu Mutation
	// logged: the host has made mu durable in the mutation log (the Ready
	// carrying it was advanced).
	logged bool

	// Primary side. tokens are the local client writes mu carries, answered
	// when it commits; waiting lists the members whose ack is missing.
	tokens  []Token
	waiting []peerWait

	// Secondary side: the primary that asked for mu, owed an ack as soon as
	// it is logged.
	ackTo netip.AddrPort
}

// peerWait is an outstanding prepare to one member.
type peerWait struct {
	node    netip.AddrPort
	learner bool
	// sentAt is when the prepare was first sent (the timeout counts from
	// it), lastSent when it was last sent.
	sentAt, lastSent int64
}

var (
	errCommitted   = errors.New("decree already committed")
	errStaleBallot = errors.New("a higher ballot holds this decree")
	errListFull    = errors.New("prepare list full")
)

// prepareList holds the mutations a replica prepared and has not yet
// forgotten, indexed by decree, with its commit point (design notes §3.4).
// Committed entries stay until the list grows past its capacity, so that
// learners close behind can be served from memory; uncommitted entries are
// never evicted.
type prepareList struct {
	committed int64
	// ballot of the entry at committed, so commits never go back in ballot.
	committedBallot int64
	entries         map[int64]*entry
	// low is the lowest decree that may be held: everything below it was
	// evicted or dropped.
	low int64
	// top is the highest decree put and not dropped since.
	top      int64
	capacity int
	// limit bounds how far beyond the commit point a decree may be.
	limit int64
}

func newPrepareList(committed int64, capacity int, limit int64) *prepareList {
	return &prepareList{committed: committed, entries: map[int64]*entry{}, low: committed + 1, top: committed, capacity: capacity, limit: limit}
}

func (p *prepareList) get(d int64) *entry { return p.entries[d] }

// maxDecree is the highest decree held, or the commit point when nothing
// beyond it is held.
func (p *prepareList) maxDecree() int64 {
	return max(p.top, p.committed)
}

// lastPrepared is the highest decree reached by walking forward from the
// commit point over present, logged entries of non-decreasing ballot.
func (p *prepareList) lastPrepared() int64 {
	d, b := p.committed, p.committedBallot
	for {
		e := p.entries[d+1]
		if e == nil || !e.logged || e.mu.Ballot < b {
			return d
		}
		d, b = d+1, e.mu.Ballot
	}
}

// put stores e at its decree. An entry already there is replaced only by a
// higher ballot; at the same ballot the existing entry is kept and
// returned with stored = false.
func (p *prepareList) put(e *entry) (kept *entry, stored bool, err error) {
	d := e.mu.Decree
	if d <= p.committed {
		return nil, false, errCommitted
	}
	if d > p.committed+p.limit {
		return nil, false, fmt.Errorf("%w: decree %d, committed %d", errListFull, d, p.committed)
	}
	if old := p.entries[d]; old != nil {
		switch {
		case old.mu.Ballot > e.mu.Ballot:
			return nil, false, errStaleBallot
		case old.mu.Ballot == e.mu.Ballot:
			return old, false, nil
		}
	}
	p.entries[d] = e
	p.low = min(p.low, d)
	p.top = max(p.top, d)
	p.evict()
	return e, true, nil
}

// evict forgets the oldest committed entries beyond capacity.
func (p *prepareList) evict() {
	for len(p.entries) > p.capacity && p.low <= p.committed {
		delete(p.entries, p.low)
		p.low++
	}
}

// commit moves the commit point forward, up to to, over entries that are
// present, logged, of non-decreasing ballot and accepted by ready (nil
// accepts all). It stops at the first entry that is not, and returns the
// newly committed entries in decree order.
func (p *prepareList) commit(to int64, ready func(*entry) bool) []*entry {
	var out []*entry
	for p.committed < to {
		e := p.entries[p.committed+1]
		if e == nil || !e.logged || e.mu.Ballot < p.committedBallot || (ready != nil && !ready(e)) {
			break
		}
		p.committed++
		p.committedBallot = e.mu.Ballot
		out = append(out, e)
	}
	p.evict()
	return out
}

// dropUncommitted forgets every entry beyond the commit point prepared
// under a ballot lower than below (all of them for below = MaxInt64).
func (p *prepareList) dropUncommitted(below int64) {
	top := p.committed
	for _, d := range p.decrees(p.committed+1, p.maxDecree()) {
		if p.entries[d].mu.Ballot < below {
			delete(p.entries, d)
		} else {
			top = d
		}
	}
	p.top = top
}

// reset makes d the commit point after the host installed state up to d
// (a learned checkpoint): entries up to d go, entries beyond stay.
func (p *prepareList) reset(d int64) {
	for _, x := range p.decrees(p.low, d) {
		delete(p.entries, x)
	}
	if d > p.committed {
		p.committed, p.committedBallot = d, 0
	}
	p.low = d + 1
	p.top = max(p.top, p.committed)
}

// covers reports whether every decree in [from, to] is held.
func (p *prepareList) covers(from, to int64) bool {
	if from < p.low {
		return from > to
	}
	for d := from; d <= to; d++ {
		if p.entries[d] == nil {
			return false
		}
	}
	return true
}

// decrees lists the held decrees in [from, to], ascending.
func (p *prepareList) decrees(from, to int64) []int64 {
	var out []int64
	if to-from+1 > int64(len(p.entries)) {
		// Sparse: collect from the map and sort, rather than walk the range.
		for d := range p.entries {
			if d >= from && d <= to {
				out = append(out, d)
			}
		}
		slices.Sort(out)
		return out
	}
	for d := from; d <= to; d++ {
		if p.entries[d] != nil {
			out = append(out, d)
		}
	}
	return out
}
