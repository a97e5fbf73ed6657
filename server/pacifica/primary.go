package pacifica

import (
	"fmt"
	"math"
	"net/netip"
	"slices"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// primaryState is what only a primary keeps.
type primaryState struct {
	queue []Write
	// readFence is the highest decree held when this replica became
	// primary; reads wait until it is applied.
	readFence int64
	// lastPrepare is when a mutation was last prepared (empty writes fill
	// idle group-check periods).
	lastPrepare    int64
	nextGroupCheck int64
	checks         []peerCheck
	learners       []*learnerEntry
	// sigBallot and sigCount make learner signatures: ballot<<32 | count,
	// unique across primaries and increasing.
	sigBallot int64
	sigCount  uint64
}

// peerCheck is an unanswered group check: first sent at since, last
// sent at lastSent.
type peerCheck struct {
	node            netip.AddrPort
	since, lastSent int64
}

// Propose hands a client write to the replica. A primary queues it and
// prepares it as soon as the in-flight bound allows; it is answered by the
// Committed entry that carries its token, or by a Reply.
func (r *Replica) Propose(w Write) {
	if r.enqueue(w) {
		r.proposeQueued()
	}
}

// ProposeAll hands several client writes to the replica at once, as
// Propose does one by one, except that the batchable ones among them may
// share mutations even while fewer than StalenessForCommit mutations are
// in flight: a host that collects the writes arriving while it waits on
// its disk passes them here, so one mutation (one prepare per member, one
// log record, one storage batch) carries them all.
func (r *Replica) ProposeAll(ws []Write) {
	queued := false
	for _, w := range ws {
		queued = r.enqueue(w) || queued
	}
	if queued {
		r.proposeQueued()
	}
}

// enqueue queues a write on a primary that can take it, or refuses it.
func (r *Replica) enqueue(w Write) bool {
	switch {
	case r.status != StatusPrimary:
		r.reply(w.Token, base.ERR_INVALID_STATE)
	case r.members() < r.opts.MinReplicaCount:
		r.reply(w.Token, base.ERR_NOT_ENOUGH_MEMBER)
	case len(r.primary.queue) >= r.opts.MaxQueuedWrites:
		r.reply(w.Token, base.ERR_CAPACITY_EXCEEDED)
	default:
		r.primary.queue = append(r.primary.queue, w)
		return true
	}
	return false
}

// members counts the primary and its secondaries.
func (r *Replica) members() int { return 1 + len(r.config.Secondaries) }

// proposeQueued prepares queued writes while fewer than
// StalenessForCommit mutations are in flight.
func (r *Replica) proposeQueued() {
	for r.status == StatusPrimary && len(r.primary.queue) > 0 &&
		r.list.maxDecree()-r.list.committed < int64(r.opts.StalenessForCommit) {
		q := r.primary.queue
		n, size := 1, len(q[0].Payload)
		if q[0].Batchable {
			for n < len(q) && n < r.opts.MaxBatchWrites && q[n].Batchable && size+len(q[n].Payload) <= r.opts.MaxBatchBytes {
				size += len(q[n].Payload)
				n++
			}
		}
		batch := q[:n:n]
		r.primary.queue = q[n:]
		if len(r.primary.queue) == 0 {
			r.primary.queue = nil
		}
		mu := Mutation{Updates: make([][]byte, len(batch))}
		tokens := make([]Token, len(batch))
		for i, w := range batch {
			mu.Updates[i], tokens[i] = w.Payload, w.Token
			mu.TimestampUs = max(mu.TimestampUs, w.TimestampUs)
		}
		r.prepareNew(mu, tokens)
	}
}

// prepareNew gives mu the next decree under the current ballot and starts
// its two-phase commit.
func (r *Replica) prepareNew(mu Mutation, tokens []Token) {
	mu.Ballot, mu.Decree = r.ballot, r.list.maxDecree()+1
	mu.TimestampUs = max(mu.TimestampUs, r.lastTimestampUs+1)
	r.lastTimestampUs = mu.TimestampUs
	r.startPrepare(&entry{mu: mu, tokens: tokens})
}

// startPrepare puts e into the prepare list, asks the host to log it and
// sends it to every member that must ack it.
func (r *Replica) startPrepare(e *entry) {
	e.mu.LastCommitted = r.list.committed
	if _, stored, err := r.list.put(e); err != nil || !stored {
		return // cannot happen: the primary writes above everything it holds
	}
	r.persist(e.mu)
	r.primary.lastPrepare = r.now
	r.sendPrepares(e)
}

// sendPrepares records and sends e's prepares to the secondaries and to
// learners that receive prepares from e's decree on.
func (r *Replica) sendPrepares(e *entry) {
	e.waiting = e.waiting[:0]
	for _, s := range r.config.Secondaries {
		e.waiting = append(e.waiting, peerWait{node: s, sentAt: r.now, lastSent: r.now})
		r.sendPrepare(s, e.mu)
	}
	for _, l := range r.primary.learners {
		if l.prepareStart > 0 && l.prepareStart <= e.mu.Decree {
			e.waiting = append(e.waiting, peerWait{node: l.node, learner: true, sentAt: r.now, lastSent: r.now})
			r.sendPrepare(l.node, e.mu)
		}
	}
}

func (r *Replica) sendPrepare(to netip.AddrPort, mu Mutation) {
	mu.LastCommitted = r.list.committed // the freshest commit point is the best hint
	m := Message{Type: MsgPrepare, To: to, Config: r.config, ReceiverStatus: StatusSecondary, Mutation: mu}
	if l := r.learnerOf(to); l != nil {
		m.ReceiverStatus, m.Signature = StatusPotentialSecondary, l.signature
	}
	r.send(m)
}

// onPrepareAck counts a member's ack, or handles its failure.
func (r *Replica) onPrepareAck(m Message) {
	if m.Ballot > r.ballot {
		r.out.SyncConfig = true
	}
	if r.status != StatusPrimary || m.AckBallot != r.ballot || m.Decree <= r.list.committed {
		return
	}
	e := r.list.get(m.Decree)
	if e == nil || e.mu.Ballot != m.AckBallot {
		return
	}
	i := slices.IndexFunc(e.waiting, func(w peerWait) bool { return w.node == m.From })
	if i < 0 {
		return
	}
	switch m.Err {
	case base.ERR_OK:
		e.waiting = slices.Delete(e.waiting, i, i+1)
		r.tryCommit()
	case base.ERR_INACTIVE_STATE, base.ERR_TRY_AGAIN:
		// Resent by tickPrimary until the prepare times out.
	default:
		r.remoteFailed(m.From, "prepare answered "+string(m.Err))
	}
}

// tryCommit commits, in decree order, every mutation that every member has
// logged (design notes §3.4, COMMIT_ALL_READY), then prepares more.
func (r *Replica) tryCommit() {
	if r.status != StatusPrimary {
		return
	}
	es := r.list.commit(r.list.maxDecree(), r.readyToCommit)
	r.hand(es)
	if len(es) > 0 {
		r.proposeQueued()
	}
}

func (r *Replica) readyToCommit(e *entry) bool {
	if e.mu.Ballot != r.ballot {
		return false
	}
	if r.opts.bugs.commitOnMajority {
		return len(e.waiting) <= (r.members()-1)/2
	}
	return len(e.waiting) == 0
}

// becomePrimary starts serving as primary: reconciliation re-prepares
// every uncommitted decree under the current ballot (an empty write where
// the list has a hole: nothing there can have been acknowledged), and
// reads wait until all of it is applied.
func (r *Replica) becomePrimary(wasPrimary bool) {
	p := &r.primary
	if !wasPrimary {
		p.queue = nil
	}
	if r.opts.bugs.noReconciliation {
		r.list.dropUncommitted(math.MaxInt64)
	}
	p.readFence = r.list.maxDecree()
	p.checks = nil
	p.learners = slices.DeleteFunc(p.learners, func(l *learnerEntry) bool { return r.config.IsMember(l.node) })
	p.nextGroupCheck = r.now // tell the members about the new configuration at once
	p.lastPrepare = r.now
	ts := int64(0)
	for d := r.list.committed + 1; d <= p.readFence; d++ {
		old := r.list.get(d)
		if old != nil && old.mu.Ballot == r.ballot {
			ts = old.mu.TimestampUs
			r.sendPrepares(old) // back at the same ballot: only the acks are new
			continue
		}
		e := &entry{mu: Mutation{Ballot: r.ballot, Decree: d, TimestampUs: ts}}
		if old != nil {
			e.mu.Updates, e.mu.TimestampUs, e.tokens = old.mu.Updates, old.mu.TimestampUs, old.tokens
		}
		ts = e.mu.TimestampUs
		r.startPrepare(e)
	}
	r.primary.nextGroupCheck = r.now
	r.tickPrimary()
	r.tryCommit()
}

// stopPrimary stops two-phase commit when the replica leaves PRIMARY.
// Queued writes never got a decree and are refused.
func (r *Replica) stopPrimary() {
	for _, w := range r.primary.queue {
		r.reply(w.Token, base.ERR_INVALID_STATE)
	}
	r.primary.queue = nil
	r.primary.checks = nil
	for _, d := range r.list.decrees(r.list.committed+1, r.list.maxDecree()) {
		r.list.get(d).waiting = nil
	}
}

// forgetPrimary drops what a former primary kept while it might come back
// (transient INACTIVE): its learners, and the tokens of writes it prepared,
// answered ERR_TIMEOUT — a later primary may still commit them.
func (r *Replica) forgetPrimary() {
	r.dropTokens()
	r.primary.learners = nil
}

// dropTokens answers every prepared but uncommitted write ERR_TIMEOUT.
func (r *Replica) dropTokens() {
	for _, d := range r.list.decrees(r.list.committed+1, r.list.maxDecree()) {
		e := r.list.get(d)
		for _, t := range e.tokens {
			r.reply(t, base.ERR_TIMEOUT)
		}
		e.tokens = nil
	}
}

// tickPrimary resends unacknowledged prepares, times out members that do
// not answer, and runs the group check.
func (r *Replica) tickPrimary() {
	type failure struct {
		node netip.AddrPort
		why  string
	}
	var failed []failure
	for _, d := range r.list.decrees(r.list.committed+1, r.list.maxDecree()) {
		e := r.list.get(d)
		for i := range e.waiting {
			w := &e.waiting[i]
			timeout := r.opts.PrepareTimeoutTicks
			if w.learner {
				timeout = r.opts.LearnerPrepareTimeoutTicks
			}
			switch {
			case r.now-w.sentAt > int64(timeout):
				failed = append(failed, failure{w.node, fmt.Sprintf("prepare of decree %d timed out", d)})
			case r.now-w.lastSent >= int64(r.opts.ResendTicks):
				w.lastSent = r.now
				r.sendPrepare(w.node, e.mu)
			}
		}
	}
	for i := range r.primary.checks {
		c := &r.primary.checks[i]
		switch {
		case r.now-c.since > int64(r.opts.GroupCheckTimeoutTicks):
			failed = append(failed, failure{c.node, "group check timed out"})
		case r.now-c.lastSent >= int64(r.opts.ResendTicks):
			c.lastSent = r.now
			r.sendGroupCheck(c.node)
		}
	}
	for _, f := range failed {
		if r.status != StatusPrimary {
			break
		}
		r.remoteFailed(f.node, f.why)
	}
	if r.status == StatusPrimary && r.now >= r.primary.nextGroupCheck {
		r.primary.nextGroupCheck = r.now + int64(r.opts.GroupCheckTicks)
		r.groupCheck()
	}
}

// remoteFailed handles a member that failed a prepare or group check: a
// learner is dropped from learning; a secondary is removed from the
// configuration through the meta (design notes §3.9.2).
func (r *Replica) remoteFailed(n netip.AddrPort, why string) {
	r.debug("member failed", "member", n, "why", why)
	if r.learnerOf(n) != nil {
		r.dropLearner(n)
		return
	}
	if slices.Contains(r.config.Secondaries, n) {
		r.request(r.config, typeDowngradeToInactive, n)
	}
}
