package pacifica

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// A hand-driven group for scenario tests: messages are held until the
// test delivers them, and Readies are handled only when it says so.
type group struct {
	t     *testing.T
	reps  map[netip.AddrPort]*Replica
	held  map[netip.AddrPort]*Ready // taken but not yet persisted
	inbox []Message
	done  map[Token]int64 // answered writes: token → decree
	errs  map[Token]base.Errno
	reqs  []ConfigRequest
}

var pid = base.Gpid{Appid: 1, PartitionIndex: 0}

func newGroup(t *testing.T, opts Options, primary netip.AddrPort, secondaries ...netip.AddrPort) *group {
	g := &group{t: t, reps: map[netip.AddrPort]*Replica{}, held: map[netip.AddrPort]*Ready{},
		done: map[Token]int64{}, errs: map[Token]base.Errno{}}
	cfg := Config{Pid: pid, Ballot: 1, MaxReplicaCount: 3, Primary: primary, Secondaries: secondaries}
	for _, n := range append([]netip.AddrPort{primary}, secondaries...) {
		r, err := Restore(n, pid, opts, Persisted{})
		if err != nil {
			t.Fatal(err)
		}
		g.reps[n] = r
	}
	// The primary takes its ballot through the meta (forced ballot
	// update), the secondaries from a config sync.
	p := g.reps[primary]
	p.ConfigFromMeta(Config{Pid: pid, Primary: primary, Secondaries: secondaries, MaxReplicaCount: 3})
	rd := p.Ready()
	if len(rd.ConfigRequests) != 1 || rd.ConfigRequests[0].Type != admin.ConfigType_CT_PRIMARY_FORCE_UPDATE_BALLOT {
		t.Fatalf("a restarted primary asks %+v, want a forced ballot update", rd.ConfigRequests)
	}
	p.Advance(rd)
	p.ConfigReply(rd.ConfigRequests[0], base.ERR_OK, cfg)
	for _, s := range secondaries {
		g.reps[s].ConfigFromMeta(cfg)
	}
	g.flush()
	return g
}

// step handles n's Ready, unless hold is set: then it is kept unpersisted.
func (g *group) step(n netip.AddrPort) {
	r := g.reps[n]
	if g.held[n] != nil || !r.HasReady() {
		return
	}
	rd := r.Ready()
	for _, c := range rd.Committed {
		for _, tok := range c.Tokens {
			g.done[tok] = c.Mutation.Decree
		}
	}
	for _, rep := range rd.Replies {
		g.errs[rep.Token] = rep.Err
	}
	g.inbox = append(g.inbox, rd.Messages...)
	g.reqs = append(g.reqs, rd.ConfigRequests...)
	r.Advance(rd)
}

// hold takes n's next Ready and keeps it unpersisted until release.
func (g *group) hold(n netip.AddrPort) {
	rd := g.reps[n].Ready()
	g.held[n] = &rd
}

func (g *group) release(n netip.AddrPort) {
	rd := g.held[n]
	delete(g.held, n)
	g.inbox = append(g.inbox, rd.Messages...)
	g.reps[n].Advance(*rd)
}

// stepOnlyTo handles from's Ready and delivers what it sent to r alone
// (everything else is lost), then persists r's Ready, whose messages are
// lost too.
func (g *group) stepOnlyTo(from netip.AddrPort, r *Replica) {
	g.step(from)
	for _, m := range g.inbox {
		if m.To == r.self {
			if err := r.Step(m); err != nil {
				g.t.Fatal(err)
			}
		}
	}
	g.inbox = nil
	r.Advance(r.Ready())
}

// pending reports whether a replica that is not held has a Ready.
func (g *group) pending() bool {
	for n, r := range g.reps {
		if g.held[n] == nil && r.HasReady() {
			return true
		}
	}
	return false
}

// flush delivers every message and handles every Ready until quiet.
func (g *group) flush() {
	for range 100 {
		for n := range g.reps {
			g.step(n)
		}
		if len(g.inbox) == 0 && !g.pending() {
			return
		}
		in := g.inbox
		g.inbox = nil
		for _, m := range in {
			r := g.reps[m.To]
			if r == nil {
				continue // to a replica that is gone
			}
			if err := r.Step(m); err != nil {
				g.t.Fatal(err)
			}
		}
	}
	g.t.Fatal("the group does not settle")
}

func TestWriteCommitsOnlyOnceEveryMemberLogged(t *testing.T) {
	p, s1, s2 := node(1), node(2), node(3)
	g := newGroup(t, Options{}, p, s1, s2)
	g.reps[p].Propose(Write{Token: 7, Payload: []byte("x"), Batchable: true})
	g.step(p)
	g.flush() // s1 and s2 get the prepare...
	if _, ok := g.done[7]; !ok {
		t.Fatal("write not committed after every member logged it")
	}

	g.reps[p].Propose(Write{Token: 8, Payload: []byte("y")})
	g.step(p)
	in := g.inbox
	g.inbox = nil
	for _, m := range in {
		g.reps[m.To].Step(m)
	}
	g.hold(s2) // s2's log write has not completed
	g.flush()
	if _, ok := g.done[8]; ok {
		t.Fatal("write committed while a secondary had not logged it")
	}
	g.release(s2)
	g.flush()
	if d := g.done[8]; d != 2 {
		t.Fatalf("write answered at decree %d, want 2", d)
	}
	for _, n := range []netip.AddrPort{s1, s2} {
		if c := g.reps[n].Committed(); c < 1 {
			t.Errorf("secondary %v committed %d, want the piggybacked commit point ≥ 1", n, c)
		}
	}
}

func TestWriteRefusals(t *testing.T) {
	p, s1 := node(1), node(2)
	g := newGroup(t, Options{MaxQueuedWrites: 1, StalenessForCommit: 1, PrepareListCapacity: 4}, p, s1)
	g.reps[s1].Propose(Write{Token: 1})
	g.reps[p].Propose(Write{Token: 2}) // prepared: in flight
	g.reps[p].Propose(Write{Token: 3}) // queued behind the in-flight bound
	g.reps[p].Propose(Write{Token: 4}) // the queue is full
	g.step(s1)
	g.step(p)
	if g.errs[1] != base.ERR_INVALID_STATE || g.errs[4] != base.ERR_CAPACITY_EXCEEDED || g.errs[2] != "" || g.errs[3] != "" {
		t.Fatalf("answers %v, want 1 ERR_INVALID_STATE and 4 ERR_CAPACITY_EXCEEDED only", g.errs)
	}
	g.flush()
	if g.done[2] != 1 || g.done[3] != 2 {
		t.Fatalf("committed %v, want 2 at decree 1 and 3 at 2", g.done)
	}

	lone := newGroup(t, Options{}, node(9))
	lone.reps[node(9)].Propose(Write{Token: 5})
	lone.step(node(9))
	if lone.errs[5] != base.ERR_NOT_ENOUGH_MEMBER {
		t.Fatalf("a lone primary answers %v, want ERR_NOT_ENOUGH_MEMBER", lone.errs[5])
	}
}

func TestSecondaryFencesBallots(t *testing.T) {
	p, s1 := node(1), node(2)
	g := newGroup(t, Options{}, p, s1)
	s := g.reps[s1]
	cfg := g.reps[p].Config()

	stale := Message{Type: MsgPrepare, Pid: pid, From: p, To: s1, Ballot: 0, Config: cfg, ReceiverStatus: StatusSecondary,
		Mutation: Mutation{Ballot: 0, Decree: 1}}
	s.Step(stale)
	rd := s.Ready()
	if len(rd.Messages) != 1 || rd.Messages[0].Err != base.ERR_VERSION_OUTDATED || rd.Messages[0].Ballot != 1 || len(rd.Entries) != 0 {
		t.Fatalf("a stale prepare gets %v and logs %d entries, want ERR_VERSION_OUTDATED at ballot 1 and none", rd.Messages, len(rd.Entries))
	}
	s.Advance(rd)

	next := cfg.Clone()
	next.Ballot = 3
	newer := Message{Type: MsgPrepare, Pid: pid, From: p, To: s1, Ballot: 3, Config: next, ReceiverStatus: StatusSecondary,
		Mutation: Mutation{Ballot: 3, Decree: 1, Updates: [][]byte{[]byte("z")}}}
	s.Step(newer)
	rd = s.Ready()
	if s.Ballot() != 3 || rd.HardState == nil || rd.HardState.Ballot != 3 || len(rd.Entries) != 1 {
		t.Fatalf("a newer prepare: ballot %d, hard state %v, %d entries; want ballot 3 persisted and the entry logged", s.Ballot(), rd.HardState, len(rd.Entries))
	}
	if len(rd.Messages) != 0 {
		t.Fatalf("acked %v before the entry was logged", rd.Messages)
	}
	s.Advance(rd)
	rd = s.Ready()
	if len(rd.Messages) != 1 || rd.Messages[0].Type != MsgPrepareAck || rd.Messages[0].Err != base.ERR_OK {
		t.Fatalf("after the log write: %v, want an OK ack", rd.Messages)
	}
}

func TestNewPrimaryReconcilesBeforeReads(t *testing.T) {
	p, s1, s2 := node(1), node(2), node(3)
	g := newGroup(t, Options{}, p, s1, s2)
	g.reps[p].Propose(Write{Token: 1, Payload: []byte("a")})
	g.step(p)
	g.flush()
	// Decree 2 reaches s1 only: the old primary dies before s2 logs it.
	g.reps[p].Propose(Write{Token: 2, Payload: []byte("b")})
	g.step(p)
	for _, m := range g.inbox {
		if m.To == s1 {
			g.reps[s1].Step(m)
		}
	}
	g.inbox = nil
	g.step(s1)
	g.inbox = nil
	delete(g.reps, p)

	// The meta removes p (ballot 2) and promotes s1 (ballot 3).
	n := g.reps[s1]
	n.Proposal(Proposal{Type: typeUpgradeToPrimary, Node: s1, Config: Config{Pid: pid, Ballot: 2, MaxReplicaCount: 3, Secondaries: []netip.AddrPort{s1, s2}}})
	g.step(s1)
	if len(g.reqs) == 0 || g.reqs[len(g.reqs)-1].Type != typeUpgradeToPrimary {
		t.Fatalf("requests %v, want an upgrade to primary", g.reqs)
	}
	req := g.reqs[len(g.reqs)-1]
	g.reps[s2].ConfigFromMeta(Config{Pid: pid, Ballot: 2, MaxReplicaCount: 3, Secondaries: []netip.AddrPort{s1, s2}})
	g.step(s2)
	n.ConfigReply(req, base.ERR_OK, req.Config)
	if n.Status() != StatusPrimary || n.CanRead() {
		t.Fatalf("new primary: status %v, can read %v; want primary, not readable before reconciliation", n.Status(), n.CanRead())
	}
	g.flush()
	if !n.CanRead() || n.Committed() != 2 {
		t.Fatalf("after reconciliation: can read %v, committed %d; want readable with decree 2 committed", n.CanRead(), n.Committed())
	}
	if s := g.reps[s2]; s.LastPrepared() < 2 {
		t.Fatalf("s2 holds up to %d, want the re-prepared decree 2", s.LastPrepared())
	}
}

// TestProposeAllBatchesWritesIntoOneMutation: writes handed over together
// share a mutation (batchable ones), answered each by its own token; a
// non-batchable write gets a mutation of its own.
func TestProposeAllBatchesWritesIntoOneMutation(t *testing.T) {
	p, s1, s2 := node(1), node(2), node(3)
	g := newGroup(t, Options{}, p, s1, s2)
	g.reps[p].ProposeAll([]Write{
		{Token: 1, Payload: []byte("a"), Batchable: true},
		{Token: 2, Payload: []byte("b"), Batchable: true},
		{Token: 3, Payload: []byte("c"), Batchable: true},
		{Token: 4, Payload: []byte("cas")},
	})
	before := g.reps[p].LastPrepared()
	g.step(p)
	g.flush()
	for tok := Token(1); tok <= 4; tok++ {
		if _, ok := g.done[tok]; !ok {
			t.Fatalf("write %d not committed", tok)
		}
	}
	if got := g.reps[p].Committed() - before; got != 2 {
		t.Fatalf("4 writes (3 batchable, 1 not) took %d decrees, want 2", got)
	}
	if g.done[1] != g.done[3] || g.done[4] == g.done[1] {
		t.Fatalf("decrees by token: %v; the batchable writes must share one, the other its own", g.done)
	}
}

// An idle primary proposes an empty write once every group check period,
// so an idle partition's decree grows by one a period; with empty writes
// disabled it stays put.
func TestIdlePrimaryEmptyWrites(t *testing.T) {
	for _, disabled := range []bool{false, true} {
		p, s1, s2 := node(1), node(2), node(3)
		g := newGroup(t, Options{GroupCheckTicks: 4, EmptyWriteDisabled: disabled}, p, s1, s2)
		g.reps[p].Propose(Write{Token: 1, Payload: []byte("x"), Batchable: true})
		g.flush()
		start := g.reps[p].Committed()
		const periods = 5
		for range periods * 4 {
			for _, r := range g.reps {
				r.Tick()
			}
			g.flush()
		}
		grew := g.reps[p].Committed() - start
		switch {
		case disabled && grew != 0:
			t.Errorf("empty writes disabled: the idle primary committed %d decrees in %d periods", grew, periods)
		case !disabled && (grew < periods-1 || grew > periods):
			t.Errorf("the idle primary committed %d decrees in %d group check periods, want one a period", grew, periods)
		}
		for _, s := range []netip.AddrPort{s1, s2} {
			if c := g.reps[s].Committed(); c < start-1 {
				t.Errorf("disabled=%v: secondary %v committed %d, primary %d", disabled, s, c, start)
			}
		}
	}
}

// A learner whose learning succeeded takes on a newer configuration that
// lists it as a secondary from a meta proposal, before its primary's group
// check says so: a balancer moving the primary to the new member proposes
// the upgrade at once, and the partition must not wait out a retry without
// a primary. A learner still learning ignores such a proposal.
func TestLearnedLearnerTakesUpgradeProposal(t *testing.T) {
	for _, learned := range []bool{true, false} {
		p, s1, l := node(1), node(2), node(3)
		g := newGroup(t, Options{}, p, s1)
		g.reps[p].Propose(Write{Token: 1, Payload: []byte("x"), Batchable: true})
		g.flush()
		lr, err := Restore(l, pid, Options{}, Persisted{})
		if err != nil {
			t.Fatal(err)
		}
		g.reps[l] = lr
		g.reps[p].Proposal(Proposal{Type: typeAddSecondary, Node: l, Config: g.reps[p].config.Clone()})
		if learned {
			g.flush()
		} else {
			// The invitation reaches the learner; its learn request does not
			// reach the primary.
			g.stepOnlyTo(p, lr)
		}
		if learned != (lr.Learning() == LearnSucceeded) {
			t.Fatalf("learned=%v: the learner is in phase %v", learned, lr.Learning())
		}
		// The meta took the primary's upgrade of the learner (its answer to
		// the primary is held back), then downgraded the primary and asks
		// the new member to take over.
		up := g.reps[p].config.Clone()
		up.Ballot++
		up.Secondaries = append(up.Secondaries, l)
		down := up.Clone()
		down.Ballot++
		down.Primary = netip.AddrPort{}
		down.Secondaries = append(down.Secondaries, p)
		lr.Proposal(Proposal{Type: typeUpgradeToPrimary, Node: l, Config: down})
		rd := lr.Ready()
		asked := len(rd.ConfigRequests) == 1 && rd.ConfigRequests[0].Type == typeUpgradeToPrimary && rd.ConfigRequests[0].Node == l
		switch {
		case learned && !asked:
			t.Errorf("a learner that finished ignored the upgrade proposal: requests %+v, status %v", rd.ConfigRequests, lr.Status())
		case !learned && (len(rd.ConfigRequests) > 0 || lr.Status() != StatusPotentialSecondary):
			t.Errorf("a learner still learning acted on the proposal: requests %+v, status %v", rd.ConfigRequests, lr.Status())
		}
		lr.Advance(rd)
	}
}

// A config sync asked while a learner was still learning may be answered
// before the meta stores the learner as a secondary, and land after the
// primary's group check made it one. That answer does not list the
// replica, and must not close it: its ballot moved since the ask. A sync
// asked at its current ballot that still does not list it may.
func TestStaleSyncAnswerKeepsNewSecondary(t *testing.T) {
	p, s1, l := node(1), node(2), node(3)
	g := newGroup(t, Options{}, p, s1)
	lr, err := Restore(l, pid, Options{}, Persisted{})
	if err != nil {
		t.Fatal(err)
	}
	g.reps[l] = lr
	g.reps[p].Proposal(Proposal{Type: typeAddSecondary, Node: l, Config: g.reps[p].config.Clone()})
	g.flush()
	if lr.Learning() != LearnSucceeded {
		t.Fatalf("the learner is in phase %v", lr.Learning())
	}
	asked := lr.Ballot() // the sync leaves while it is a learner
	var up ConfigRequest
	for _, q := range g.reqs {
		if q.Type == admin.ConfigType_CT_UPGRADE_TO_SECONDARY && q.Node == l {
			up = q
		}
	}
	if up.Node != l {
		t.Fatalf("the primary asked %+v, want the learner's upgrade", g.reqs)
	}
	g.reps[p].ConfigReply(up, base.ERR_OK, up.Config)
	g.flush()
	if lr.Status() != StatusSecondary || lr.Ballot() != up.Config.Ballot {
		t.Fatalf("after the upgrade the learner is %v at ballot %d, want secondary at %d", lr.Status(), lr.Ballot(), up.Config.Ballot)
	}
	if lr.NotListed(asked) {
		t.Errorf("an answer to a sync asked at ballot %d closed the secondary at ballot %d", asked, lr.Ballot())
	}
	if lr.Status() != StatusSecondary {
		t.Errorf("the stale answer turned the secondary %v", lr.Status())
	}
	if !lr.NotListed(lr.Ballot()) {
		t.Error("a sync asked at the replica's own ballot that does not list it may close it")
	}
}

// A proposal based on exactly the configuration the primary's own pending
// request asked for answers that request (the meta stored it; its reply is
// still on the way), and the proposal is acted on at once. One based on
// other members at that ballot is not taken for an answer.
func TestProposalAnswersPendingRequest(t *testing.T) {
	for _, matching := range []bool{true, false} {
		p, s1, s2, s3 := node(1), node(2), node(3), node(4)
		g := newGroup(t, Options{}, p, s1, s2)
		pr := g.reps[p]
		pr.Proposal(Proposal{Type: typeRemove, Node: s2, Config: pr.config.Clone()})
		rd := pr.Ready()
		if len(rd.ConfigRequests) != 1 || rd.ConfigRequests[0].Type != typeRemove {
			t.Fatalf("the primary asked %+v, want the removal of %v", rd.ConfigRequests, s2)
		}
		pr.Advance(rd)
		stored := rd.ConfigRequests[0].Config.Clone()
		if !matching {
			stored.Secondaries = []netip.AddrPort{s2}
		}
		pr.Proposal(Proposal{Type: typeAddSecondary, Node: s3, Config: stored})
		rd = pr.Ready()
		invited := slices.ContainsFunc(rd.Messages, func(m Message) bool {
			return m.To == s3 && m.Type == MsgGroupCheck && m.ReceiverStatus == StatusPotentialSecondary
		})
		switch {
		case matching && (pr.Status() != StatusPrimary || pr.Ballot() != stored.Ballot || !invited):
			t.Errorf("matching proposal: status %v at ballot %d, learner invited %v; want primary at %d inviting %v",
				pr.Status(), pr.Ballot(), invited, stored.Ballot, s3)
		case !matching && (pr.Status() == StatusPrimary || invited):
			t.Errorf("a proposal on other members answered the pending request: status %v, learner invited %v", pr.Status(), invited)
		}
		pr.Advance(rd)
	}
}
