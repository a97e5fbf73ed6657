package pacifica

import (
	"slices"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// A learn reply that leaves a gap before the prepare start an earlier
// reply of the same round fixed is stale, and the learner asks again
// instead of waiting for decrees nobody will send. The round here: a
// reply fixes prepares to start at 5 and asks for a copy of 1..4; the copy
// fails; then a stale reply with nothing in it arrives (a duplicate of an
// answer to an earlier request). Taking it for the last step left the
// learner in "with prepare" for good (simulation seed 3008658, 20% loss).
// The next, current reply, with the entries, completes the round.
func TestLearnerAsksAgainAfterAStaleReply(t *testing.T) {
	p, s1, l := node(1), node(2), node(3)
	g := newGroup(t, Options{}, p, s1)
	for tok := Token(1); tok <= 4; tok++ {
		g.reps[p].Propose(Write{Token: tok, Payload: []byte("x")})
		g.flush()
	}
	pr := g.reps[p]
	if pr.list.committed != 4 {
		t.Fatalf("the primary committed %d, want 4", pr.list.committed)
	}
	lr, err := Restore(l, pid, Options{}, Persisted{})
	if err != nil {
		t.Fatal(err)
	}
	// Only the invitation reaches the learner; its requests are dropped.
	pr.Proposal(Proposal{Type: typeAddSecondary, Node: l, Config: pr.config.Clone()})
	g.stepOnlyTo(p, lr)
	sig := lr.LearnSignature()
	reply := func(m Message) {
		t.Helper()
		m.Type, m.Pid, m.From, m.To, m.Ballot, m.Signature, m.Err = MsgLearnReply, pid, p, l, pr.Ballot(), sig, base.ERR_OK
		if err := lr.Step(m); err != nil {
			t.Fatal(err)
		}
	}

	reply(Message{PrepareStart: 5, CopyFrom: 1, CopyTo: 4})
	if lr.Learning() != LearnCopying {
		t.Fatalf("after a copy reply the learner is in phase %v", lr.Learning())
	}
	lr.Advance(lr.Ready())
	lr.LearnFailed(sig)
	lr.Advance(lr.Ready())

	reply(Message{}) // stale: no entries, no copy, no prepare start
	rd := lr.Ready()
	asked := slices.ContainsFunc(rd.Messages, func(m Message) bool { return m.Type == MsgLearn && m.To == p })
	lr.Advance(rd)
	if lr.Learning() != LearnWithoutPrepare || !asked {
		t.Fatalf("after a stale reply the learner is in phase %v and asked again: %v; want it to ask again", lr.Learning(), asked)
	}

	var entries []Mutation
	for d := int64(1); d <= 4; d++ {
		entries = append(entries, pr.list.get(d).mu)
	}
	reply(Message{PrepareStart: 5, Entries: entries})
	lr.Advance(lr.Ready()) // the entries are logged
	if lr.Learning() != LearnSucceeded || lr.Committed() != 4 {
		t.Errorf("after the entries the learner is in phase %v, committed %d; want succeeded at 4", lr.Learning(), lr.Committed())
	}
}
