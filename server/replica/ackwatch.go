package replica

import (
	"net/netip"
	"time"
)

// prepareAcks times a primary's prepares until each secondary acks them:
// from the prepare's hand-over to the peer sender to the ack's arrival at
// the replica's event loop, which owns it. A resent prepare keeps its
// first send time, so a slow secondary shows as slow; one sent again under
// a higher ballot (the replica is primary again) starts afresh.
type prepareAcks struct {
	sent map[prepareKey]prepareSent
}

type prepareSent struct {
	at     time.Time
	ballot int64
}

type prepareKey struct {
	decree int64
	peer   netip.AddrPort
}

// forgetAckAfter: a prepare its secondary has not acked for this long (the
// secondary died or left the group) is no longer timed.
const forgetAckAfter = time.Minute

// prepared records a prepare of decree sent to peer at now under ballot.
func (p *prepareAcks) prepared(decree, ballot int64, peer netip.AddrPort, now time.Time) {
	if p.sent == nil {
		p.sent = map[prepareKey]prepareSent{}
	}
	k := prepareKey{decree, peer}
	if s, ok := p.sent[k]; !ok || s.ballot < ballot {
		p.sent[k] = prepareSent{now, ballot}
	}
}

// acked returns how long peer took to ack decree, if its prepare was timed.
func (p *prepareAcks) acked(decree int64, peer netip.AddrPort, now time.Time) (time.Duration, bool) {
	k := prepareKey{decree, peer}
	s, ok := p.sent[k]
	if !ok {
		return 0, false
	}
	delete(p.sent, k)
	return now.Sub(s.at), true
}

// expire forgets prepares sent before now - forgetAckAfter.
func (p *prepareAcks) expire(now time.Time) {
	for k, s := range p.sent {
		if now.Sub(s.at) > forgetAckAfter {
			delete(p.sent, k)
		}
	}
}
