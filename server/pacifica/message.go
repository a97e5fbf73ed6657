package pacifica

import (
	"fmt"
	"net/netip"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// MsgType names a replica-to-replica message. Each maps to an upstream
// RPC; the host chooses the wire encoding.
type MsgType int

// The replica-to-replica messages.
const (
	// MsgPrepare (RPC_PREPARE): primary → secondary or learner. Carries
	// Config and ReceiverStatus (the configuration as the receiver should
	// see it), Signature for learners, and Mutation.
	MsgPrepare MsgType = iota + 1
	// MsgPrepareAck: the answer to MsgPrepare, sent only once Mutation is
	// logged. Err, Decree and AckBallot (the mutation's ballot) identify
	// it; Ballot is the sender's ballot; Committed its commit point.
	MsgPrepareAck
	// MsgGroupCheck (RPC_GROUP_CHECK, also RPC_LEARN_ADD_LEARNER): primary →
	// secondaries and learners. Config, ReceiverStatus, Signature and
	// Committed (the primary's commit point).
	MsgGroupCheck
	// MsgGroupCheckReply: Err, Ballot, AckBallot (the ballot of the check
	// answered), Committed, and for learners Signature and Learner (its
	// learning phase).
	MsgGroupCheckReply
	// MsgLearn (RPC_LEARN): learner → primary. Signature and Committed (the
	// learner's commit point).
	MsgLearn
	// MsgLearnReply: primary → learner. Err, Signature, Ballot, and one of:
	// Entries (committed mutations from the primary's prepare list, the
	// learner logs them) or a copy range CopyFrom..CopyTo (with FromScratch)
	// that the hosts transfer as a checkpoint and/or log; PrepareStart is
	// the decree from which the learner receives prepares (0: not yet).
	MsgLearnReply
	// MsgLearnCompleted (RPC_LEARN_COMPLETION_NOTIFY): learner → primary,
	// Signature.
	MsgLearnCompleted
)

var msgNames = map[MsgType]string{
	MsgPrepare: "prepare", MsgPrepareAck: "prepare_ack", MsgGroupCheck: "group_check",
	MsgGroupCheckReply: "group_check_reply", MsgLearn: "learn", MsgLearnReply: "learn_reply",
	MsgLearnCompleted: "learn_completed",
}

func (t MsgType) String() string {
	if s, ok := msgNames[t]; ok {
		return s
	}
	return fmt.Sprintf("MsgType(%d)", int(t))
}

// LearnPhase is a learner's progress (learner_status upstream).
type LearnPhase int

// The learning phases.
const (
	LearnNone LearnPhase = iota
	// LearnWithoutPrepare: asked the primary, waiting for its answer;
	// prepares are refused with ERR_TRY_AGAIN.
	LearnWithoutPrepare
	// LearnCopying: the host copies state from the primary.
	LearnCopying
	// LearnWithPrepare: receives and logs prepares from PrepareStart on,
	// and is completing its state below it.
	LearnWithPrepare
	// LearnSucceeded: complete; waiting to be upgraded to secondary.
	LearnSucceeded
)

func (p LearnPhase) String() string {
	return [...]string{"none", "without_prepare", "copying", "with_prepare", "succeeded"}[p]
}

// Message is one replica-to-replica message. Which fields are set depends
// on Type; all carry the partition, sender, receiver and the sender's
// ballot.
type Message struct {
	Type     MsgType
	Pid      base.Gpid
	From, To netip.AddrPort
	Ballot   int64
	Err      base.Errno

	// Config and ReceiverStatus: the configuration the receiver is asked to
	// hold, and its own status in it (prepares and group checks).
	Config         Config
	ReceiverStatus Status
	Signature      uint64

	Mutation  Mutation // MsgPrepare
	Decree    int64    // MsgPrepareAck
	AckBallot int64    // MsgPrepareAck, MsgGroupCheckReply
	Committed int64

	Learner      LearnPhase // MsgGroupCheckReply
	Entries      []Mutation // MsgLearnReply
	PrepareStart int64      // MsgLearnReply
	CopyFrom     int64      // MsgLearnReply
	CopyTo       int64      // MsgLearnReply
	FromScratch  bool       // MsgLearnReply
}

func (m Message) String() string {
	s := fmt.Sprintf("%v %v→%v %d.%d b%d", m.Type, m.From, m.To, m.Pid.Appid, m.Pid.PartitionIndex, m.Ballot)
	if m.Err != "" && m.Err != base.ERR_OK {
		s += " " + string(m.Err)
	}
	switch m.Type {
	case MsgPrepare:
		s += fmt.Sprintf(" d%d/b%d lc%d", m.Mutation.Decree, m.Mutation.Ballot, m.Mutation.LastCommitted)
	case MsgPrepareAck:
		s += fmt.Sprintf(" d%d/b%d", m.Decree, m.AckBallot)
	case MsgGroupCheckReply:
		s += fmt.Sprintf(" re b%d sig%d c%d %v", m.AckBallot, m.Signature, m.Committed, m.Learner)
	case MsgGroupCheck, MsgLearn:
		s += fmt.Sprintf(" %v sig%d c%d %v", m.ReceiverStatus, m.Signature, m.Committed, m.Learner)
	case MsgLearnReply:
		s += fmt.Sprintf(" sig%d entries %d copy [%d,%d] start %d", m.Signature, len(m.Entries), m.CopyFrom, m.CopyTo, m.PrepareStart)
	}
	return s
}
