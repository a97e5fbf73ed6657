package pacifica

import (
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/pegasus-go/pegasus/server/meta"
	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// simMeta runs the real meta.State the way meta.Server does: every change
// is persisted to a metastore before it is applied, configuration updates
// are answered after that, liveness and cure run on timers, and a restart
// reloads the state from the store.
// meta.State's own cure keeps the replica groups: it assigns and promotes
// primaries, removes dead secondaries and adds learners (CT_ADD_SECONDARY).
type simMeta struct {
	w         *world
	s         *meta.State
	store     metastore.Store
	app       meta.App
	nextCheck int64
	nextCure  int64
}

func simMetaConfig() meta.Config {
	return meta.Config{
		Grace: simGrace * time.Second, HoldDroppedApps: 24 * time.Hour, MinReplicaCount: 1, MaxReplicaCount: 5,
		DefaultReplicaCount: 3, FunctionLevel: admin.MetaFunctionLevel_fl_steady, MinLiveNodes: 2,
		MinLivePercent: 30, ProposalRetry: simCure * time.Second,
	}
}

func newSimMeta(w *world) *simMeta {
	m := &simMeta{w: w, s: meta.NewState(simMetaConfig()), store: metastore.NewMemory()}
	// Every replica server beacons once before the table exists, as a
	// cluster comes up.
	for _, n := range w.nodes {
		m.s.Beacon(w.clock(), n.addr)
	}
	c, id, err := m.s.CreateApp(meta.CreateRequest{Name: "t", PartitionCount: w.p.partitions, ReplicaCount: w.p.replicas, IsStateful: true}, w.clock())
	if err != nil {
		w.failf("create table: %v", err)
	}
	m.commit(c)
	m.app, _ = m.s.App(id)
	return m
}

func (m *simMeta) pids() []base.Gpid {
	var out []base.Gpid
	for i := range m.app.PartitionCount {
		out = append(out, base.Gpid{Appid: m.app.ID, PartitionIndex: i})
	}
	return out
}

// config is the stored configuration of pid, in pacifica's terms.
func (m *simMeta) config(pid base.Gpid) (Config, meta.Partition) {
	p, ok := m.s.Partition(pid)
	if !ok {
		m.w.failf("meta lost partition %v", &pid)
	}
	return fromMeta(p), p
}

func fromMeta(p meta.Partition) Config {
	return Config{Pid: p.Pid, Ballot: p.Ballot, MaxReplicaCount: p.MaxReplicaCount, Primary: p.Primary, Secondaries: slices.Clone(p.Secondaries)}
}

// commit persists a change and applies it, then cures.
func (m *simMeta) commit(c meta.Change) {
	if c.Empty() {
		return
	}
	ops, err := c.Ops("/")
	if err != nil {
		m.w.failf("encode meta change: %v", err)
	}
	if err := m.store.Commit(context.Background(), ops); err != nil {
		m.w.failf("persist meta change: %v", err)
	}
	for _, p := range c.Partitions {
		cur, ok := m.s.Partition(p.Pid)
		if ok && p.Ballot != cur.Ballot+1 && !(p.Ballot == cur.Ballot) {
			m.w.failf("meta writes %v at ballot %d over %d", &p.Pid, p.Ballot, cur.Ballot)
		}
		m.w.logf("meta: %v", fromMeta(p))
	}
	if err := m.s.Apply(c); err != nil {
		m.w.failf("apply meta change: %v", err)
	}
}

// onUpdate handles RPC_CM_UPDATE_PARTITION_CONFIGURATION.
func (m *simMeta) onUpdate(e envelope) {
	req := e.update.req
	_, stored := m.config(req.Config.Pid)
	u := meta.ConfigUpdate{App: m.app, Type: req.Type, Node: req.Node, Config: meta.Partition{
		Pid: req.Config.Pid, Ballot: req.Config.Ballot, MaxReplicaCount: stored.MaxReplicaCount,
		Primary: req.Config.Primary, Secondaries: slices.Clone(req.Config.Secondaries), LastCommittedDecree: req.Committed,
	}}
	c, p, err := m.s.UpdateConfiguration(u)
	m.w.stats["meta update "+req.Type.String()+" "+string(meta.ErrnoOf(err))]++
	m.commit(c)
	m.w.send(envelope{kind: envUpdateReply, from: -1, to: e.from, update: &updateMsg{req: req, errno: meta.ErrnoOf(err), stored: fromMeta(p)}})
	if err == nil {
		m.cure()
	}
}

// tick runs the failure detector check and cure when due.
func (m *simMeta) tick() {
	if m.w.now >= m.nextCheck {
		m.nextCheck = m.w.now + simFDCheck
		c, died := m.s.CheckLiveness(m.w.clock())
		if len(died) > 0 {
			m.w.logf("meta: declared dead %v", died)
			m.w.stats["node declared dead"] += len(died)
		}
		m.commit(c)
		if len(died) > 0 {
			m.cure()
		}
	}
	if m.w.now >= m.nextCure {
		m.nextCure = m.w.now + simCure
		m.cure()
	}
}

func (m *simMeta) cure() {
	for _, p := range m.s.Cure(m.w.clock()) {
		m.propose(p.Target, p.Update.Type, p.Update.Node, fromMeta(p.Update.Config))
	}
}

func (m *simMeta) propose(target netip.AddrPort, typ admin.ConfigType, node netip.AddrPort, cfg Config) {
	i := m.w.index(target)
	if i < 0 {
		m.w.failf("proposal to unknown node %v", target)
	}
	m.w.stats["meta proposal "+typ.String()]++
	m.w.send(envelope{kind: envProposal, from: -1, to: i, proposal: &Proposal{Type: typ, Node: node, Config: cfg}})
}

// restart reloads the meta from its store, as a new leader does.
func (m *simMeta) restart() {
	s, err := meta.Load(context.Background(), m.store, "/", simMetaConfig(), m.w.clock())
	if err != nil {
		m.w.failf("meta restart: %v", err)
	}
	m.s = s
	m.w.logf("meta restarted")
	m.w.stats["meta restart"]++
	m.cure()
}

// everServed reports whether pid ever had a member: only a partition that
// never had one may be given an empty replica.
func (m *simMeta) everServed(pid base.Gpid) bool {
	_, p := m.config(pid)
	return !p.NeverServed()
}
