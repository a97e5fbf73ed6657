package meta

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
)

const patience = 10 * time.Second

// waitAssigned waits until every partition of table has a primary and
// returns the primaries by partition index.
func waitAssigned(t *testing.T, meta, table string) ([]string, *layer2.QueryCfgResponse) {
	t.Helper()
	var (
		primaries []string
		resp      *layer2.QueryCfgResponse
	)
	eventually(t, patience, "every partition of "+table+" has a primary", func() bool {
		var ok bool
		resp = queryCfg(t, meta, table)
		primaries, ok = allAssigned(resp)
		return ok
	})
	return primaries, resp
}

// TestServerCreateAssignQuery: a new table's partitions are proposed to the
// replica servers, which ask to become primary; query_cfg then routes to
// them, balanced.
func TestServerCreateAssignQuery(t *testing.T) {
	m := startMeta(t, fastOptions(metastore.NewMemory()))
	r1, r2 := startReplica(t, m.addr), startReplica(t, m.addr)
	waitAlive(t, m.addr, 2)
	id := createTable(t, m.addr, "t", 4)
	if id != 1 {
		t.Fatalf("app id %d", id)
	}
	primaries, resp := waitAssigned(t, m.addr, "t")
	if resp.AppID != id || resp.PartitionCount != 4 || !resp.IsStateful {
		t.Fatalf("query_cfg %+v", resp)
	}
	for i, p := range resp.Partitions {
		if p.Pid.Appid != id || p.Pid.PartitionIndex != int32(i) || p.Ballot != 1 || p.MaxReplicaCount != 3 ||
			p.HpPrimary.String() != p.Primary.String() || len(p.Secondaries) != 0 || p.HpLastDrops == nil {
			t.Fatalf("partition %d: %+v", i, p)
		}
	}
	counts := map[string]int{}
	for _, p := range primaries {
		counts[p]++
	}
	if counts[r1.addr.String()] != 2 || counts[r2.addr.String()] != 2 {
		t.Fatalf("primaries %v", primaries)
	}
	eventually(t, patience, "replicas learn they are primaries", func() bool {
		return r1.primaryCount() == 2 && r2.primaryCount() == 2
	})

	// Requested indices are honoured, in request order.
	sub := call[*layer2.QueryCfgResponse](t, m.addr, catalog.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX,
		&layer2.QueryCfgRequest{AppName: "t", PartitionIndices: []int32{3, 1, 7}})
	if len(sub.Partitions) != 2 || sub.Partitions[0].Pid.PartitionIndex != 3 || sub.Partitions[1].Pid.PartitionIndex != 1 {
		t.Fatalf("sub-query %+v", sub.Partitions)
	}
	// Config sync lists exactly the partitions each node serves.
	for _, r := range []*fakeReplica{r1, r2} {
		cs, err := r.configSync()
		if err != nil || cs.Err.Code() != base.ERR_OK || len(cs.Partitions) != 2 {
			t.Fatalf("config sync of %v: %+v %v", r.addr, cs, err)
		}
		for _, u := range cs.Partitions {
			if !u.Config.Primary.Equals(rpcAddress(r.addr)) || u.Info.AppName != "t" || u.Type != admin.ConfigType_CT_INVALID ||
				u.Info.Duplicating == nil || u.Info.IsBulkLoading == nil || u.Info.AtomicIdempotent == nil {
				t.Fatalf("config sync entry %+v", u)
			}
		}
	}
}

// TestServerDropRecall: a dropped table disappears from routing, its
// replicas are no longer listed in config sync, and a recall hands every
// partition back to the node that held it.
func TestServerDropRecall(t *testing.T) {
	m := startMeta(t, fastOptions(metastore.NewMemory()))
	r1, r2 := startReplica(t, m.addr), startReplica(t, m.addr)
	_ = r2
	waitAlive(t, m.addr, 2)
	id := createTable(t, m.addr, "t", 4)
	before, _ := waitAssigned(t, m.addr, "t")

	drop := call[*admin.ConfigurationDropAppResponse](t, m.addr, catalog.RPC_CM_DROP_APP,
		&admin.ConfigurationDropAppRequest{AppName: "t", Options: &admin.DropAppOptions{}})
	if drop.Err.Code() != base.ERR_OK {
		t.Fatalf("drop: %v", drop.Err)
	}
	if q := queryCfg(t, m.addr, "t"); q.Err.Code() != base.ERR_OBJECT_NOT_FOUND || q.AppID != 0 || len(q.Partitions) != 0 {
		t.Fatalf("query of a dropped table: %+v", q)
	}
	if cs, err := r1.configSync(); err != nil || len(cs.Partitions) != 0 || len(cs.GcReplicas) != 0 {
		t.Fatalf("config sync after drop: %+v %v", cs, err)
	}
	list := call[*admin.ConfigurationListAppsResponse](t, m.addr, catalog.RPC_CM_LIST_APPS,
		&admin.ConfigurationListAppsRequest{Status: layer2.AppStatus_AS_DROPPED})
	if len(list.Infos) != 1 || list.Infos[0].AppID != id || list.Infos[0].ExpireSecond-list.Infos[0].DropSecond != 7*24*3600 {
		t.Fatalf("dropped list %+v", list.Infos)
	}

	recall := call[*admin.ConfigurationRecallAppResponse](t, m.addr, catalog.RPC_CM_RECALL_APP,
		&admin.ConfigurationRecallAppRequest{AppID: id})
	if recall.Err.Code() != base.ERR_OK || recall.Info.AppName != "t" || recall.Info.Status != layer2.AppStatus_AS_AVAILABLE {
		t.Fatalf("recall: %+v", recall)
	}
	after, resp := waitAssigned(t, m.addr, "t")
	if !slices.Equal(before, after) {
		t.Fatalf("primaries before drop %v, after recall %v", before, after)
	}
	for _, p := range resp.Partitions {
		if p.Ballot != 3 || p.PartitionFlags != 0 {
			t.Fatalf("recalled partition %+v", p)
		}
	}
}

// TestServerNodeDeath: a replica server that stops beaconing loses its
// primaries after the grace period; nobody else gets them; they return to
// it when it beacons again.
func TestServerNodeDeath(t *testing.T) {
	m := startMeta(t, fastOptions(metastore.NewMemory()))
	r1, r2 := startReplica(t, m.addr), startReplica(t, m.addr)
	waitAlive(t, m.addr, 2)
	createTable(t, m.addr, "t", 4)
	before, _ := waitAssigned(t, m.addr, "t")

	r1.stopBeacons()
	var lost []int
	eventually(t, patience, "the silent node loses its primaries", func() bool {
		resp := queryCfg(t, m.addr, "t")
		lost = lost[:0]
		for i, p := range resp.Partitions {
			if before[i] == r1.addr.String() {
				if !p.Primary.IsZero() || p.Ballot != 2 || len(p.LastDrops) != 1 || !p.LastDrops[0].Equals(rpcAddress(r1.addr)) {
					return false
				}
				lost = append(lost, i)
			} else if p.Primary.String() != before[i] {
				t.Fatalf("partition %d of a live node changed: %+v", i, p)
			}
		}
		return true
	})
	if len(lost) != 2 {
		t.Fatalf("lost partitions %v", lost)
	}
	nodes := call[*admin.ConfigurationListNodesResponse](t, m.addr, catalog.RPC_CM_LIST_NODES,
		&admin.ConfigurationListNodesRequest{Status: admin.NodeStatus_NS_UNALIVE})
	if len(nodes.Infos) != 1 || !nodes.Infos[0].Node.Equals(rpcAddress(r1.addr)) || nodes.Infos[0].HpNode.Port != r1.addr.Port() {
		t.Fatalf("unalive nodes %+v", nodes.Infos)
	}
	// Several cure rounds pass; the live node must not take the partitions.
	time.Sleep(3 * fastOptions(nil).CureInterval)
	resp := queryCfg(t, m.addr, "t")
	for _, i := range lost {
		if !resp.Partitions[i].Primary.IsZero() {
			t.Fatalf("partition %d re-assigned to %v while its last holder is dead", i, resp.Partitions[i].Primary)
		}
	}
	r2.mu.Lock()
	for _, p := range r2.proposals {
		if p.Node.Equals(rpcAddress(r2.addr)) && slices.Contains(lost, int(p.Config.Pid.PartitionIndex)) {
			t.Errorf("live node was proposed partition %v", p.Config.Pid)
		}
	}
	r2.mu.Unlock()

	r1.startBeacons()
	after, resp := waitAssigned(t, m.addr, "t")
	if !slices.Equal(before, after) {
		t.Fatalf("primaries before %v, after return %v", before, after)
	}
	for _, i := range lost {
		if p := resp.Partitions[i]; p.Ballot != 3 || len(p.LastDrops) != 0 {
			t.Fatalf("returned partition %+v", p)
		}
	}
}

// TestServerRestart: a meta restarted on the same bbolt store comes back
// with every table and assignment, and takes the nodes in them for alive.
func TestServerRestart(t *testing.T) {
	dir := t.TempDir()
	opts := fastOptions(nil)
	opts.DataDir = dir
	opts.FDGrace = 5 * time.Second
	opts.FDLease = 4 * time.Second
	m := startMeta(t, opts)
	r1, r2 := startReplica(t, m.addr), startReplica(t, m.addr)
	waitAlive(t, m.addr, 2)
	createTable(t, m.addr, "a", 4)
	createTable(t, m.addr, "b", 2)
	primaries, _ := waitAssigned(t, m.addr, "a")
	env := call[*admin.ConfigurationUpdateAppEnvResponse](t, m.addr, catalog.RPC_CM_UPDATE_APP_ENV,
		&admin.ConfigurationUpdateAppEnvRequest{AppName: "b", Op: admin.AppEnvOperation_APP_ENV_OP_SET,
			Keys: []string{"default_ttl"}, Values: []string{"3600"}})
	if env.Err.Code() != base.ERR_OK {
		t.Fatalf("update env: %v", env.Err)
	}
	drop := call[*admin.ConfigurationDropAppResponse](t, m.addr, catalog.RPC_CM_DROP_APP,
		&admin.ConfigurationDropAppRequest{AppName: "b", Options: &admin.DropAppOptions{}})
	if drop.Err.Code() != base.ERR_OK {
		t.Fatalf("drop: %v", drop.Err)
	}
	r1.stopBeacons()
	r2.stopBeacons()
	m.stop()

	opts.Address = m.addr
	m2 := startMeta(t, opts)
	again, resp := waitAssigned(t, m2.addr, "a")
	if !slices.Equal(primaries, again) || resp.AppID != 1 {
		t.Fatalf("after restart: %v (was %v)", again, primaries)
	}
	for _, p := range resp.Partitions {
		if p.Ballot != 1 {
			t.Fatalf("partition after restart %+v", p)
		}
	}
	list := call[*admin.ConfigurationListAppsResponse](t, m2.addr, catalog.RPC_CM_LIST_APPS, &admin.ConfigurationListAppsRequest{})
	if len(list.Infos) != 2 || list.Infos[1].Status != layer2.AppStatus_AS_DROPPED || list.Infos[1].Envs["default_ttl"] != "3600" {
		t.Fatalf("tables after restart %+v", list.Infos)
	}
	nodes := call[*admin.ConfigurationListNodesResponse](t, m2.addr, catalog.RPC_CM_LIST_NODES, &admin.ConfigurationListNodesRequest{})
	if len(nodes.Infos) != 2 || nodes.Infos[0].Status != admin.NodeStatus_NS_ALIVE || nodes.Infos[1].Status != admin.NodeStatus_NS_ALIVE {
		t.Fatalf("nodes after restart %+v", nodes.Infos)
	}
	// A new table gets the next id.
	if id := createTable(t, m2.addr, "c", 1); id != 3 {
		t.Fatalf("id after restart %d", id)
	}
}

// TestServerUpdateConfigurationOverTCP exercises the replica-facing RPCs
// directly: stale ballots, idempotent retries, unknown nodes.
func TestServerUpdateConfigurationOverTCP(t *testing.T) {
	m := startMeta(t, fastOptions(metastore.NewMemory()))
	r := startReplica(t, m.addr)
	waitAlive(t, m.addr, 1)
	id := createTable(t, m.addr, "t", 1)
	waitAssigned(t, m.addr, "t")
	stored := queryCfg(t, m.addr, "t").Partitions[0]

	stale := *stored
	stale.Ballot = 1
	resp, err := r.update(&replication.ConfigurationUpdateRequest{Info: toAppInfo(App{}), Config: &stale,
		Type: admin.ConfigType_CT_PRIMARY_FORCE_UPDATE_BALLOT, Node: rpcAddress(r.addr)})
	if err != nil || resp.Err.Code() != base.ERR_OK || resp.Config.Ballot != 1 {
		t.Fatalf("retry of the accepted config: %+v %v", resp, err)
	}
	ahead := *stored
	ahead.Ballot = 5
	resp, err = r.update(&replication.ConfigurationUpdateRequest{Info: toAppInfo(App{}), Config: &ahead,
		Type: admin.ConfigType_CT_PRIMARY_FORCE_UPDATE_BALLOT, Node: rpcAddress(r.addr)})
	if err != nil || resp.Err.Code() != base.ERR_INVALID_VERSION || resp.Config.Ballot != 1 || resp.Config.Pid.Appid != id {
		t.Fatalf("ballot too far ahead: %+v %v", resp, err)
	}
	next := *stored
	next.Ballot = 2
	resp, err = r.update(&replication.ConfigurationUpdateRequest{Config: &next,
		Type: admin.ConfigType_CT_PRIMARY_FORCE_UPDATE_BALLOT, Node: rpcAddress(r.addr)})
	if err != nil || resp.Err.Code() != base.ERR_OK || resp.Config.Ballot != 2 || !resp.Config.Primary.Equals(rpcAddress(r.addr)) {
		t.Fatalf("force update ballot: %+v %v", resp, err)
	}
	// Requests with missing parts are refused, not crashed on.
	for _, c := range []struct {
		req  *replication.ConfigurationUpdateRequest
		want base.Errno
	}{
		{&replication.ConfigurationUpdateRequest{}, base.ERR_INVALID_PARAMETERS},
		{&replication.ConfigurationUpdateRequest{Config: &layer2.PartitionConfiguration{}}, base.ERR_OBJECT_NOT_FOUND},
	} {
		resp, err = r.update(c.req)
		if err != nil || resp.Err.Code() != c.want {
			t.Fatalf("update %+v: %+v %v, want %v", c.req, resp, err, c.want)
		}
	}
	// Config sync from a node the meta never heard of.
	stranger := &fakeReplica{t: t, addr: rs(42), meta: m.addr, hosted: map[base.Gpid]int64{}}
	if cs, err := stranger.configSync(); err != nil || cs.Err.Code() != base.ERR_OBJECT_NOT_FOUND {
		t.Fatalf("config sync of a stranger: %+v %v", cs, err)
	}
}

// fixedElection never leads and names a fixed leader.
type fixedElection struct{ leader string }

func (e fixedElection) Campaign(ctx context.Context) (<-chan struct{}, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (e fixedElection) Leader() string { return e.leader }

// TestServerNotLeader: protocol.md §6.3.
func TestServerNotLeader(t *testing.T) {
	opts := fastOptions(metastore.NewMemory())
	opts.Election = fixedElection{leader: "127.0.0.1:34602"}
	m := startMeta(t, opts)

	q := queryCfg(t, m.addr, "t")
	if q.Err.Code() != base.ERR_FORWARD_TO_OTHERS || len(q.Partitions) != 1 || q.Partitions[0].Primary.String() != "127.0.0.1:34602" ||
		q.Partitions[0].HpPrimary.String() != "127.0.0.1:34602" || q.Partitions[0].HpSecondaries != nil {
		t.Fatalf("query_cfg on a follower: %+v", q)
	}
	c := call[*admin.ConfigurationCreateAppResponse](t, m.addr, catalog.RPC_CM_CREATE_APP, &admin.ConfigurationCreateAppRequest{AppName: "t"})
	if c.Err.Code() != base.ERR_FORWARD_TO_OTHERS {
		t.Fatalf("create on a follower: %v", c.Err)
	}
	r := call[*admin.ConfigurationRecallAppResponse](t, m.addr, catalog.RPC_CM_RECALL_APP, &admin.ConfigurationRecallAppRequest{AppID: 1})
	if r.Err.Code() != base.ERR_FORWARD_TO_OTHERS || r.Info == nil {
		t.Fatalf("recall on a follower: %+v", r)
	}
	f := &fakeReplica{t: t, addr: rs(0), meta: m.addr}
	ack, err := f.beacon(context.Background())
	if err != nil || ack.IsMaster || ack.PrimaryNode.String() != "127.0.0.1:34602" || !ack.ThisNode.Equals(rpcAddress(netip.MustParseAddrPort(m.addr))) {
		t.Fatalf("beacon ack from a follower: %+v %v", ack, err)
	}

	// A follower that knows no leader: not active, and no forward address.
	opts.Election = fixedElection{}
	m2 := startMeta(t, opts)
	q = queryCfg(t, m2.addr, "t")
	if q.Err.Code() != base.ERR_SERVICE_NOT_ACTIVE || len(q.Partitions) != 0 {
		t.Fatalf("query_cfg without a leader: %+v", q)
	}
}
