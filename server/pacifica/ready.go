package pacifica

import (
	"net/netip"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// HardState is what a replica must find again after a restart besides its
// log: the ballot it last accepted (.init-info upstream). Ballots never go
// backwards, so it is persisted before the replica acts on a new one.
type HardState struct {
	Ballot int64
}

// Committed is a mutation to apply to storage, in decree order. On the
// primary that prepared it, Tokens are its local client writes: the host
// answers each with the result of applying it.
type Committed struct {
	Mutation Mutation
	Tokens   []Token
}

// Reply answers a client write that will not be answered by a Committed
// entry. Err is
//
//   - ERR_INVALID_STATE, ERR_NOT_ENOUGH_MEMBER or ERR_CAPACITY_EXCEEDED: the
//     write was refused before it got a decree; it was surely not executed
//     and may be retried as is;
//   - ERR_TIMEOUT: the write was prepared but this replica stopped being
//     primary before it committed; it may or may not be committed by a
//     later primary.
type Reply struct {
	Token Token
	Err   base.Errno
}

// ConfigRequest asks the meta server to change the partition's
// configuration (RPC_CM_UPDATE_PARTITION_CONFIGURATION with
// configuration_update_request{config, type, node}). Config is the whole
// proposed configuration at the current ballot + 1. The replica repeats
// the request every Options.ConfigRetryTicks until the host hands it an
// answer (ConfigReply).
type ConfigRequest struct {
	Type   admin.ConfigType
	Node   netip.AddrPort
	Config Config
	// Committed is the replica's commit point (the request's
	// last_committed_decree hint).
	Committed int64
}

// LearnTask asks the learner's host to copy committed state from the
// primary: everything in (From-1, To], as a checkpoint of decree ≥ To
// and/or mutation log from From. FromScratch means the local state
// diverged and must be discarded first. When the copied state is durable
// the host calls LearnInstalled with the decree it now holds, or
// LearnFailed.
type LearnTask struct {
	Signature   uint64
	Primary     netip.AddrPort
	From, To    int64
	FromScratch bool
}

// Ready is everything the outside world must do for a replica. The host
// handles it in this order, then calls Advance:
//
//  1. persist HardState (when set) and append Entries to the mutation log,
//     durably (see Options for why acks depend on it);
//  2. apply Committed to storage in order, answering their Tokens;
//  3. send Messages, Replies and ConfigRequests, start LearnTask;
//  4. Advance(rd).
//
// Steps 1 and 2 may run concurrently. Messages never depend on the same
// Ready's Entries being durable (acks are only produced after the Advance
// that confirms the log write), but they may depend on HardState, and a
// learn reply on storage holding what Committed applies.
type Ready struct {
	HardState      *HardState
	Entries        []Mutation
	Committed      []Committed
	Messages       []Message
	Replies        []Reply
	ConfigRequests []ConfigRequest
	LearnTask      *LearnTask
	// SyncConfig says the replica saw a newer configuration it could not
	// take on by itself: the host should run a config sync with the meta
	// soon.
	SyncConfig bool
}

// empty reports whether there is nothing to do.
func (rd *Ready) empty() bool {
	return rd.HardState == nil && len(rd.Entries) == 0 && len(rd.Committed) == 0 && len(rd.Messages) == 0 &&
		len(rd.Replies) == 0 && len(rd.ConfigRequests) == 0 && rd.LearnTask == nil && !rd.SyncConfig
}

// HasReady reports whether Ready would return anything.
func (r *Replica) HasReady() bool { return !r.out.empty() }

// Ready returns what the host must do now and starts collecting the next
// Ready. The host calls Advance with it once done; other methods may be
// called in between, and their effects go to the next Ready.
func (r *Replica) Ready() Ready {
	rd := r.out
	r.out = Ready{}
	return rd
}

// Advance tells the replica that the host has handled rd: its entries are
// logged, its committed mutations applied. Acks owed for the logged
// entries go into the next Ready, and commits that waited for them happen.
func (r *Replica) Advance(rd Ready) {
	for _, m := range rd.Entries {
		e := r.list.get(m.Decree)
		if e == nil || e.mu.Ballot != m.Ballot || e.logged {
			continue // replaced or dropped since; its successor is logged on its own
		}
		e.logged = true
		if e.ackTo.IsValid() {
			r.ack(e.ackTo, e.mu, base.ERR_OK)
			e.ackTo = netip.AddrPort{}
		}
	}
	if n := len(rd.Committed); n > 0 {
		r.applied = max(r.applied, rd.Committed[n-1].Mutation.Decree)
	}
	r.afterLogged()
}

func (r *Replica) send(m Message) {
	m.Pid, m.From = r.pid, r.self
	if m.Ballot == 0 {
		m.Ballot = r.ballot
	}
	r.out.Messages = append(r.out.Messages, m)
}

func (r *Replica) reply(t Token, err base.Errno) {
	r.out.Replies = append(r.out.Replies, Reply{Token: t, Err: err})
}

func (r *Replica) persist(m Mutation) { r.out.Entries = append(r.out.Entries, m) }

func (r *Replica) hand(es []*entry) {
	for _, e := range es {
		r.lastTimestampUs = max(r.lastTimestampUs, e.mu.TimestampUs)
		r.out.Committed = append(r.out.Committed, Committed{Mutation: e.mu, Tokens: e.tokens})
		e.tokens = nil
	}
}
