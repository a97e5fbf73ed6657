package meta

import (
	"slices"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/server/metastore/zkserver/zktest"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
)

// The split RPCs over TCP, and a split that survives a meta restart (bbolt
// and memory stores) or a change of leader (ZooKeeper).

func startSplitRPC(t *testing.T, meta, table string, count int32) *admin.StartPartitionSplitResponse {
	t.Helper()
	return call[*admin.StartPartitionSplitResponse](t, meta, catalog.RPC_CM_START_PARTITION_SPLIT,
		&admin.StartPartitionSplitRequest{AppName: table, NewPartitionCount_: count})
}

func controlSplitRPC(t *testing.T, meta, table string, typ admin.SplitControlType, parent int32) *admin.ControlSplitResponse {
	t.Helper()
	return call[*admin.ControlSplitResponse](t, meta, catalog.RPC_CM_CONTROL_PARTITION_SPLIT,
		&admin.ControlSplitRequest{AppName: table, ControlType: typ, ParentPidx: parent})
}

func querySplitRPC(t *testing.T, meta, table string) *admin.QuerySplitResponse {
	t.Helper()
	return call[*admin.QuerySplitResponse](t, meta, catalog.RPC_CM_QUERY_PARTITION_SPLIT, &admin.QuerySplitRequest{AppName: table})
}

// registerRPC registers parent's child as its primary would, with the
// parent configuration pc from query_cfg and ballotDelta added to its
// ballot (to send a stale one).
func registerRPC(t *testing.T, meta string, pc *layer2.PartitionConfiguration, n int32, ballotDelta int64) *replication.RegisterChildResponse {
	t.Helper()
	parent := *pc
	parent.Ballot += ballotDelta
	child := *pc
	cpid := *pc.Pid
	cpid.PartitionIndex += n
	child.Pid, child.Ballot = &cpid, pc.Ballot+1
	return call[*replication.RegisterChildResponse](t, meta, catalog.RPC_CM_REGISTER_CHILD_REPLICA,
		&replication.RegisterChildRequest{App: &layer2.AppInfo{}, ParentConfig: &parent, ChildConfig: &child,
			PrimaryAddress: pc.Primary})
}

func wantCode(t *testing.T, what string, got *base.ErrorCode, want base.Errno) {
	t.Helper()
	if got.Code() != want {
		t.Fatalf("%s: %v, want %s", what, got.Code(), want)
	}
}

func wantHint(t *testing.T, what string, hint *string) {
	t.Helper()
	if hint == nil || *hint == "" {
		t.Fatalf("%s: no hint", what)
	}
}

func splitStatuses(t *testing.T, meta, table string) map[int32]admin.SplitStatus {
	t.Helper()
	q := querySplitRPC(t, meta, table)
	wantCode(t, "query split", q.Err, base.ERR_OK)
	if q.NewPartitionCount_ != 8 {
		t.Fatalf("query split: new count %d", q.NewPartitionCount_)
	}
	return q.Status
}

// splitFirstHalf runs the first half of a split of table "s" (4
// partitions, each with a primary) on meta: start, pause of parent 1
// confirmed, parent 2 pausing, parent 0 registered. It returns the
// parents' configurations.
func splitFirstHalf(t *testing.T, meta string, r *fakeReplica) []*layer2.PartitionConfiguration {
	t.Helper()
	r1 := startSplitRPC(t, meta, "nope", 8)
	wantCode(t, "start on an unknown table", r1.Err, base.ERR_APP_NOT_EXIST)
	for _, bad := range []int32{0, 4, 6, 16} {
		r := startSplitRPC(t, meta, "s", bad)
		wantCode(t, "start with a bad count", r.Err, base.ERR_INVALID_PARAMETERS)
		wantHint(t, "start with a bad count", &r.HintMsg)
	}
	q := querySplitRPC(t, meta, "s")
	wantCode(t, "query before the split", q.Err, base.ERR_INVALID_STATE)
	wantHint(t, "query before the split", q.HintMsg)
	c := controlSplitRPC(t, meta, "s", admin.SplitControlType_PAUSE, -1)
	wantCode(t, "pause before the split", c.Err, base.ERR_INVALID_STATE)
	wantHint(t, "pause before the split", c.HintMsg)

	wantCode(t, "start", startSplitRPC(t, meta, "s", 8).Err, base.ERR_OK)
	r2 := startSplitRPC(t, meta, "s", 8)
	wantCode(t, "start twice", r2.Err, base.ERR_BUSY)
	wantHint(t, "start twice", &r2.HintMsg)

	cfg := queryCfg(t, meta, "s")
	if cfg.PartitionCount != 8 || len(cfg.Partitions) != 8 {
		t.Fatalf("query_cfg during the split: %+v", cfg)
	}
	for i, p := range cfg.Partitions {
		if child := i >= 4; child != (p.Ballot == -1) || child != p.Primary.IsZero() {
			t.Fatalf("partition %d during the split: ballot %d primary %v", i, p.Ballot, p.Primary)
		}
	}
	parents := cfg.Partitions[:4]

	// Config sync: the doubled count and SPLITTING on each parent unit,
	// no unit for a child.
	sync, err := r.configSync()
	if err != nil || sync.Err.Code() != base.ERR_OK || len(sync.Partitions) == 0 {
		t.Fatalf("config sync: %+v %v", sync, err)
	}
	for _, u := range sync.Partitions {
		if u.Config.Pid.PartitionIndex >= 4 || u.Info.PartitionCount != 8 || u.MetaSplitStatus == nil ||
			*u.MetaSplitStatus != admin.SplitStatus_SPLITTING {
			t.Fatalf("config sync unit during the split: %+v", u)
		}
	}

	wantCode(t, "pause parent 1", controlSplitRPC(t, meta, "s", admin.SplitControlType_PAUSE, 1).Err, base.ERR_OK)
	stop := call[*replication.NotifyStopSplitResponse](t, meta, catalog.RPC_CM_NOTIFY_STOP_SPLIT,
		&replication.NotifyStopSplitRequest{AppName: "s", ParentGpid: parents[1].Pid,
			MetaSplitStatus: admin.SplitStatus_PAUSING, PartitionCount: 4})
	wantCode(t, "confirm the pause", stop.Err, base.ERR_OK)
	wantCode(t, "pause parent 2", controlSplitRPC(t, meta, "s", admin.SplitControlType_PAUSE, 2).Err, base.ERR_OK)

	reg := registerRPC(t, meta, parents[0], 4, -1)
	wantCode(t, "register with a stale ballot", reg.Err, base.ERR_INVALID_VERSION)
	reg = registerRPC(t, meta, parents[1], 4, 0)
	wantCode(t, "register a paused parent", reg.Err, base.ERR_INVALID_STATE)
	reg = registerRPC(t, meta, parents[0], 4, 0)
	wantCode(t, "register", reg.Err, base.ERR_OK)
	if reg.ChildConfig.Ballot != parents[0].Ballot+1 || !reg.ChildConfig.Primary.Equals(parents[0].Primary) ||
		reg.ParentConfig.Ballot != parents[0].Ballot || reg.App.PartitionCount != 8 {
		t.Fatalf("register reply %+v", reg)
	}
	reg = registerRPC(t, meta, parents[0], 4, 0)
	wantCode(t, "register again", reg.Err, base.ERR_CHILD_REGISTERED)
	if reg.ChildConfig.Ballot != parents[0].Ballot+1 {
		t.Fatalf("repeat register reply %+v", reg)
	}

	c = controlSplitRPC(t, meta, "s", admin.SplitControlType_CANCEL, -1)
	wantCode(t, "cancel after a registration", c.Err, base.ERR_CHILD_REGISTERED)
	wantHint(t, "cancel after a registration", c.HintMsg)
	drop := call[*admin.ConfigurationDropAppResponse](t, meta, catalog.RPC_CM_DROP_APP,
		&admin.ConfigurationDropAppRequest{AppName: "s", Options: &admin.DropAppOptions{}})
	wantCode(t, "drop a splitting table", drop.Err, base.ERR_BUSY)
	return parents
}

// splitSecondHalf checks on a (restarted) meta that the split of "s" is
// where splitFirstHalf left it, then finishes it.
func splitSecondHalf(t *testing.T, meta string, parents []*layer2.PartitionConfiguration) {
	t.Helper()
	want := map[int32]admin.SplitStatus{1: admin.SplitStatus_PAUSED, 2: admin.SplitStatus_PAUSING, 3: admin.SplitStatus_SPLITTING}
	if got := splitStatuses(t, meta, "s"); !mapsEqual(got, want) {
		t.Fatalf("split after the restart: %v, want %v", got, want)
	}
	cfg := queryCfg(t, meta, "s")
	if cfg.PartitionCount != 8 || cfg.Partitions[4].Ballot != parents[0].Ballot+1 || cfg.Partitions[5].Ballot != -1 {
		t.Fatalf("query_cfg after the restart: %+v", cfg.Partitions)
	}
	child := call[*replication.QueryChildStateResponse](t, meta, catalog.RPC_CM_QUERY_CHILD_STATE,
		&replication.QueryChildStateRequest{AppName: "s", Pid: parents[3].Pid, PartitionCount: 4})
	if child.Err.Code() != base.ERR_OK || child.ChildConfig == nil || child.ChildConfig.Ballot != -1 ||
		child.PartitionCount == nil || *child.PartitionCount != 8 {
		t.Fatalf("query child state: %+v", child)
	}

	wantCode(t, "restart every parent", controlSplitRPC(t, meta, "s", admin.SplitControlType_RESTART, -1).Err, base.ERR_OK)
	for i := 1; i < 4; i++ {
		wantCode(t, "register", registerRPC(t, meta, parents[i], 4, 0).Err, base.ERR_OK)
	}
	q := querySplitRPC(t, meta, "s")
	wantCode(t, "query after the split", q.Err, base.ERR_INVALID_STATE)
	cfg = queryCfg(t, meta, "s")
	for i, p := range cfg.Partitions {
		if p.Ballot < 1 || p.Primary.IsZero() || (i >= 4 && !p.Primary.Equals(parents[i-4].Primary)) {
			t.Fatalf("partition %d after the split: %+v", i, p)
		}
	}
}

func mapsEqual(a, b map[int32]admin.SplitStatus) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// splitCluster starts a replica server beaconing to meta and a table "s"
// of 4 partitions with a primary each.
func splitCluster(t *testing.T, meta string) *fakeReplica {
	t.Helper()
	r := startReplica(t, meta)
	waitAlive(t, meta, 1)
	createTable(t, meta, "s", 4)
	waitAssigned(t, meta, "s")
	return r
}

// TestServerSplitRestart: the split RPCs with their refusals, and a meta
// restarted mid-split on the same bbolt file or memory store resumes with
// the same split.
func TestServerSplitRestart(t *testing.T) {
	for _, backend := range []string{"bolt", "memory"} {
		t.Run(backend, func(t *testing.T) {
			opts := fastOptions(nil)
			if backend == "bolt" {
				opts.DataDir = t.TempDir()
			} else {
				opts.Store = metastore.NewMemory()
			}
			opts.FDGrace, opts.FDLease = 5*time.Second, 4*time.Second
			m := startMeta(t, opts)
			r := splitCluster(t, m.addr)
			parents := splitFirstHalf(t, m.addr, r)
			r.stopBeacons()
			m.stop()

			opts.Address = m.addr
			m2 := startMeta(t, opts)
			splitSecondHalf(t, m2.addr, parents)
		})
	}
}

// TestZooKeeperSplitFailover: a split half done under one leader is found
// as it was by the next one.
func TestZooKeeperSplitFailover(t *testing.T) {
	srv := zktest.Start(t, zkAddress)
	a, b := startHAMeta(t, srv.Addr, "/split"), startHAMeta(t, srv.Addr, "/split")
	leader := leaderOf(t, patience, a, b)
	r := splitCluster(t, leader.addr)
	parents := splitFirstHalf(t, leader.addr, r)
	r.stopBeacons()
	next := b
	if leader == b {
		next = a
	}
	leader.stop()
	if leaderOf(t, 4*zkSession, next) != next {
		t.Fatal("no new leader")
	}
	splitSecondHalf(t, next.addr, parents)
}

// TestServerSplitCancel: a canceled split over TCP — every parent
// confirms, the table is back at its old count, and a replica server's
// leftover children are garbage.
func TestServerSplitCancel(t *testing.T) {
	m := startMeta(t, fastOptions(metastore.NewMemory()))
	r := splitCluster(t, m.addr)
	wantCode(t, "start", startSplitRPC(t, m.addr, "s", 8).Err, base.ERR_OK)
	c := controlSplitRPC(t, m.addr, "s", admin.SplitControlType_CANCEL, -1)
	wantCode(t, "cancel", c.Err, base.ERR_OK)
	wantHint(t, "cancel", c.HintMsg)
	cfg := queryCfg(t, m.addr, "s")
	for i := range int32(4) {
		if got := splitStatuses(t, m.addr, "s"); len(got) != int(4-i) || got[i] != admin.SplitStatus_CANCELING {
			t.Fatalf("before confirmation %d: %v", i, got)
		}
		stop := call[*replication.NotifyStopSplitResponse](t, m.addr, catalog.RPC_CM_NOTIFY_STOP_SPLIT,
			&replication.NotifyStopSplitRequest{AppName: "s", ParentGpid: cfg.Partitions[i].Pid,
				MetaSplitStatus: admin.SplitStatus_CANCELING, PartitionCount: 4})
		wantCode(t, "confirm the cancel", stop.Err, base.ERR_OK)
	}
	wantCode(t, "query after the cancel", querySplitRPC(t, m.addr, "s").Err, base.ERR_INVALID_STATE)
	if cfg := queryCfg(t, m.addr, "s"); cfg.PartitionCount != 4 || len(cfg.Partitions) != 4 {
		t.Fatalf("query_cfg after the cancel: %+v", cfg)
	}
	// The replica server reports leftover children: they are garbage.
	r.mu.Lock()
	for i := int32(4); i < 8; i++ {
		r.hosted[base.Gpid{Appid: cfg.AppID, PartitionIndex: i}] = -1
	}
	r.mu.Unlock()
	sync, err := r.configSync()
	if err != nil || sync.Err.Code() != base.ERR_OK {
		t.Fatalf("config sync: %+v %v", sync, err)
	}
	var gc []int32
	for _, g := range sync.GcReplicas {
		gc = append(gc, g.Pid.PartitionIndex)
	}
	slices.Sort(gc)
	if !slices.Equal(gc, []int32{4, 5, 6, 7}) {
		t.Fatalf("gc after the cancel: %v", gc)
	}
	for _, u := range sync.Partitions {
		if u.Info.PartitionCount != 4 || u.MetaSplitStatus != nil {
			t.Fatalf("unit after the cancel: %+v", u)
		}
	}
}

// TestSplitPages: /meta/app shows the split: the old count, each parent's
// status, the children as splitting.
func TestSplitPages(t *testing.T) {
	m := startMeta(t, fastOptions(metastore.NewMemory()))
	splitCluster(t, m.addr)
	wantCode(t, "start", startSplitRPC(t, m.addr, "s", 8).Err, base.ERR_OK)
	wantCode(t, "pause", controlSplitRPC(t, m.addr, "s", admin.SplitControlType_PAUSE, 3).Err, base.ERR_OK)
	code, _, detail := getPage(t, m.srv, "/meta/app?name=s")
	if code != 200 {
		t.Fatalf("/meta/app: %d %s", code, asJSON(detail))
	}
	app := detail["app"].(map[string]any)
	if app["partition_count"] != 8.0 || app["split_from"] != 4.0 {
		t.Fatalf("/meta/app table: %s", asJSON(app))
	}
	parts := detail["partitions"].([]any)
	for i, p := range parts {
		pv := p.(map[string]any)
		var want, health any = "SPLITTING", pv["health"]
		switch {
		case i == 3:
			want = "PAUSING"
		case i >= 4:
			want, health = nil, HealthSplitting
		}
		if pv["split_status"] != want || pv["health"] != health {
			t.Fatalf("/meta/app partition %d: %s", i, asJSON(pv))
		}
	}
	if h := detail["health"].(map[string]any); h[HealthSplitting] != 4.0 || h[HealthDead] != 0.0 {
		t.Fatalf("/meta/app health: %s", asJSON(h))
	}
}
