package pacifica

import (
	"net/netip"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

const (
	typeAssignPrimary       = admin.ConfigType_CT_ASSIGN_PRIMARY
	typeUpgradeToPrimary    = admin.ConfigType_CT_UPGRADE_TO_PRIMARY
	typeAddSecondary        = admin.ConfigType_CT_ADD_SECONDARY
	typeAddSecondaryForLB   = admin.ConfigType_CT_ADD_SECONDARY_FOR_LB
	typeUpgradeToSecondary  = admin.ConfigType_CT_UPGRADE_TO_SECONDARY
	typeDowngradeToInactive = admin.ConfigType_CT_DOWNGRADE_TO_INACTIVE
	typeDowngradeToSecond   = admin.ConfigType_CT_DOWNGRADE_TO_SECONDARY
	typeRemove              = admin.ConfigType_CT_REMOVE
	typeForceUpdateBallot   = admin.ConfigType_CT_PRIMARY_FORCE_UPDATE_BALLOT
)

// Proposal is a configuration proposal from the meta server
// (RPC_CONFIG_PROPOSAL): change Type about Node, based on Config, the
// configuration the meta holds.
type Proposal struct {
	Type   admin.ConfigType
	Node   netip.AddrPort
	Config Config
}

// Proposal acts on a meta proposal (design notes §3.9.1,
// on_config_proposal). Stale proposals, and any while a change of ours is
// in flight, are ignored; a newer configuration is taken on first — by a
// learner only once its learning succeeded and the configuration lists it
// as a secondary (learnedInto). A proposal based on exactly the
// configuration a change of ours asked for answers that change first
// (answers): a balancer proposes its next step as soon as it stores the
// last one, before our reply arrives.
func (r *Replica) Proposal(p Proposal) {
	r.answers(p.Config)
	if r.status == StatusError || p.Config.Ballot < r.ballot || r.pending != nil {
		return
	}
	if p.Config.Ballot > r.ballot && (r.status != StatusPotentialSecondary || r.learnedInto(p.Config)) {
		if err := r.adopt(p.Config, p.Config.statusOf(r.self)); err != nil && r.leaveIfCountedOn(p.Config) {
			return
		}
	}
	switch p.Type {
	case typeAssignPrimary:
		if p.Node == r.self && !p.Config.Primary.IsValid() && len(p.Config.Secondaries) == 0 && r.status != StatusPotentialSecondary {
			r.request(p.Config, typeAssignPrimary, r.self)
		}
	case typeUpgradeToPrimary:
		if p.Node == r.self && r.status == StatusSecondary && r.ballot == p.Config.Ballot {
			r.request(p.Config, typeUpgradeToPrimary, r.self)
		}
	case typeAddSecondary, typeAddSecondaryForLB:
		if r.status == StatusPrimary && r.ballot == p.Config.Ballot {
			r.addLearner(p.Node, p.Type == typeAddSecondaryForLB)
		}
	case typeDowngradeToInactive, typeRemove, typeDowngradeToSecond:
		if r.status == StatusPrimary && r.ballot == p.Config.Ballot {
			r.request(r.config, p.Type, p.Node)
		}
	}
}

// learnedInto reports whether a learner may take on cfg as a secondary: its
// learning succeeded and cfg, newer than what it holds, lists it as one.
// The meta lists a learner as a secondary only once the primary asked for
// it on hearing that this learning succeeded (a stale listing from an
// earlier membership has a lower ballot than the invitation this learning
// began at). Usually the primary's next group check tells the learner; a
// proposal that follows the upgrade at once — a balancer moving the
// primary to the new member — may come first, and ignoring it would leave
// the partition without a primary until the meta asks again.
func (r *Replica) learnedInto(cfg Config) bool {
	return r.status == StatusPotentialSecondary && r.learn.phase == LearnSucceeded &&
		cfg.Ballot > r.ballot && cfg.statusOf(r.self) == StatusSecondary
}

// request asks the meta to make change typ about node n to base (path (a)
// of design notes §3.9.1). Until the meta answers the replica is transient
// INACTIVE: no writes, no reads, no commits.
func (r *Replica) request(base Config, typ admin.ConfigType, n netip.AddrPort) {
	if r.pending != nil {
		return
	}
	next, ok := base.next(typ, n, r.self)
	if !ok {
		return
	}
	r.debug("asking the meta", "type", typ, "about", n, "config", next)
	r.pending = &ConfigRequest{Type: typ, Node: n, Config: next, Committed: r.list.committed}
	r.pendingSentAt = r.now
	r.out.ConfigRequests = append(r.out.ConfigRequests, *r.pending)
	if r.status != StatusInactive || !r.transient {
		r.setStatus(StatusInactive, true)
	}
}

// ConfigReply hands the replica the meta's answer to one of its
// ConfigRequests: the error and the configuration the meta now stores.
func (r *Replica) ConfigReply(req ConfigRequest, err base.Errno, stored Config) {
	p := r.pending
	if p == nil || req.Type != p.Type || req.Node != p.Node || req.Config.Ballot != p.Config.Ballot {
		return // an answer to an older request
	}
	switch err {
	case base.ERR_OK:
		r.pending = nil
		st := stored.statusOf(r.self)
		if st == StatusInactive && r.status == StatusPotentialSecondary {
			return
		}
		if e := r.adopt(stored, st); e != nil {
			r.out.SyncConfig = true
		}
	case base.ERR_INVALID_VERSION:
		r.pending = nil
		if stored.Ballot > r.ballot {
			r.takeFromMeta(stored)
		}
	case base.ERR_TRY_AGAIN, base.ERR_BUSY, base.ERR_TIMEOUT, base.ERR_STATE_FREEZED, base.ERR_NETWORK_FAILURE,
		base.ERR_FORWARD_TO_OTHERS:
		// Retried on the next ConfigRetryTicks.
	default:
		// Refused for good: stay transient INACTIVE; the next config sync
		// brings the replica back to what the meta holds.
		r.pending = nil
		r.out.SyncConfig = true
	}
}

// ConfigFromMeta hands the replica the meta's configuration of its
// partition, from a config sync that lists this server as a member
// (design notes §3.10, on_config_sync).
func (r *Replica) ConfigFromMeta(cfg Config) {
	if r.status == StatusError || cfg.Ballot < r.ballot {
		return
	}
	if r.answers(cfg) {
		return // our request was taken; its answer got lost
	}
	if r.pending != nil && cfg.Ballot <= r.ballot {
		return // our request is still open: wait for its answer
	}
	r.takeFromMeta(cfg)
}

// takeFromMeta adopts a configuration the meta stores.
func (r *Replica) takeFromMeta(cfg Config) {
	st := cfg.statusOf(r.self)
	switch {
	case r.initializing && st == StatusPrimary:
		// Restarted while the meta kept it primary: serve only at a new
		// ballot (design notes §3.9.4).
		r.request(cfg, typeForceUpdateBallot, r.self)
		return
	case r.status == StatusPotentialSecondary && st == StatusInactive:
		return // learners are not listed; the primary drives them
	case r.status == st && cfg.Ballot == r.ballot && st != StatusInactive:
		return
	}
	if err := r.adopt(cfg, st); err != nil {
		r.leaveIfCountedOn(cfg)
	}
}

// leaveIfCountedOn is for a replica that could not take on cfg, a newer
// configuration of the meta's that counts on it. It asks to be removed
// when nobody else would remove it and the partition would stay without a
// primary: when cfg has it primary, or has it secondary with no primary
// while it was dropped here (INACTIVE, not transient: it must learn before
// it serves, so the meta's proposals to promote it go unanswered, and no
// primary's group check drops it). Then the meta can move on: to another
// secondary, or, with no member left, to the last holder. Any write
// committed while it was a member carries its ack, so the remaining
// members, or with none the last holder, hold it. It reports whether it
// asked.
func (r *Replica) leaveIfCountedOn(cfg Config) bool {
	switch cfg.statusOf(r.self) {
	case StatusPrimary:
	case StatusSecondary:
		if cfg.Primary.IsValid() || r.status != StatusInactive || r.transient {
			return false // a primary will drop it, or it was not dropped
		}
	default:
		return false
	}
	r.request(cfg, typeDowngradeToInactive, r.self)
	return true
}

// answers takes cfg, a configuration the meta stores, as the answer to our
// pending request if it is exactly what that request asked for: the meta
// took the request, and its reply is lost or still on the way. It reports
// whether it did.
func (r *Replica) answers(cfg Config) bool {
	q := r.pending
	if q == nil || r.status == StatusError || cfg.Ballot != q.Config.Ballot || !sameMembers(cfg, q.Config) {
		return false
	}
	r.ConfigReply(*q, base.ERR_OK, cfg)
	return true
}

// NotListed tells the replica that the meta's answer to a config sync,
// asked while the replica was at askedBallot, did not list this server
// for its partition. It reports whether the host may close the replica
// (keeping its data on disk): not while it learns or waits for a change it
// asked for, and not when it has taken a newer configuration since the
// ask — the meta may have answered before storing that one (a learner the
// primary has just made a secondary, say), so the answer says nothing
// about it; the next sync will.
func (r *Replica) NotListed(askedBallot int64) bool {
	if r.status == StatusPotentialSecondary || r.pending != nil || r.ballot > askedBallot {
		return false
	}
	if r.status != StatusInactive || r.transient {
		r.setStatus(StatusInactive, false)
	}
	return true
}
