package pacifica

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// Learning brings a new replica up to date before it joins as a secondary
// (design notes §3.11, simplified as §13.2 suggests):
//
//  1. The meta proposes CT_ADD_SECONDARY to the primary, which invites the
//     node with a fresh signature (a group check saying
//     POTENTIAL_SECONDARY); every later group check repeats the invitation.
//  2. The learner drops its uncommitted entries and sends MsgLearn with its
//     commit point c.
//  3. The primary answers. If its prepare list still holds every decree
//     after c, it fixes the learner's PrepareStart at its own commit
//     point + 1 (from then on the learner gets every prepare and each
//     commit waits for its ack) and sends the committed mutations
//     (c, PrepareStart) along. Otherwise it names a copy range: the hosts
//     transfer a checkpoint (and/or log) covering it, and the learner asks
//     again once installed, usually landing in the first case.
//  4. A learner whose state reaches PrepareStart−1 has everything
//     committed before it started receiving prepares and has logged every
//     prepare since: it tells the primary, which asks the meta for
//     CT_UPGRADE_TO_SECONDARY. The next prepare or group check at the new
//     ballot makes it a secondary.
//
// The signature fences everything: stale invitations, replies and
// completions carry an older one and are ignored.

// learnerEntry is a learner as the primary tracks it.
type learnerEntry struct {
	node      netip.AddrPort
	signature uint64
	// prepareStart is the first decree the learner receives prepares for;
	// 0 until the primary fixes it.
	prepareStart int64
}

// learnerState is learning as the learner tracks it.
type learnerState struct {
	signature    uint64
	phase        LearnPhase
	primary      netip.AddrPort
	prepareStart int64
	fromScratch  bool
	sentAt       int64
}

func (r *Replica) learnerOf(n netip.AddrPort) *learnerEntry {
	for _, l := range r.primary.learners {
		if l.node == n {
			return l
		}
	}
	return nil
}

// addLearner invites node n to learn (add_potential_secondary), unless the
// group is already full or n already learns.
func (r *Replica) addLearner(n netip.AddrPort, forBalancer bool) {
	if r.config.IsMember(n) || !n.IsValid() {
		return
	}
	if l := r.learnerOf(n); l != nil {
		r.inviteLearner(l)
		return
	}
	limit := int(r.config.MaxReplicaCount) - 1
	if forBalancer {
		limit++
	}
	if len(r.config.Secondaries)+len(r.primary.learners) >= limit {
		return
	}
	p := &r.primary
	if p.sigBallot != r.ballot {
		p.sigBallot, p.sigCount = r.ballot, 0
	}
	p.sigCount++
	l := &learnerEntry{node: n, signature: uint64(r.ballot)<<32 | p.sigCount}
	p.learners = append(p.learners, l)
	r.inviteLearner(l)
}

// signatureBallot is the ballot at which a learner signature was made.
func signatureBallot(sig uint64) int64 { return int64(sig >> 32) }

func (r *Replica) inviteLearner(l *learnerEntry) {
	r.send(Message{Type: MsgGroupCheck, To: l.node, Config: r.config, ReceiverStatus: StatusPotentialSecondary,
		Signature: l.signature, Committed: r.list.committed})
}

// dropLearner forgets a learner that failed; commits stop waiting for it.
func (r *Replica) dropLearner(n netip.AddrPort) {
	r.primary.learners = slices.DeleteFunc(r.primary.learners, func(l *learnerEntry) bool { return l.node == n })
	r.primary.checks = slices.DeleteFunc(r.primary.checks, func(c peerCheck) bool { return c.node == n })
	for _, d := range r.list.decrees(r.list.committed+1, r.list.maxDecree()) {
		e := r.list.get(d)
		e.waiting = slices.DeleteFunc(e.waiting, func(w peerWait) bool { return w.node == n })
	}
	r.tryCommit()
}

// startLearning takes an invitation with a new signature.
func (r *Replica) startLearning(m Message) error {
	if err := canMove(localState{r.status, r.ballot, r.transient}, StatusPotentialSecondary, m.Ballot); err != nil {
		return err
	}
	r.setBallot(m.Ballot)
	r.config = m.Config.Clone()
	r.setStatus(StatusPotentialSecondary, false)
	r.learn = learnerState{signature: m.Signature, phase: LearnWithoutPrepare, primary: m.From}
	// Uncommitted entries from before the inviting primary took this
	// learner on go: the group may have overwritten them while this
	// replica was away. Entries it sent since stay: it may have counted
	// their acks towards commits (this replica lost its learning state to
	// a restart or a lost lease and is invited again with the same
	// signature). The signature's high half is the ballot at which the
	// primary took the learner on, and it has been primary ever since.
	r.list.dropUncommitted(signatureBallot(m.Signature))
	r.commitHint = r.list.committed
	r.sendLearn()
	return nil
}

func (r *Replica) sendLearn() {
	r.learn.sentAt = r.now
	r.send(Message{Type: MsgLearn, To: r.learn.primary, Signature: r.learn.signature, Committed: r.list.committed})
}

// nudgeLearning runs on every group check a learner receives.
func (r *Replica) nudgeLearning() {
	switch r.learn.phase {
	case LearnWithoutPrepare:
		if r.now-r.learn.sentAt >= int64(r.opts.LearnRetryTicks) {
			r.sendLearn()
		}
	case LearnSucceeded:
		r.send(Message{Type: MsgLearnCompleted, To: r.learn.primary, Signature: r.learn.signature})
	}
}

func (r *Replica) tickLearner() {
	switch r.learn.phase {
	case LearnWithoutPrepare, LearnSucceeded:
		if r.now-r.learn.sentAt >= int64(r.opts.LearnRetryTicks) {
			if r.learn.phase == LearnSucceeded {
				r.learn.sentAt = r.now
				r.send(Message{Type: MsgLearnCompleted, To: r.learn.primary, Signature: r.learn.signature})
			} else {
				r.sendLearn()
			}
		}
	}
}

// onLearn answers a learner on the primary (on_learn).
func (r *Replica) onLearn(m Message) {
	reply := Message{Type: MsgLearnReply, To: m.From, Signature: m.Signature, Err: base.ERR_OK}
	defer func() { r.send(reply) }()
	l := r.learnerOf(m.From)
	switch {
	case r.status != StatusPrimary:
		reply.Err = r.refusal()
		return
	case l == nil:
		reply.Err = base.ERR_OBJECT_NOT_FOUND
		return
	case l.signature != m.Signature:
		reply.Err = base.ERR_WRONG_CHECKSUM
		return
	}
	c, committed := m.Committed, r.list.committed
	switch {
	case c > r.list.maxDecree():
		// The learner holds decrees this group never had: its state
		// diverged and must be replaced entirely.
		reply.FromScratch, reply.CopyFrom, reply.CopyTo = true, 1, committed
	case c > committed:
		// A former primary that knows more commits than this one does yet:
		// reconciliation will catch up; ask again later.
		reply.Err = base.ERR_INCONSISTENT_STATE
	case l.prepareStart > 0 || r.list.covers(c+1, committed):
		if l.prepareStart == 0 {
			l.prepareStart = committed + 1
			r.forwardInFlight(l)
		}
		reply.PrepareStart = l.prepareStart
		to := l.prepareStart - 1
		switch {
		case c >= to:
		case r.list.covers(c+1, to):
			for d := c + 1; d <= to; d++ {
				reply.Entries = append(reply.Entries, r.list.get(d).mu)
			}
		default:
			reply.CopyFrom, reply.CopyTo = c+1, to
		}
	default:
		reply.CopyFrom, reply.CopyTo = c+1, committed
	}
}

// forwardInFlight makes a learner, whose prepares start now, part of every
// uncommitted mutation's commit.
func (r *Replica) forwardInFlight(l *learnerEntry) {
	for _, d := range r.list.decrees(l.prepareStart, r.list.maxDecree()) {
		e := r.list.get(d)
		e.waiting = append(e.waiting, peerWait{node: l.node, learner: true, sentAt: r.now, lastSent: r.now})
		r.sendPrepare(l.node, e.mu)
	}
}

// onLearnReply takes the primary's answer on the learner.
func (r *Replica) onLearnReply(m Message) {
	if r.status != StatusPotentialSecondary || m.Signature != r.learn.signature || r.learn.phase != LearnWithoutPrepare {
		return
	}
	switch m.Err {
	case base.ERR_OK:
	case base.ERR_INCONSISTENT_STATE, base.ERR_TRY_AGAIN, base.ERR_INACTIVE_STATE:
		return // asked again after LearnRetryTicks
	default:
		r.setStatus(StatusInactive, false) // dropped by the primary; it may invite again
		return
	}
	if m.PrepareStart > 0 {
		r.learn.prepareStart = m.PrepareStart
		r.noteCommitted(m.PrepareStart - 1)
	}
	if r.opts.bugs.learnerSkips && len(m.Entries) > 0 {
		r.list.reset(m.Entries[len(m.Entries)-1].Decree)
	}
	for _, mu := range m.Entries {
		if mu.Decree <= r.list.committed {
			continue
		}
		if _, stored, err := r.list.put(&entry{mu: mu}); err == nil && stored {
			r.persist(mu)
		}
	}
	if m.CopyTo >= m.CopyFrom && (m.FromScratch || m.CopyTo > r.list.committed) {
		r.learn.phase, r.learn.fromScratch = LearnCopying, m.FromScratch
		r.out.LearnTask = &LearnTask{Signature: r.learn.signature, Primary: m.From, From: m.CopyFrom, To: m.CopyTo, FromScratch: m.FromScratch}
		return
	}
	if r.learn.prepareStart == 0 || !r.list.covers(r.list.committed+1, r.learn.prepareStart-1) {
		// Nothing fixes where prepares start yet, or this reply leaves a gap
		// before that point: a stale one (a duplicate, or an answer to a
		// request made before a copy this learner has installed since)
		// arriving after another reply of the round fixed it. Taking it
		// for the last step left the learner waiting for decrees nobody
		// would send (simulation seed 3008658, 20% message loss): ask
		// again.
		r.sendLearn()
		return
	}
	r.learn.phase = LearnWithPrepare
	r.commitFollower()
}

// LearnSignature is the signature of the learning round in progress, so a
// host can check that a copy it finished still belongs to it before
// installing it.
func (r *Replica) LearnSignature() uint64 { return r.learn.signature }

// LearnInstalled tells a learner that its host installed copied state:
// storage now holds every decree up to decree, durably.
func (r *Replica) LearnInstalled(signature uint64, decree int64) error {
	if r.status != StatusPotentialSecondary || signature != r.learn.signature || r.learn.phase != LearnCopying {
		return fmt.Errorf("replica %d.%d: no learning with signature %d to install", r.pid.Appid, r.pid.PartitionIndex, signature)
	}
	if r.learn.fromScratch {
		r.list = newPrepareList(decree, r.opts.PrepareListCapacity, r.list.limit)
	} else {
		r.list.reset(decree)
	}
	r.applied = decree
	r.commitHint = max(r.commitHint, decree)
	if r.learn.prepareStart > 0 && decree >= r.learn.prepareStart-1 {
		r.learn.phase = LearnWithPrepare
		r.commitFollower()
		return nil
	}
	r.learn.phase = LearnWithoutPrepare
	r.sendLearn()
	return nil
}

// LearnFailed tells a learner its host could not copy the state; it asks
// the primary again.
func (r *Replica) LearnFailed(signature uint64) {
	if r.status == StatusPotentialSecondary && signature == r.learn.signature && r.learn.phase == LearnCopying {
		r.learn.phase = LearnWithoutPrepare
		r.sendLearn()
	}
}

// checkLearned completes learning once the learner holds everything before
// its prepare start.
func (r *Replica) checkLearned() {
	if r.learn.phase != LearnWithPrepare || r.list.committed < r.learn.prepareStart-1 {
		return
	}
	r.learn.phase, r.learn.sentAt = LearnSucceeded, r.now
	r.send(Message{Type: MsgLearnCompleted, To: r.learn.primary, Signature: r.learn.signature})
}

// onLearnCompleted upgrades a learner that finished (on the primary) —
// once it has also logged every mutation this primary holds beyond its
// commit point. Those may have been committed by an earlier primary even
// though this one does not know it yet, and every member of the new
// configuration must hold whatever may be committed.
func (r *Replica) onLearnCompleted(m Message) {
	l := r.learnerOf(m.From)
	if r.status != StatusPrimary || l == nil || l.signature != m.Signature || l.prepareStart == 0 {
		return
	}
	for _, d := range r.list.decrees(r.list.committed+1, r.list.maxDecree()) {
		if slices.ContainsFunc(r.list.get(d).waiting, func(w peerWait) bool { return w.node == l.node }) {
			return // the learner says it again until this holds
		}
	}
	r.request(r.config, typeUpgradeToSecondary, l.node)
}
