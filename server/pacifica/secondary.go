package pacifica

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// onPrepare handles a prepare on a secondary or learner (design notes
// §3.3, on_prepare): fence by ballot, take on a newer configuration, log
// the mutation and ack once it is logged.
func (r *Replica) onPrepare(m Message) {
	mu := m.Mutation
	if m.Ballot < r.ballot || mu.Ballot < r.ballot {
		r.ack(m.From, mu, base.ERR_VERSION_OUTDATED)
		return
	}
	if err := r.takeOn(m); err != nil {
		r.out.SyncConfig = true
		r.ack(m.From, mu, r.refusal())
		return
	}
	switch r.status {
	case StatusSecondary:
	case StatusPotentialSecondary:
		if r.learn.prepareStart == 0 {
			r.ack(m.From, mu, base.ERR_TRY_AGAIN) // the learn reply has not arrived yet
			return
		}
	default:
		r.ack(m.From, mu, r.refusal())
		return
	}
	r.noteCommitted(mu.LastCommitted)
	if mu.Decree <= r.list.committed {
		r.ack(m.From, mu, base.ERR_OK)
		r.commitFollower()
		return
	}
	e, stored, err := r.list.put(&entry{mu: mu})
	switch {
	case errors.Is(err, errCommitted):
		r.ack(m.From, mu, base.ERR_OK)
	case errors.Is(err, errListFull):
		r.ack(m.From, mu, base.ERR_CAPACITY_EXCEEDED)
	case err != nil:
		r.ack(m.From, mu, base.ERR_INVALID_STATE)
	case !stored && e.logged:
		r.ack(m.From, mu, base.ERR_OK) // a resend of what we logged already
	default:
		if stored {
			r.persist(mu)
			r.lastTimestampUs = max(r.lastTimestampUs, mu.TimestampUs)
		}
		e.ackTo = m.From
	}
	r.commitFollower()
}

// refusal is the error a replica that cannot take prepares answers with.
func (r *Replica) refusal() base.Errno {
	if r.Transient() {
		return base.ERR_INACTIVE_STATE
	}
	return base.ERR_INVALID_STATE
}

func (r *Replica) ack(to netip.AddrPort, mu Mutation, err base.Errno) {
	r.send(Message{Type: MsgPrepareAck, To: to, Err: err, Decree: mu.Decree, AckBallot: mu.Ballot, Committed: r.list.committed})
}

// noteCommitted records a commit point learned from the primary.
func (r *Replica) noteCommitted(d int64) { r.commitHint = max(r.commitHint, d) }

// commitFollower commits, on a secondary or learner, up to the commit
// point learned from the primary, as far as logged entries reach.
func (r *Replica) commitFollower() {
	if r.status == StatusPrimary {
		return
	}
	r.hand(r.list.commit(r.commitHint, nil))
	if r.status == StatusPotentialSecondary {
		r.checkLearned()
	}
}

// afterLogged runs when Advance marked entries logged.
func (r *Replica) afterLogged() {
	switch r.status {
	case StatusPrimary:
		r.tryCommit()
	case StatusSecondary, StatusPotentialSecondary, StatusInactive:
		r.commitFollower()
	}
}

// takeOn applies the configuration a primary's prepare or group check
// carries, when its ballot is at least ours. Learners are identified by
// signature: a group check with a new signature is an invitation to learn.
func (r *Replica) takeOn(m Message) error {
	if m.ReceiverStatus == StatusPotentialSecondary {
		if r.status == StatusPotentialSecondary && m.Signature == r.learn.signature {
			if m.Ballot > r.ballot {
				r.setBallot(m.Ballot)
				r.config = m.Config.Clone()
			}
			return nil
		}
		if m.Type != MsgGroupCheck {
			return fmt.Errorf("prepare for learner signature %d, learning %d", m.Signature, r.learn.signature)
		}
		if r.status == StatusPotentialSecondary && m.Signature < r.learn.signature {
			return fmt.Errorf("stale learner signature %d < %d", m.Signature, r.learn.signature)
		}
		return r.startLearning(m)
	}
	if m.Ballot == r.ballot && r.status == m.ReceiverStatus {
		return nil
	}
	return r.adopt(m.Config, m.ReceiverStatus)
}
