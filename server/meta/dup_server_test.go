package meta

import (
	"context"
	"errors"
	"maps"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/config"
	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/server/metastore/zkserver/zktest"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
)

// fakeClusters is an in-memory set of remote clusters for the duplication
// loop: tables by "cluster/table". A created table serves every partition
// once ready is set (or at once with autoServe).
type fakeClusters struct {
	mu        sync.Mutex // guards the fields below
	tables    map[string]*fakeTable
	autoServe bool
	failures  int // calls that fail before the next one succeeds
	creates   int
}

type fakeTable struct {
	partitions, withPrimary int
	replicas                int32
	envs                    map[string]string
}

func newFakeClusters(autoServe bool) *fakeClusters {
	return &fakeClusters{tables: map[string]*fakeTable{}, autoServe: autoServe}
}

func (f *fakeClusters) dial(name string, _ []string) RemoteCluster {
	return &fakeCluster{f: f, name: name}
}

func (f *fakeClusters) table(key string) (fakeTable, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tables[key]
	if !ok {
		return fakeTable{}, false
	}
	return *t, true
}

// serve gives every partition of the table a primary.
func (f *fakeClusters) serve(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tables[key]
	t.withPrimary = t.partitions
}

type fakeCluster struct {
	f    *fakeClusters
	name string
}

var errFakeDown = errors.New("remote meta unreachable")

func (c *fakeCluster) TableServing(_ context.Context, table string) (int, int, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	if c.f.failures > 0 {
		c.f.failures--
		return 0, 0, errFakeDown
	}
	t, ok := c.f.tables[c.name+"/"+table]
	if !ok {
		return 0, 0, ErrRemoteTableNotFound
	}
	return t.partitions, t.withPrimary, nil
}

func (c *fakeCluster) CreateTable(_ context.Context, table string, partitions, replicas int32, envs map[string]string) error {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.creates++
	t := &fakeTable{partitions: int(partitions), replicas: replicas, envs: maps.Clone(envs)}
	if c.f.autoServe {
		t.withPrimary = t.partitions
	}
	c.f.tables[c.name+"/"+table] = t
	return nil
}

func (c *fakeCluster) Close() {}

// dupOptions are fastOptions for cluster "a" of testDupGroup with remote
// clusters from remotes.
func dupOptions(store metastore.Store, remotes *fakeClusters) Options {
	o := fastOptions(store)
	o.Duplication = testDupGroup()
	o.DupInterval = 50 * time.Millisecond
	o.DialRemote = remotes.dial
	return o
}

// addReq is an add request; with checkpoint the field is left at its
// default, which the generated writer leaves off the wire.
func addReq(app, remote string, checkpoint bool) *admin.DuplicationAddRequest {
	q := admin.NewDuplicationAddRequest()
	q.AppName, q.RemoteClusterName, q.IsDuplicatingCheckpoint = app, remote, checkpoint
	return q
}

func withRemote(q *admin.DuplicationAddRequest, app string, replicas int32) *admin.DuplicationAddRequest {
	if app != "" {
		q.RemoteAppName = &app
	}
	if replicas != 0 {
		q.RemoteReplicaCount = &replicas
	}
	return q
}

func addDupRPC(t *testing.T, meta string, q *admin.DuplicationAddRequest) *admin.DuplicationAddResponse {
	t.Helper()
	return call[*admin.DuplicationAddResponse](t, meta, catalog.RPC_CM_ADD_DUPLICATION, q)
}

func modifyDupRPC(t *testing.T, meta, app string, dupid int32, st *admin.DuplicationStatus, fm *admin.DuplicationFailMode) *admin.DuplicationModifyResponse {
	t.Helper()
	return call[*admin.DuplicationModifyResponse](t, meta, catalog.RPC_CM_MODIFY_DUPLICATION,
		&admin.DuplicationModifyRequest{AppName: app, Dupid: dupid, Status: st, FailMode: fm})
}

func queryDupRPC(t *testing.T, meta, app string) *admin.DuplicationQueryResponse {
	t.Helper()
	return call[*admin.DuplicationQueryResponse](t, meta, catalog.RPC_CM_QUERY_DUPLICATION, &admin.DuplicationQueryRequest{AppName: app})
}

// dupEntry returns the duplication dupid of app as query_dup shows it.
func dupEntry(t *testing.T, meta, app string, dupid int32) *admin.DuplicationEntry {
	t.Helper()
	q := queryDupRPC(t, meta, app)
	if q.Err.Code() != base.ERR_OK {
		t.Fatalf("query_dup %s: %v", app, q.Err)
	}
	for _, e := range q.EntryList {
		if e.Dupid == dupid {
			return e
		}
	}
	return nil
}

// confirm is one partition's report in a duplication sync.
func confirm(app, pidx, dupid int32, confirmed int64, prepared bool, committed int64) *replication.DuplicationPartitionConfirms {
	return &replication.DuplicationPartitionConfirms{
		Pid: &base.Gpid{Appid: app, PartitionIndex: pidx},
		Confirms: []*replication.DuplicationConfirmEntry{{
			Dupid: dupid, ConfirmedDecree: confirmed, CheckpointPrepared: prepared, LastCommittedDecree: &committed,
		}},
	}
}

func dupSyncRPC(t *testing.T, meta string, node netip.AddrPort, confirms ...*replication.DuplicationPartitionConfirms) *replication.DuplicationSyncResponse {
	t.Helper()
	if confirms == nil {
		confirms = []*replication.DuplicationPartitionConfirms{}
	}
	return call[*replication.DuplicationSyncResponse](t, meta, catalog.RPC_CM_DUPLICATION_SYNC,
		&replication.DuplicationSyncRequest{Node: rpcAddress(node), ConfirmList: confirms, HpNode: hostPort(node)})
}

// TestDuplicationAdminRPCs drives add, query, list and modify through a
// meta server's RPCs, the refusals included.
func TestDuplicationAdminRPCs(t *testing.T) {
	remotes := newFakeClusters(false)
	m := startMeta(t, dupOptions(metastore.NewMemory(), remotes))
	startReplica(t, m.addr)
	waitAlive(t, m.addr, 1)
	id := createTable(t, m.addr, "orders", 4)
	createTable(t, m.addr, "users", 2)

	for name, tc := range map[string]struct {
		q    *admin.DuplicationAddRequest
		want base.Errno
		hint string
	}{
		"no table": {addReq("nope", "b", true), base.ERR_APP_NOT_EXIST, "nope"},
		"unknown":  {addReq("orders", "zz", true), base.ERR_CLUSTER_NOT_FOUND, "configured: [b, c]"},
		"self":     {addReq("orders", "a", true), base.ERR_INVALID_PARAMETERS, "this cluster"},
	} {
		r := addDupRPC(t, m.addr, tc.q)
		if r.Err.Code() != tc.want || !strings.Contains(r.GetHint(), tc.hint) {
			t.Errorf("add (%s): %v %q, want %v with %q", name, r.Err, r.GetHint(), tc.want, tc.hint)
		}
	}

	// With a checkpoint by default (the field left unset).
	r := addDupRPC(t, m.addr, addReq("orders", "b", true))
	if r.Err.Code() != base.ERR_OK || r.Appid != id || r.Dupid == 0 || r.GetRemoteAppName() != "orders" || r.GetRemoteReplicaCount() != 3 {
		t.Fatalf("add: %+v %v", r, r.Err)
	}
	dupid := r.Dupid
	if again := addDupRPC(t, m.addr, addReq("orders", "b", true)); again.Err.Code() != base.ERR_DUP_EXIST || again.Dupid != dupid {
		t.Fatalf("add again: %v dupid %d", again.Err, again.Dupid)
	}
	logOnly := addDupRPC(t, m.addr, addReq("orders", "c", false))
	if logOnly.Err.Code() != base.ERR_OK || logOnly.Dupid == dupid {
		t.Fatalf("add log-only: %v %d", logOnly.Err, logOnly.Dupid)
	}

	q := queryDupRPC(t, m.addr, "orders")
	if q.Err.Code() != base.ERR_OK || q.Appid != id || len(q.EntryList) != 2 {
		t.Fatalf("query: %v %+v", q.Err, q.EntryList)
	}
	e := q.EntryList[0]
	if ps := e.PartitionStates[0]; ps == nil || ps.IsSetLagMs() || ps.LastCommittedDecree != -1 {
		t.Fatalf("partition state before any report: %+v", ps)
	}
	if e.Dupid != dupid || e.Status != admin.DuplicationStatus_DS_PREPARE || e.Remote != "b" || e.GetMode() != admin.DuplicationMode_FULL ||
		e.GetFailMode() != admin.DuplicationFailMode_FAIL_SLOW || len(e.Progress) != 4 || e.Progress[3] != -1 || len(e.PartitionStates) != 4 ||
		e.CreateTs/1000 != int64(dupid) {
		t.Fatalf("query entry %+v", e)
	}
	if e := q.EntryList[1]; e.Status != admin.DuplicationStatus_DS_LOG || e.GetMode() != admin.DuplicationMode_INCREMENTAL {
		t.Fatalf("log-only entry %+v", e)
	}
	if q := queryDupRPC(t, m.addr, "nope"); q.Err.Code() != base.ERR_APP_NOT_EXIST {
		t.Fatalf("query an unknown table: %v", q.Err)
	}

	// The table tells replica servers it is duplicating; list_apps shows it.
	apps := call[*admin.ConfigurationListAppsResponse](t, m.addr, catalog.RPC_CM_LIST_APPS, &admin.ConfigurationListAppsRequest{})
	for _, a := range apps.Infos {
		if got := a.GetDuplicating(); got != (a.AppName == "orders") {
			t.Errorf("table %s duplicating = %v", a.AppName, got)
		}
	}

	list := func(pattern string, mt admin.PatternMatchType) *admin.DuplicationListResponse {
		return call[*admin.DuplicationListResponse](t, m.addr, catalog.RPC_CM_LIST_DUPLICATION,
			&admin.DuplicationListRequest{AppNamePattern: pattern, MatchType: mt})
	}
	l := list("", admin.PatternMatchType_PMT_MATCH_ALL)
	if l.Err.Code() != base.ERR_OK || len(l.AppStates) != 2 || len(l.AppStates["orders"].Duplications) != 2 ||
		len(l.AppStates["users"].Duplications) != 0 || l.AppStates["orders"].PartitionCount != 4 ||
		l.AppStates["orders"].Duplications[dupid].Remote != "b" {
		t.Fatalf("list all: %v %+v", l.Err, l.AppStates)
	}
	if l := list("ord", admin.PatternMatchType_PMT_MATCH_PREFIX); len(l.AppStates) != 1 || l.AppStates["orders"] == nil {
		t.Fatalf("list prefix: %+v", l.AppStates)
	}
	if l := list("(", admin.PatternMatchType_PMT_MATCH_REGEX); l.Err.Code() != base.ERR_INVALID_PARAMETERS || l.HintMessage == "" {
		t.Fatalf("list with a bad regex: %v %q", l.Err, l.HintMessage)
	}

	// Modify: refusals, then fail mode, pause and start of the log-only one.
	skip := admin.DuplicationFailMode_FAIL_SKIP
	pause, start, removed := admin.DuplicationStatus_DS_PAUSE, admin.DuplicationStatus_DS_LOG, admin.DuplicationStatus_DS_REMOVED
	for name, tc := range map[string]struct {
		app   string
		dupid int32
		st    *admin.DuplicationStatus
		want  base.Errno
	}{
		"no table":        {"nope", dupid, &pause, base.ERR_APP_NOT_EXIST},
		"no duplication":  {"orders", 12345, &pause, base.ERR_OBJECT_NOT_FOUND},
		"preparing":       {"orders", dupid, &pause, base.ERR_INVALID_STATE},
		"nothing changed": {"orders", dupid, nil, base.ERR_INVALID_PARAMETERS},
	} {
		if r := modifyDupRPC(t, m.addr, tc.app, tc.dupid, tc.st, nil); r.Err.Code() != tc.want {
			t.Errorf("modify (%s): %v, want %v", name, r.Err, tc.want)
		}
	}
	if r := modifyDupRPC(t, m.addr, "orders", logOnly.Dupid, &pause, &skip); r.Err.Code() != base.ERR_OK || r.Appid != id {
		t.Fatalf("pause: %v", r.Err)
	}
	if e := dupEntry(t, m.addr, "orders", logOnly.Dupid); e.Status != pause || e.GetFailMode() != skip {
		t.Fatalf("after pause: %+v", e)
	}
	if r := modifyDupRPC(t, m.addr, "orders", logOnly.Dupid, &start, nil); r.Err.Code() != base.ERR_OK {
		t.Fatalf("start: %v", r.Err)
	}
	if e := dupEntry(t, m.addr, "orders", logOnly.Dupid); e.Status != start {
		t.Fatalf("after start: %+v", e)
	}
	for _, d := range []int32{logOnly.Dupid, dupid} {
		if r := modifyDupRPC(t, m.addr, "orders", d, &removed, nil); r.Err.Code() != base.ERR_OK {
			t.Fatalf("remove %d: %v", d, r.Err)
		}
	}
	if q := queryDupRPC(t, m.addr, "orders"); len(q.EntryList) != 0 {
		t.Fatalf("removed duplications still listed: %+v", q.EntryList)
	}
	if r := modifyDupRPC(t, m.addr, "orders", dupid, &start, nil); r.Err.Code() != base.ERR_OBJECT_NOT_FOUND {
		t.Fatalf("start a removed duplication: %v", r.Err)
	}
}

// TestDuplicationLifecycle follows a checkpoint duplication through its
// statuses with an in-memory remote cluster that is unreachable at first
// (the /meta/duplication page says so):
// the leader's loop creates the follower table, waits for its primaries,
// and the primaries' syncs finish the checkpoint; the dup map tells
// primaries each step, and a removed duplication leaves it.
func TestDuplicationLifecycle(t *testing.T) {
	remotes := newFakeClusters(false)
	remotes.failures = 1 << 30
	m := startMeta(t, dupOptions(metastore.NewMemory(), remotes))
	rep := startReplica(t, m.addr)
	waitAlive(t, m.addr, 1)
	id := createTable(t, m.addr, "orders", 4)
	eventually(t, patience, "primaries", func() bool { _, ok := allAssigned(queryCfg(t, m.addr, "orders")); return ok })
	envs := call[*admin.ConfigurationUpdateAppEnvResponse](t, m.addr, catalog.RPC_CM_UPDATE_APP_ENV, &admin.ConfigurationUpdateAppEnvRequest{
		AppName: "orders", Op: admin.AppEnvOperation_APP_ENV_OP_SET, Keys: []string{"default_ttl"}, Values: []string{"3600"}})
	if envs.Err.Code() != base.ERR_OK {
		t.Fatal(envs.Err)
	}
	r := addDupRPC(t, m.addr, withRemote(addReq("orders", "b", true), "orders_b", 2))
	if r.Err.Code() != base.ERR_OK {
		t.Fatalf("add: %v %s", r.Err, r.GetHint())
	}
	dupid := r.Dupid
	checkFlag := func(want bool) {
		t.Helper()
		cs, err := rep.configSync()
		if err != nil || cs.Err.Code() != base.ERR_OK || len(cs.Partitions) == 0 {
			t.Fatalf("config sync: %v %+v", err, cs)
		}
		for _, u := range cs.Partitions {
			if u.Info.GetDuplicating() != want {
				t.Fatalf("config sync says %s duplicating = %v, want %v", u.Info.AppName, u.Info.GetDuplicating(), want)
			}
		}
	}
	checkFlag(true)

	// The primaries hear of it, in DS_PREPARE, with unknown progress.
	s := dupSyncRPC(t, m.addr, rep.addr)
	if s.Err.Code() != base.ERR_OK || s.DupMap[id][dupid] == nil || s.DupMap[id][dupid].Status != admin.DuplicationStatus_DS_PREPARE ||
		s.DupMap[id][dupid].Progress[0] != -1 || s.DupMap[id][dupid].GetRemoteAppName() != "orders_b" {
		t.Fatalf("sync in DS_PREPARE: %v %+v", s.Err, s.DupMap)
	}

	// While the remote cluster cannot be reached, /meta/duplication says
	// why; once it can, the loop creates the follower and the error goes.
	followerError := func() any {
		_, _, page := getPage(t, m.srv, "/meta/duplication")
		dups := page["duplications"].([]any)
		if len(dups) != 1 {
			t.Fatalf("/meta/duplication: %s", asJSON(page))
		}
		return dups[0].(map[string]any)["follower_error"]
	}
	eventually(t, patience, "the follower error on the page", func() bool {
		msg, _ := followerError().(string)
		return strings.Contains(msg, errFakeDown.Error())
	})
	remotes.mu.Lock()
	remotes.failures = 0
	remotes.mu.Unlock()
	eventually(t, patience, "the follower table", func() bool { _, ok := remotes.table("b/orders_b"); return ok })
	eventually(t, patience, "the follower error to clear", func() bool { return followerError() == nil })
	ft, _ := remotes.table("b/orders_b")
	if ft.partitions != 4 || ft.replicas != 2 || ft.envs["default_ttl"] != "3600" || ft.envs[EnvDupMasterCluster] != "a" ||
		ft.envs[EnvDupMasterAppName] != "orders" || ft.envs[EnvDupMasterMetas] != m.addr {
		t.Fatalf("follower table %+v", ft)
	}
	if e := dupEntry(t, m.addr, "orders", dupid); e.Status != admin.DuplicationStatus_DS_PREPARE {
		t.Fatalf("DS_APP before the follower serves: %v", e.Status)
	}
	remotes.serve("b/orders_b")
	eventually(t, patience, "DS_APP", func() bool { return dupEntry(t, m.addr, "orders", dupid).Status == admin.DuplicationStatus_DS_APP })
	remotes.mu.Lock()
	creates := remotes.creates
	remotes.mu.Unlock()
	if creates != 1 {
		t.Fatalf("the follower table was created %d times", creates)
	}

	// Three partitions report their checkpoints shipped, then the last.
	for i := range int32(3) {
		if s := dupSyncRPC(t, m.addr, rep.addr, confirm(id, i, dupid, 20+int64(i), true, 30)); s.DupMap[id][dupid].Status != admin.DuplicationStatus_DS_APP {
			t.Fatalf("after %d checkpoints: %v", i+1, s.DupMap[id][dupid].Status)
		}
	}
	s = dupSyncRPC(t, m.addr, rep.addr, confirm(id, 3, dupid, 23, true, 30))
	e := s.DupMap[id][dupid]
	if e.Status != admin.DuplicationStatus_DS_LOG || e.Progress[0] != 20 || e.Progress[3] != 23 || e.PartitionStates != nil {
		t.Fatalf("after every checkpoint: %+v", e)
	}
	// Query shows each partition's commit point.
	q := dupEntry(t, m.addr, "orders", dupid)
	if ps := q.PartitionStates[2]; ps.ConfirmedDecree != 22 || ps.LastCommittedDecree != 30 || ps.LagMs == nil || *ps.LagMs < 0 {
		t.Fatalf("partition state %+v", ps)
	}

	// Removal: the dup map no longer has it, nor the table's flag.
	removed := admin.DuplicationStatus_DS_REMOVED
	if r := modifyDupRPC(t, m.addr, "orders", dupid, &removed, nil); r.Err.Code() != base.ERR_OK {
		t.Fatalf("remove: %v", r.Err)
	}
	if s := dupSyncRPC(t, m.addr, rep.addr, confirm(id, 0, dupid, 99, false, 99)); s.Err.Code() != base.ERR_OK || len(s.DupMap) != 0 {
		t.Fatalf("sync after removal: %v %+v", s.Err, s.DupMap)
	}
	checkFlag(false)
	// A sync from an address the meta does not know is refused.
	if s := dupSyncRPC(t, m.addr, netip.MustParseAddrPort("127.0.0.9:1")); s.Err.Code() != base.ERR_OBJECT_NOT_FOUND {
		t.Fatalf("sync from an unknown node: %v", s.Err)
	}
}

// restartCase is a meta server whose state store survives restarts; addr
// is where to listen ("": any port).
type restartCase struct {
	name  string
	start func(t *testing.T, remotes *fakeClusters, addr string) *testMeta
}

// dupZKAddress is the ZooKeeper port of the duplication tests, apart from
// zkAddress so that they do not collide with the election tests of
// another checkout running at the same time.
const dupZKAddress = "127.0.0.1:22193"

// startMetaOn is startMeta on a given address, so that replica servers
// beaconing to a restarted meta server find it again.
func startMetaOn(t *testing.T, opts Options, addr string) *testMeta {
	t.Helper()
	if addr == "" {
		return startMeta(t, opts)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	opts.Address = addr
	srv, err := New(opts)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	m := &testMeta{srv: srv, addr: addr, done: make(chan error, 1)}
	go func() { m.done <- srv.Serve(l) }()
	t.Cleanup(m.stop)
	return m
}

// TestDuplicationSurvivesRestart: a duplication and the progress stored by
// the throttle (the first report at once, later ones held back, all of
// them on pause) come back after the meta server restarts, on the embedded
// store and on ZooKeeper.
func TestDuplicationSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	cases := []restartCase{
		{"bolt", func(t *testing.T, remotes *fakeClusters, addr string) *testMeta {
			o := dupOptions(nil, remotes)
			o.DataDir = dir
			o.DupProgressInterval = time.Hour
			return startMetaOn(t, o, addr)
		}},
		{"zookeeper", func(t *testing.T, remotes *fakeClusters, addr string) *testMeta {
			zs, err := metastore.OpenZooKeeper(context.Background(), metastore.ZooKeeperOptions{
				Servers: []string{dupZKAddress}, SessionTimeout: zkSession, Root: "/dup", Logger: quietLog,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { zs.Close() })
			o := dupOptions(zs, remotes)
			o.DupProgressInterval = time.Hour
			return startMetaOn(t, o, addr)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "zookeeper" {
				zktest.Start(t, dupZKAddress)
			}
			remotes := newFakeClusters(true)
			m := c.start(t, remotes, "")
			rep := startReplica(t, m.addr)
			waitAlive(t, m.addr, 1)
			id := createTable(t, m.addr, "orders", 2)
			eventually(t, patience, "primaries", func() bool { _, ok := allAssigned(queryCfg(t, m.addr, "orders")); return ok })
			r := addDupRPC(t, m.addr, addReq("orders", "b", false))
			if r.Err.Code() != base.ERR_OK {
				t.Fatal(r.Err)
			}
			dupid := r.Dupid
			dupSyncRPC(t, m.addr, rep.addr, confirm(id, 0, dupid, 10, false, 15), confirm(id, 1, dupid, 11, false, 15))
			dupSyncRPC(t, m.addr, rep.addr, confirm(id, 0, dupid, 20, false, 25))
			if e := dupEntry(t, m.addr, "orders", dupid); e.Progress[0] != 20 || e.Progress[1] != 11 {
				t.Fatalf("progress before restart %v", e.Progress)
			}

			m.stop()
			m = c.start(t, remotes, m.addr)
			e := dupEntry(t, m.addr, "orders", dupid)
			if e == nil || e.Status != admin.DuplicationStatus_DS_LOG || e.Remote != "b" || e.Progress[0] != 10 || e.Progress[1] != 11 {
				t.Fatalf("after a restart: %+v (the throttle held back decree 20 of partition 0)", e)
			}
			// Raise-only across terms: a lower report does not lower it.
			waitAlive(t, m.addr, 1)
			dupSyncRPC(t, m.addr, rep.addr, confirm(id, 0, dupid, 5, false, 25), confirm(id, 1, dupid, 30, false, 35))
			dupSyncRPC(t, m.addr, rep.addr, confirm(id, 0, dupid, 40, false, 45))
			pause := admin.DuplicationStatus_DS_PAUSE
			if r := modifyDupRPC(t, m.addr, "orders", dupid, &pause, nil); r.Err.Code() != base.ERR_OK {
				t.Fatalf("pause: %v", r.Err)
			}

			m.stop()
			m = c.start(t, remotes, m.addr)
			e = dupEntry(t, m.addr, "orders", dupid)
			if e.Status != pause || e.Progress[0] != 40 || e.Progress[1] != 30 {
				t.Fatalf("after pause and restart: %v %v (pause stores every partition's latest)", e.Status, e.Progress)
			}
			apps := call[*admin.ConfigurationListAppsResponse](t, m.addr, catalog.RPC_CM_LIST_APPS, &admin.ConfigurationListAppsRequest{})
			if len(apps.Infos) != 1 || !apps.Infos[0].GetDuplicating() {
				t.Fatalf("table after restart: %+v", apps.Infos)
			}
		})
	}
}

// TestDuplicationCreatesFollowerOnRealMeta: with the default remote (the
// admin client), the master meta creates the follower table on another
// meta server, which assigns it primaries, and the duplication reaches
// DS_APP; a log-only duplication into a table the remote cluster already
// has uses that table.
func TestDuplicationCreatesFollowerOnRealMeta(t *testing.T) {
	follower := startMeta(t, fastOptions(metastore.NewMemory()))
	startReplica(t, follower.addr)
	waitAlive(t, follower.addr, 1)

	o := fastOptions(metastore.NewMemory())
	o.Duplication = config.Duplication{ClusterName: "a", Clusters: map[string]config.DupCluster{
		"a": {ID: 1, Metas: []string{"127.0.0.1:1"}},
		"b": {ID: 2, Metas: []string{follower.addr}},
	}}
	o.DupInterval = 100 * time.Millisecond
	master := startMeta(t, o)
	startReplica(t, master.addr)
	waitAlive(t, master.addr, 1)
	createTable(t, master.addr, "orders", 4)

	r := addDupRPC(t, master.addr, withRemote(addReq("orders", "b", true), "", 1))
	if r.Err.Code() != base.ERR_OK {
		t.Fatalf("add: %v %s", r.Err, r.GetHint())
	}
	eventually(t, patience, "DS_APP", func() bool {
		return dupEntry(t, master.addr, "orders", r.Dupid).Status == admin.DuplicationStatus_DS_APP
	})
	q := queryCfg(t, follower.addr, "orders")
	if _, ok := allAssigned(q); !ok || q.PartitionCount != 4 {
		t.Fatalf("follower table: %v, %d partitions", q.Err, q.PartitionCount)
	}
	apps := call[*admin.ConfigurationListAppsResponse](t, follower.addr, catalog.RPC_CM_LIST_APPS, &admin.ConfigurationListAppsRequest{})
	if len(apps.Infos) != 1 || apps.Infos[0].Envs[EnvDupMasterCluster] != "a" || apps.Infos[0].Envs[EnvDupMasterAppName] != "orders" ||
		apps.Infos[0].MaxReplicaCount != 1 {
		t.Fatalf("follower table info %+v", apps.Infos)
	}

	r2 := addDupRPC(t, master.addr, withRemote(addReq("orders", "b", false), "orders", 0))
	if r2.Err.Code() != base.ERR_DUP_EXIST {
		t.Fatalf("second add of the same remote table: %v", r2.Err)
	}

	// Log only into a table the remote cluster has already (as the second
	// link of master-master does): it is used as it is, with its own
	// partition count.
	createTable(t, follower.addr, "existing", 2)
	r3 := addDupRPC(t, master.addr, withRemote(addReq("orders", "b", false), "existing", 0))
	if r3.Err.Code() != base.ERR_OK {
		t.Fatalf("add into an existing table: %v", r3.Err)
	}
	eventually(t, patience, "the existing follower to be seen serving", func() bool {
		ready := false
		master.srv.read(func(st *State) {
			d := st.dups[DupKey{r3.Appid, r3.Dupid}]
			ready = d != nil && d.rec.FollowerReady
		})
		return ready
	})
	if e := dupEntry(t, master.addr, "orders", r3.Dupid); e.Status != admin.DuplicationStatus_DS_LOG {
		t.Fatalf("log-only duplication into an existing table: %v", e.Status)
	}
	apps = call[*admin.ConfigurationListAppsResponse](t, follower.addr, catalog.RPC_CM_LIST_APPS, &admin.ConfigurationListAppsRequest{})
	for _, a := range apps.Infos {
		if a.AppName == "existing" && (a.PartitionCount != 2 || a.Envs[EnvDupMasterCluster] != "") {
			t.Fatalf("the existing table changed: %+v", a)
		}
	}
}
