package pacifica

import (
	"net/netip"
	"slices"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// groupCheck sends every secondary and learner the configuration as it
// should hold it and the primary's commit point (design notes §3.6), and
// proposes an empty write if nothing was prepared for a whole period.
func (r *Replica) groupCheck() {
	watch := func(n netip.AddrPort) {
		if !slices.ContainsFunc(r.primary.checks, func(c peerCheck) bool { return c.node == n }) {
			r.primary.checks = append(r.primary.checks, peerCheck{node: n, since: r.now, lastSent: r.now})
		}
		r.sendGroupCheck(n)
	}
	for _, s := range r.config.Secondaries {
		watch(s)
	}
	for _, l := range r.primary.learners {
		watch(l.node)
	}
	if !r.opts.EmptyWriteDisabled && r.now-r.primary.lastPrepare >= int64(r.opts.GroupCheckTicks) &&
		len(r.primary.queue) == 0 && r.members() >= r.opts.MinReplicaCount &&
		r.list.maxDecree()-r.list.committed < int64(r.opts.StalenessForCommit) {
		r.prepareNew(Mutation{}, nil)
	}
}

// sendGroupCheck sends one member its group check; a learner's is also its
// invitation.
func (r *Replica) sendGroupCheck(n netip.AddrPort) {
	if l := r.learnerOf(n); l != nil {
		r.inviteLearner(l)
		return
	}
	r.send(Message{Type: MsgGroupCheck, To: n, Config: r.config, ReceiverStatus: StatusSecondary, Committed: r.list.committed})
}

// onGroupCheck answers a primary's group check on a secondary or learner:
// take on its configuration, commit up to its commit point, and for a
// learner move learning on.
func (r *Replica) onGroupCheck(m Message) {
	reply := Message{Type: MsgGroupCheckReply, To: m.From, Signature: m.Signature, AckBallot: m.Ballot}
	defer func() {
		reply.Committed, reply.Learner = r.list.committed, r.learn.phase
		r.send(reply)
	}()
	if m.Ballot < r.ballot {
		reply.Err = base.ERR_VERSION_OUTDATED
		return
	}
	if err := r.takeOn(m); err != nil {
		r.out.SyncConfig = true
		reply.Err = r.refusal()
		return
	}
	switch r.status {
	case StatusSecondary, StatusPotentialSecondary:
		reply.Err = base.ERR_OK
		r.noteCommitted(m.Committed)
		r.commitFollower()
		if r.status == StatusPotentialSecondary {
			r.nudgeLearning()
		}
	default:
		reply.Err = r.refusal()
	}
}

// onGroupCheckReply handles a member's answer on the primary.
func (r *Replica) onGroupCheckReply(m Message) {
	if m.Ballot > r.ballot {
		r.out.SyncConfig = true
	}
	if r.status != StatusPrimary || m.AckBallot != r.ballot {
		return // an answer to a check of an earlier configuration
	}
	if l := r.learnerOf(m.From); l != nil && m.Signature != l.signature {
		return // an answer to an invitation of an earlier learning round
	}
	i := slices.IndexFunc(r.primary.checks, func(c peerCheck) bool { return c.node == m.From })
	switch {
	case m.Err == base.ERR_OK:
		if i >= 0 {
			r.primary.checks = slices.Delete(r.primary.checks, i, i+1)
		}
		if m.Learner == LearnSucceeded {
			r.onLearnCompleted(m)
		}
	case m.Err == base.ERR_INACTIVE_STATE || m.Err == base.ERR_TRY_AGAIN:
		// Not yet back (restarting); the check times out if it stays so.
	case i >= 0 || r.learnerOf(m.From) != nil:
		r.remoteFailed(m.From, "group check answered "+string(m.Err))
	}
}
