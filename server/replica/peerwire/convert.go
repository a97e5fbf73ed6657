package peerwire

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
)

// Between pacifica.Message and replication.PeerMessage. An optional field
// is left out exactly when its value is the zero value, and an absent one
// reads as the zero value, so every message survives the trip; empty lists
// read as nil.

// wireBlock is everything one message's peer_message points to apart from
// its lists, allocated at once: a prepare is sent for every write.
type wireBlock struct {
	msg              replication.PeerMessage
	pid, cfgPid      base.Gpid
	from, to         base.RPCAddress
	primary          base.RPCAddress
	err              base.ErrorCode
	cfg              replication.ReplicaConfig
	mut              replication.MutationData
	status           admin.PartitionStatus
	learner          replication.LearnPhase
	signature        int64
	decree           int64
	ackBallot        int64
	committed        int64
	prepareStart     int64
	copyFrom, copyTo int64
	fromScratch      bool
}

// toWire builds the peer_message of e, which check has accepted.
func toWire(e Envelope) *replication.PeerMessage {
	m := &e.Msg
	b := new(wireBlock)
	pm := &b.msg
	b.pid, b.from, b.to = m.Pid, *base.RPCAddressFromRaw(rpcRaw(m.From)), *base.RPCAddressFromRaw(rpcRaw(m.To))
	pm.Pid, pm.FromNode, pm.ToNode, pm.Ballot = &b.pid, &b.from, &b.to, m.Ballot
	pm.App = e.App
	if e.SplitPartitionCount != 0 {
		c := e.SplitPartitionCount
		pm.SplitPartitionCount = &c
	}
	if e.SplitChildDecree != 0 {
		d := e.SplitChildDecree
		pm.SplitChildDecree = &d
	}
	pm.DupConfirmed = e.DupConfirmed
	if m.Err != "" {
		b.err.Errno, pm.Err = m.Err, &b.err
	}
	if !configIsZero(m.Config) {
		c := &m.Config
		b.cfgPid, b.primary = c.Pid, *base.RPCAddressFromRaw(rpcRaw(c.Primary))
		b.cfg = replication.ReplicaConfig{Pid: &b.cfgPid, Ballot: c.Ballot, MaxReplicaCount: c.MaxReplicaCount, Primary: &b.primary}
		if len(c.Secondaries) > 0 {
			addrs := make([]base.RPCAddress, len(c.Secondaries))
			b.cfg.Secondaries = make([]*base.RPCAddress, len(c.Secondaries))
			for i, s := range c.Secondaries {
				addrs[i] = *base.RPCAddressFromRaw(rpcRaw(s))
				b.cfg.Secondaries[i] = &addrs[i]
			}
		}
		pm.Config = &b.cfg
	}
	if m.ReceiverStatus != 0 {
		b.status, pm.ReceiverStatus = m.ReceiverStatus, &b.status
	}
	if !mutationIsZero(m.Mutation) {
		b.mut, pm.Mutation = mutationData(m.Mutation), &b.mut
	}
	set := func(v int64, slot *int64) *int64 {
		if v == 0 {
			return nil
		}
		*slot = v
		return slot
	}
	pm.Signature = set(int64(m.Signature), &b.signature)
	pm.Decree = set(m.Decree, &b.decree)
	pm.AckBallot = set(m.AckBallot, &b.ackBallot)
	pm.Committed = set(m.Committed, &b.committed)
	pm.PrepareStart = set(m.PrepareStart, &b.prepareStart)
	pm.CopyFrom = set(m.CopyFrom, &b.copyFrom)
	pm.CopyTo = set(m.CopyTo, &b.copyTo)
	if m.Learner != pacifica.LearnNone {
		b.learner, pm.Learner = replication.LearnPhase(m.Learner), &b.learner
	}
	if m.FromScratch {
		b.fromScratch, pm.FromScratch = true, &b.fromScratch
	}
	if len(m.Entries) > 0 {
		mds := make([]replication.MutationData, len(m.Entries))
		pm.Entries = make([]*replication.MutationData, len(m.Entries))
		for i, mu := range m.Entries {
			mds[i] = mutationData(mu)
			pm.Entries[i] = &mds[i]
		}
	}
	return pm
}

func mutationData(m pacifica.Mutation) replication.MutationData {
	return replication.MutationData{
		Ballot: m.Ballot, Decree: m.Decree, LastCommitted: m.LastCommitted, TimestampUs: m.TimestampUs,
		Updates: m.Updates,
	}
}

func configIsZero(c pacifica.Config) bool {
	return c.Pid == (base.Gpid{}) && c.Ballot == 0 && c.MaxReplicaCount == 0 && !c.Primary.IsValid() && len(c.Secondaries) == 0
}

func mutationIsZero(m pacifica.Mutation) bool {
	return m.Ballot == 0 && m.Decree == 0 && m.LastCommitted == 0 && m.TimestampUs == 0 && len(m.Updates) == 0
}

// fromWire reads a decoded peer_message of type t; check validates the
// values afterwards.
func fromWire(t pacifica.MsgType, pm *replication.PeerMessage) (Envelope, error) {
	if pm.Pid == nil {
		return Envelope{}, errors.New("no pid")
	}
	m := pacifica.Message{Type: t, Pid: *pm.Pid, Ballot: pm.Ballot, Err: pm.Err.Code()}
	var err error
	if m.From, err = node(pm.FromNode, "from_node"); err != nil {
		return Envelope{}, err
	}
	if m.To, err = node(pm.ToNode, "to_node"); err != nil {
		return Envelope{}, err
	}
	if pm.Config != nil {
		if m.Config, err = configFromWire(pm.Config); err != nil {
			return Envelope{}, err
		}
	}
	if pm.ReceiverStatus != nil {
		m.ReceiverStatus = *pm.ReceiverStatus
	}
	if pm.Mutation != nil {
		m.Mutation = mutationFromWire(pm.Mutation)
	}
	get := func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	}
	m.Signature = uint64(get(pm.Signature))
	m.Decree, m.AckBallot, m.Committed = get(pm.Decree), get(pm.AckBallot), get(pm.Committed)
	m.PrepareStart, m.CopyFrom, m.CopyTo = get(pm.PrepareStart), get(pm.CopyFrom), get(pm.CopyTo)
	if pm.Learner != nil {
		m.Learner = pacifica.LearnPhase(*pm.Learner)
	}
	m.FromScratch = pm.FromScratch != nil && *pm.FromScratch
	if len(pm.Entries) > 0 {
		m.Entries = make([]pacifica.Mutation, len(pm.Entries))
		for i, md := range pm.Entries {
			if md == nil {
				return Envelope{}, fmt.Errorf("entry %d: missing", i)
			}
			m.Entries[i] = mutationFromWire(md)
		}
	}
	return Envelope{Msg: m, App: pm.App, SplitPartitionCount: pm.GetSplitPartitionCount(), SplitChildDecree: pm.GetSplitChildDecree(),
		DupConfirmed: pm.DupConfirmed}, nil
}

func configFromWire(c *replication.ReplicaConfig) (pacifica.Config, error) {
	if c.Pid == nil {
		return pacifica.Config{}, errors.New("config: no pid")
	}
	out := pacifica.Config{Pid: *c.Pid, Ballot: c.Ballot, MaxReplicaCount: c.MaxReplicaCount}
	var err error
	if out.Primary, err = addrPort(c.Primary); err != nil {
		return pacifica.Config{}, fmt.Errorf("config primary: %w", err)
	}
	if len(c.Secondaries) > 0 {
		out.Secondaries = make([]netip.AddrPort, len(c.Secondaries))
		for i, s := range c.Secondaries {
			if out.Secondaries[i], err = node(s, fmt.Sprintf("config secondary %d", i)); err != nil {
				return pacifica.Config{}, err
			}
		}
	}
	return out, nil
}

// mutationFromWire takes over md's updates: the decoder made them fresh.
func mutationFromWire(md *replication.MutationData) pacifica.Mutation {
	m := pacifica.Mutation{Ballot: md.Ballot, Decree: md.Decree, LastCommitted: md.LastCommitted, TimestampUs: md.TimestampUs}
	if len(md.Updates) > 0 {
		m.Updates = md.Updates
	}
	return m
}
