package meta

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/server/metastore/zkserver/zktest"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// zkAddress is this package's own ZooKeeper port (packages test in
// parallel; the HA onebox uses 22181).
const zkAddress = "127.0.0.1:22191"

// zkSession is the session timeout of these tests: failover after a crash
// takes about this long, and a silent leader stops within half of it.
const zkSession = 3 * time.Second

// haMeta is an in-process meta server with its own ZooKeeper connection
// and election, as cmd/pegasus-server wires them.
type haMeta struct {
	*testMeta
	store *metastore.ZooKeeper
	el    *ZooKeeperElection
}

// startHAMeta starts a meta server connected to ZooKeeper at zkAddr (a
// proxy's address, for a test that cuts it off) under root.
func startHAMeta(t *testing.T, zkAddr, root string) *haMeta {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	zs, err := metastore.OpenZooKeeper(ctx, metastore.ZooKeeperOptions{
		Servers: []string{zkAddr}, SessionTimeout: zkSession, Root: root, Logger: quietLog,
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	el, err := NewZooKeeperElection(zs, ZooKeeperElectionOptions{Address: l.Addr().String(), Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	opts := fastOptions(zs)
	opts.Address, opts.Election = l.Addr().String(), el
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	m := &haMeta{testMeta: &testMeta{srv: srv, addr: l.Addr().String(), done: make(chan error, 1)}, store: zs, el: el}
	go func() { m.done <- srv.Serve(l) }()
	t.Cleanup(m.stop)
	return m
}

// stop shuts the meta server down cleanly: its candidacy ends at once.
func (m *haMeta) stop() {
	m.testMeta.stop()
	m.el.Close()
	m.store.Close()
}

// leaderOf waits until exactly one of metas leads and every other one
// names it, and returns it.
func leaderOf(t *testing.T, within time.Duration, metas ...*haMeta) *haMeta {
	t.Helper()
	var leader *haMeta
	eventually(t, within, "one leader that the others name", func() bool {
		leader = nil
		for _, m := range metas {
			q := queryCfg(t, m.addr, "none")
			switch q.Err.Code() {
			case base.ERR_OBJECT_NOT_FOUND:
				if leader != nil {
					return false
				}
				leader = m
			case base.ERR_FORWARD_TO_OTHERS:
			default:
				return false
			}
		}
		if leader == nil {
			return false
		}
		for _, m := range metas {
			if m == leader {
				continue
			}
			q := queryCfg(t, m.addr, "none")
			if q.Err.Code() != base.ERR_FORWARD_TO_OTHERS || len(q.Partitions) != 1 || q.Partitions[0].Primary.String() != leader.addr {
				return false
			}
		}
		return true
	})
	return leader
}

func others(all []*haMeta, not *haMeta) []*haMeta {
	var out []*haMeta
	for _, m := range all {
		if m != not {
			out = append(out, m)
		}
	}
	return out
}

// TestZooKeeperElectionFailover: three meta servers elect one leader; the
// others forward to it. When the leader stops (cleanly, then by losing
// its connection like a crash) another one takes over with the same
// tables, and the standbys name it.
func TestZooKeeperElectionFailover(t *testing.T) {
	srv := zktest.Start(t, zkAddress)
	proxies := []*zktest.Proxy{zktest.NewProxy(t, srv.Addr), zktest.NewProxy(t, srv.Addr), zktest.NewProxy(t, srv.Addr)}
	var metas []*haMeta
	for _, p := range proxies {
		metas = append(metas, startHAMeta(t, p.Addr, "/failover"))
	}
	leader := leaderOf(t, patience, metas...)
	startReplica(t, leader.addr)
	waitAlive(t, leader.addr, 1)
	createTable(t, leader.addr, "t", 4)

	// A clean stop hands over at once.
	start := time.Now()
	leader.stop()
	rest := others(metas, leader)
	second := leaderOf(t, patience, rest...)
	t.Logf("failover after a clean stop: %v", time.Since(start))
	if q := queryCfg(t, second.addr, "t"); q.Err.Code() != base.ERR_OK || q.PartitionCount != 4 {
		t.Fatalf("table t on the new leader: %+v", q)
	}

	// A crash: the leader's ZooKeeper connection goes silent and it stops
	// serving; the last standby takes over once the session expires.
	idx := 0
	for i, m := range metas {
		if m == second {
			idx = i
		}
	}
	start = time.Now()
	proxies[idx].Stall()
	eventually(t, zkSession, "the silent leader to stop acting", func() bool {
		return queryCfg(t, second.addr, "t").Err.Code() != base.ERR_OK
	})
	t.Logf("silent leader stopped acting after %v", time.Since(start))
	third := leaderOf(t, 4*zkSession, others(rest, second)...)
	t.Logf("failover after a silent leader: %v", time.Since(start))
	if q := queryCfg(t, third.addr, "t"); q.Err.Code() != base.ERR_OK || q.PartitionCount != 4 {
		t.Fatalf("table t on the third leader: %+v", q)
	}
	// The old leader comes back as a standby on a new session.
	proxies[idx].Heal()
	if leaderOf(t, 4*zkSession, rest...) != third {
		t.Fatal("leadership moved when the old leader came back")
	}
}

// TestZooKeeperFenceAfterExpiry: the lock-node check of a leader whose
// session expired fails any commit, and its meta server's own writes fail
// too, even if it has not yet noticed.
func TestZooKeeperFenceAfterExpiry(t *testing.T) {
	srv := zktest.Start(t, zkAddress)
	proxy := zktest.NewProxy(t, srv.Addr)
	a := startHAMeta(t, proxy.Addr, "/fence")
	leaderOf(t, patience, a)
	b := startHAMeta(t, srv.Addr, "/fence")
	if leaderOf(t, patience, a, b) != a {
		t.Fatal("the first meta server does not lead")
	}
	fence := a.el.FenceOps()
	proxy.Cut()
	leaderOf(t, 4*zkSession, b)
	ctx := context.Background()
	ops := append(fence, metastore.PutOp("/apps/99", []byte("stale")))
	if err := b.store.Commit(ctx, ops); !errors.Is(err, metastore.ErrConflict) {
		t.Fatalf("commit with the old leader's fence: %v, want ErrConflict", err)
	}
	if _, err := b.store.Get(ctx, "/apps/99"); !errors.Is(err, metastore.ErrNotFound) {
		t.Fatalf("the fenced write landed: %v", err)
	}
	proxy.Heal()
	if leaderOf(t, 4*zkSession, a, b) != b {
		t.Fatal("leadership moved back")
	}
}

// TestZooKeeperRestartKeepsLeaderAndState: a ZooKeeper restart within the
// session timeout keeps every session; the leader steps down while it is
// away, leads again afterwards with the state intact, and writes work.
func TestZooKeeperRestartKeepsLeaderAndState(t *testing.T) {
	srv := zktest.Start(t, zkAddress)
	a, b := startHAMeta(t, srv.Addr, "/restart"), startHAMeta(t, srv.Addr, "/restart")
	leader := leaderOf(t, patience, a, b)
	startReplica(t, leader.addr)
	waitAlive(t, leader.addr, 1)
	createTable(t, leader.addr, "t", 2)

	srv.Kill()
	eventually(t, zkSession, "the leader to stop acting without ZooKeeper", func() bool {
		return queryCfg(t, leader.addr, "t").Err.Code() != base.ERR_OK
	})
	srv.Restart()
	if leaderOf(t, 4*zkSession, a, b) != leader {
		t.Fatal("another meta server leads after a ZooKeeper restart that kept the sessions")
	}
	if q := queryCfg(t, leader.addr, "t"); q.Err.Code() != base.ERR_OK || q.PartitionCount != 2 {
		t.Fatalf("table t after the restart: %+v", q)
	}
	resp := call[*admin.ConfigurationCreateAppResponse](t, leader.addr, catalog.RPC_CM_CREATE_APP,
		&admin.ConfigurationCreateAppRequest{AppName: "u", Options: &admin.CreateAppOptions{
			PartitionCount: 2, ReplicaCount: 1, AppType: "pegasus", IsStateful: true}})
	if code := resp.Err.Code(); code != base.ERR_OK && code != base.ERR_STATE_FREEZED {
		t.Fatalf("create after the restart: %v", code)
	}
}
