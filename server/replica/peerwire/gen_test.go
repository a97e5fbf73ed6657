package peerwire

import (
	"math/rand/v2"
	"net/netip"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// gen makes random valid values from a seeded source, so a failure names
// the seed that reproduces it.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) gen { return gen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

// maybe returns v most of the time and the zero value otherwise: zero
// values travel as absent optional fields.
func maybe[T any](g gen, v T) T {
	if g.r.IntN(8) == 0 {
		var zero T
		return zero
	}
	return v
}

func (g gen) int64() int64 {
	switch g.r.IntN(4) {
	case 0:
		return g.r.Int64N(10)
	case 1:
		return 1<<63 - 1 - g.r.Int64N(3) // the wire's extremes
	}
	return g.r.Int64N(1 << 40)
}

func (g gen) node() netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(1 + g.r.IntN(254)), byte(g.r.IntN(256)), byte(g.r.IntN(256)), byte(1 + g.r.IntN(254))}),
		uint16(1+g.r.IntN(65535)))
}

func (g gen) nodes(max int) []netip.AddrPort {
	n := g.r.IntN(max + 1)
	if n == 0 {
		return nil // decoding reads an empty list as nil
	}
	out := make([]netip.AddrPort, n)
	for i := range out {
		out[i] = g.node()
	}
	return out
}

func (g gen) gpid() base.Gpid {
	return base.Gpid{Appid: 1 + g.r.Int32N(1<<31-1), PartitionIndex: g.r.Int32N(1 << 16)}
}

func (g gen) mutation(maxUpdates int) pacifica.Mutation {
	m := pacifica.Mutation{Ballot: g.int64(), Decree: g.int64(), LastCommitted: g.int64(), TimestampUs: g.int64()}
	if n := g.r.IntN(maxUpdates + 1); n > 0 {
		m.Updates = make([][]byte, n)
		for i := range m.Updates {
			m.Updates[i] = make([]byte, g.r.IntN(3)*g.r.IntN(200)) // some empty
			for j := range m.Updates[i] {
				m.Updates[i][j] = byte(g.r.Uint32())
			}
		}
	}
	return m
}

func (g gen) config(pid base.Gpid) pacifica.Config {
	return pacifica.Config{
		Pid: pid, Ballot: g.int64(), MaxReplicaCount: g.r.Int32N(7),
		Primary: maybe(g, g.node()), Secondaries: g.nodes(4),
	}
}

var msgTypes = []pacifica.MsgType{
	pacifica.MsgPrepare, pacifica.MsgPrepareAck, pacifica.MsgGroupCheck, pacifica.MsgGroupCheckReply,
	pacifica.MsgLearn, pacifica.MsgLearnReply, pacifica.MsgLearnCompleted,
}

var errnos = []base.Errno{base.ERR_OK, base.ERR_INVALID_STATE, base.ERR_VERSION_OUTDATED, base.ERR_TRY_AGAIN, base.ERR_OBJECT_NOT_FOUND}

// envelope populates every field of a message of type t, whatever the
// type uses, each left zero now and then.
func (g gen) envelope(t pacifica.MsgType) Envelope {
	pid := g.gpid()
	m := pacifica.Message{
		Type: t, Pid: pid, From: g.node(), To: g.node(), Ballot: maybe(g, g.int64()),
		Err:            maybe(g, errnos[g.r.IntN(len(errnos))]),
		Config:         maybe(g, g.config(pid)),
		ReceiverStatus: maybe(g, admin.PartitionStatus(1+g.r.IntN(6))),
		Signature:      maybe(g, g.r.Uint64()),
		Mutation:       maybe(g, g.mutation(4)),
		Decree:         maybe(g, g.int64()),
		AckBallot:      maybe(g, g.int64()),
		Committed:      maybe(g, g.int64()),
		Learner:        pacifica.LearnPhase(g.r.IntN(5)),
		PrepareStart:   maybe(g, g.int64()),
		CopyFrom:       maybe(g, g.int64()),
		CopyTo:         maybe(g, g.int64()),
		FromScratch:    g.r.IntN(2) == 0,
	}
	if n := g.r.IntN(4); n > 0 {
		m.Entries = make([]pacifica.Mutation, n)
		for i := range m.Entries {
			m.Entries[i] = g.mutation(3)
		}
	}
	e := Envelope{Msg: m}
	if g.r.IntN(3) == 0 {
		no := false
		e.App = &layer2.AppInfo{
			Status: layer2.AppStatus_AS_AVAILABLE, AppType: "pegasus", AppName: "temp", AppID: pid.Appid,
			PartitionCount: 8, Envs: map[string]string{"k": "v"}, IsStateful: true, MaxReplicaCount: 3,
			InitPartitionCount: 8, Duplicating: &no, IsBulkLoading: &no, AtomicIdempotent: &no,
		}
	}
	return e
}

// prepare is a write-path prepare: n updates of size bytes each.
func prepare(n, size int) Envelope {
	pid := base.Gpid{Appid: 3, PartitionIndex: 5}
	ap := func(i byte) netip.AddrPort { return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, i}), 34801) }
	mu := pacifica.Mutation{Ballot: 7, Decree: 123456, LastCommitted: 123455, TimestampUs: 1_700_000_000_000_000}
	for i := range n {
		u := make([]byte, size)
		u[0] = byte(i)
		mu.Updates = append(mu.Updates, u)
	}
	return Envelope{Msg: pacifica.Message{
		Type: pacifica.MsgPrepare, Pid: pid, From: ap(1), To: ap(2), Ballot: 7,
		Config:         pacifica.Config{Pid: pid, Ballot: 7, MaxReplicaCount: 3, Primary: ap(1), Secondaries: []netip.AddrPort{ap(2), ap(3)}},
		ReceiverStatus: pacifica.StatusSecondary, Mutation: mu,
	}}
}
