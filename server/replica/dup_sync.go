package replica

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

// The node's duplication registry: every [duplication].sync_interval it
// reports each duplicator's progress to the meta (RPC_CM_DUPLICATION_SYNC)
// and applies the meta's duplication map from the reply: duplicators are
// created for the primaries this node holds of duplicating tables, updated
// (status, fail mode, progress) and stopped (duplication removed, replica
// no longer primary or gone). It also keeps each replica's retention
// (dupConfirmed) current, which the log's GC honours.

// dupRegistry holds the node's duplicators and follower clients.
type dupRegistry struct {
	mu      sync.Mutex // guards the maps
	dups    map[dupKey]*duplicator
	clients map[string]*client.Client // by remote cluster name
	tables  map[string]*client.Table  // by cluster + "/" + table
}

func newDupRegistry() *dupRegistry {
	return &dupRegistry{dups: map[dupKey]*duplicator{}, clients: map[string]*client.Client{}, tables: map[string]*client.Table{}}
}

// dupEnabled reports whether this node takes part in duplication.
func (n *Node) dupEnabled() bool { return n.opts.Duplication.Enabled() }

// dupSyncLoop runs the duplication sync every sync_interval until the
// node closes, then stops every duplicator and closes the follower clients.
func (n *Node) dupSyncLoop() {
	defer n.wg.Done()
	defer n.stopDuplicators()
	every := n.opts.Duplication.SyncInterval.Duration
	if every <= 0 {
		every = 10 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		}
		if n.Connected() {
			n.dupSync()
		}
		n.updateRetention()
	}
}

// dupSync reports progress and applies the meta's answer.
func (n *Node) dupSync() {
	req := &replication.DuplicationSyncRequest{Node: n.self, HpNode: n.selfHP, ConfirmList: n.dupConfirms()}
	ctx, cancel := context.WithTimeout(n.ctx, 10*time.Second)
	defer cancel()
	res := replication.NewDuplicationSyncResult()
	addr, errno, err := n.meta.callLeader(ctx, catalog.RPC_CM_DUPLICATION_SYNC, &replication.DuplicationSyncArgs{Req: req}, res,
		func() *base.ErrorCode { return answerErr(res.Success) })
	if err != nil || errno != base.ERR_OK {
		n.log.Debug("replica node: duplication sync failed", "meta", addr, "errno", errno, "err", err)
		return
	}
	n.applyDupMap(res.Success.DupMap)
}

// dupConfirms is the progress of every duplicator of a primary, by
// partition.
func (n *Node) dupConfirms() []*replication.DuplicationPartitionConfirms {
	byGpid := map[base.Gpid]*replication.DuplicationPartitionConfirms{}
	var order []base.Gpid
	for _, d := range n.duplicators() {
		if d.r.Status() != StatusPrimary {
			continue
		}
		confirmed, ckpt := d.progress()
		committed := d.r.committed.Load()
		pc := byGpid[d.key.gpid]
		if pc == nil {
			g := d.key.gpid
			pc = &replication.DuplicationPartitionConfirms{Pid: &g}
			byGpid[g] = pc
			order = append(order, g)
		}
		pc.Confirms = append(pc.Confirms, &replication.DuplicationConfirmEntry{
			Dupid: d.key.dupid, ConfirmedDecree: confirmed, CheckpointPrepared: ckpt, LastCommittedDecree: &committed,
		})
	}
	out := make([]*replication.DuplicationPartitionConfirms, 0, len(order))
	for _, g := range order {
		out = append(out, byGpid[g])
	}
	return out
}

// duplicators lists the running duplicators in a stable order.
func (n *Node) duplicators() []*duplicator {
	n.dups.mu.Lock()
	out := make([]*duplicator, 0, len(n.dups.dups))
	for _, d := range n.dups.dups {
		out = append(out, d)
	}
	n.dups.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].key, out[j].key
		if a.gpid != b.gpid {
			return a.gpid.Appid < b.gpid.Appid || (a.gpid.Appid == b.gpid.Appid && a.gpid.PartitionIndex < b.gpid.PartitionIndex)
		}
		return a.dupid < b.dupid
	})
	return out
}

// applyDupMap makes the running duplicators match the meta's map: one per
// (primary replica here, non-removed duplication of its table).
func (n *Node) applyDupMap(dupMap map[int32]map[int32]*admin.DuplicationEntry) {
	want := map[dupKey]bool{}
	var start, replaced []*duplicator
	n.dups.mu.Lock()
	for _, r := range n.srv.Replicas() {
		if r.Status() != StatusPrimary {
			continue
		}
		for dupid, e := range dupMap[r.Gpid.Appid] {
			if e == nil || e.Status == admin.DuplicationStatus_DS_REMOVED {
				continue
			}
			k := dupKey{gpid: r.Gpid, dupid: dupid}
			want[k] = true
			s := dupSettings{status: e.Status, failMode: e.GetFailMode(), remote: e.Remote, remoteApp: e.GetRemoteAppName()}
			if s.remoteApp == "" {
				s.remoteApp = r.appInfo().AppName
			}
			progress := int64(-1)
			if p, ok := e.Progress[r.Gpid.PartitionIndex]; ok {
				progress = p
			}
			if d := n.dups.dups[k]; d != nil && d.r == r {
				d.update(s, progress)
				continue
			}
			d := newDuplicator(k, r, int64(n.opts.Duplication.SelfID()), s, progress, n.dupTargetFor(s.remote, s.remoteApp), n.log)
			if s.status == admin.DuplicationStatus_DS_APP && progress >= 0 {
				d.ckptDone = true
			}
			if old := n.dups.dups[k]; old != nil {
				replaced = append(replaced, old) // its replica was reopened
			}
			n.dups.dups[k] = d
			start = append(start, d)
		}
	}
	stop := replaced
	for k, d := range n.dups.dups {
		if !want[k] {
			stop = append(stop, d)
			delete(n.dups.dups, k)
		}
	}
	n.dups.mu.Unlock()
	for _, d := range stop {
		d.stop()
		d.log.Info("duplication: pipeline stopped")
	}
	for _, d := range start {
		d.log.Info("duplication: pipeline started", "status", d.settings.status, "confirmed", d.confirmed)
		d.start()
	}
	n.updateRetention()
}

// stopDuplicators ends every pipeline and closes the follower clients.
func (n *Node) stopDuplicators() {
	n.dups.mu.Lock()
	ds := n.dups.dups
	n.dups.dups = map[dupKey]*duplicator{}
	clients := n.dups.clients
	n.dups.clients, n.dups.tables = map[string]*client.Client{}, map[string]*client.Table{}
	n.dups.mu.Unlock()
	for _, d := range ds {
		d.stop()
	}
	for _, c := range clients {
		c.Close()
	}
}

// updateRetention sets each primary replica's retained decree to its
// duplicators' lowest confirmed decree (-1 while any is unknown). A
// secondary's comes with its primary's group checks.
func (n *Node) updateRetention() {
	low := map[*Replica]int64{}
	for _, d := range n.duplicators() {
		c, _ := d.progress()
		if cur, ok := low[d.r]; !ok || c < cur {
			low[d.r] = c
		}
	}
	for _, r := range n.srv.Replicas() {
		if r.Status() != StatusPrimary {
			r.dupActive.Store(false)
			continue
		}
		c, ok := low[r]
		if !ok {
			c = -1
		}
		r.dupConfirmed.Store(c)
		r.dupActive.Store(ok)
	}
}

// dupTargetFor returns how a duplicator reaches its follower table: a
// client of the remote cluster (one per cluster, shared), opened lazily.
func (n *Node) dupTargetFor(remote, app string) func(context.Context) (dupTarget, error) {
	return func(ctx context.Context) (dupTarget, error) {
		t, err := n.followerTable(ctx, remote, app)
		if err != nil {
			return nil, err
		}
		return clientTarget{t}, nil
	}
}

func (n *Node) followerTable(ctx context.Context, remote, app string) (*client.Table, error) {
	key := remote + "/" + app
	n.dups.mu.Lock()
	if t := n.dups.tables[key]; t != nil {
		n.dups.mu.Unlock()
		return t, nil
	}
	c := n.dups.clients[remote]
	if c == nil {
		cl, ok := n.opts.Duplication.Clusters[remote]
		if !ok {
			n.dups.mu.Unlock()
			return nil, fmt.Errorf("cluster %q is not in [duplication.clusters] (have %v)", remote, n.opts.Duplication.Names())
		}
		c = client.New(client.Config{MetaServers: cl.Metas, OperationTimeout: dupShipTimeout, Logger: n.log})
		n.dups.clients[remote] = c
	}
	n.dups.mu.Unlock()
	t, err := c.OpenTable(ctx, app)
	if err != nil {
		return nil, fmt.Errorf("open %s on cluster %s: %w", app, remote, err)
	}
	n.dups.mu.Lock()
	n.dups.tables[key] = t
	n.dups.mu.Unlock()
	return t, nil
}

// clientTarget ships through the Go client.
type clientTarget struct{ t *client.Table }

func (c clientTarget) PartitionCount() int32 { return int32(c.t.PartitionCount()) }

func (c clientTarget) Ship(ctx context.Context, b dupBatch) error {
	return c.t.DuplicateByHash(ctx, b.hash, &rrdb.DuplicateRequest{Entries: b.entries})
}
