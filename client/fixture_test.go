package client_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/server/replica"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// This file holds the test fixtures: real replica servers on loopback, and
// a minimal stand-in for the meta server that answers only
// RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX from a table the test controls.
// The real meta server lives in server/meta.

// serve runs rs on a fresh loopback listener and returns its address and a
// function that stops it.
func serve(t *testing.T, rs *rpc.Server) (string, func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); rs.Serve(l) }()
	var once sync.Once
	stop := func() { once.Do(func() { rs.Close(); <-done }) }
	t.Cleanup(stop)
	return l.Addr().String(), stop
}

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// replicaNode is a real replica server.
type replicaNode struct {
	addr   string
	srv    *replica.Server
	stop   func()
	clears atomic.Int64 // CLEAR_SCANNER requests with a context id >= 0
}

func startReplicaNode(t *testing.T) *replicaNode {
	t.Helper()
	rs := rpc.NewServer(rpc.ServerOptions{})
	n := &replicaNode{}
	// The server's address only appears in responses; clients ignore it.
	srv := replica.NewServer(replica.Options{Address: "127.0.0.1:0"})
	srv.Register(rs)
	// Count CLEAR_SCANNERs, then do what the replica server does.
	rs.Handle(catalog.RPC_RRDB_RRDB_CLEAR_SCANNER, func(ctx context.Context, req *rpc.Request) rpc.Reply {
		r := srv.Replica(base.Gpid{Appid: req.Header.AppID, PartitionIndex: req.Header.PartitionIndex})
		if r == nil {
			return rpc.Fail(base.ERR_OBJECT_NOT_FOUND)
		}
		args := rrdb.NewRrdbClearScannerArgs()
		if err := req.DecodeArgs(args); err == nil {
			r.Storage().ClearScanner(args.ContextID)
			if args.ContextID >= 0 {
				n.clears.Add(1)
			}
		}
		return rpc.Reply{Silent: true}
	})
	n.srv = srv
	n.addr, n.stop = serve(t, rs)
	t.Cleanup(func() { n.stop(); srv.Close() })
	return n
}

// metaFixture answers partition configuration queries from tables.
type metaFixture struct {
	addr    string
	stop    func()
	queries atomic.Int64

	mu        sync.Mutex
	tables    map[string]*tableConfig // guarded by mu
	follower  bool                    // guarded by mu; answers ERR_FORWARD_TO_OTHERS
	forwardTo string                  // guarded by mu; the leader a follower names, if any
}

// tableConfig is what the fixture reports for one table.
type tableConfig struct {
	appID     int32
	primaries []string // per partition; "" = no primary
	ballots   []int64
}

func startMeta(t *testing.T) *metaFixture {
	t.Helper()
	m := &metaFixture{tables: make(map[string]*tableConfig)}
	rs := rpc.NewServer(rpc.ServerOptions{})
	rs.Handle(catalog.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX, m.handle)
	m.addr, m.stop = serve(t, rs)
	return m
}

func (m *metaFixture) handle(ctx context.Context, req *rpc.Request) rpc.Reply {
	m.queries.Add(1)
	args := admin.NewMetaQueryConfigArgs()
	if err := req.DecodeArgs(args); err != nil || args.Query == nil {
		return rpc.Fail(base.ERR_INVALID_DATA)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	resp := &layer2.QueryCfgResponse{Err: base.NewErrorCode(base.ERR_OK), Partitions: []*layer2.PartitionConfiguration{}}
	if m.follower {
		resp.Err = base.NewErrorCode(base.ERR_FORWARD_TO_OTHERS)
		if m.forwardTo != "" {
			leader, err := base.ParseRPCAddress(m.forwardTo)
			if err != nil {
				panic(err)
			}
			resp.Partitions = append(resp.Partitions, &layer2.PartitionConfiguration{Pid: &base.Gpid{}, Primary: leader})
		}
		return rpc.OK(&admin.MetaQueryConfigResult{Success: resp})
	}
	tc := m.tables[args.Query.AppName]
	if tc == nil {
		resp.Err = base.NewErrorCode(base.ERR_OBJECT_NOT_FOUND)
		return rpc.OK(&admin.MetaQueryConfigResult{Success: resp})
	}
	resp.AppID, resp.PartitionCount, resp.IsStateful = tc.appID, int32(len(tc.primaries)), true
	for i, p := range tc.primaries {
		pc := &layer2.PartitionConfiguration{
			Pid:         &base.Gpid{Appid: tc.appID, PartitionIndex: int32(i)},
			Ballot:      tc.ballots[i],
			Primary:     &base.RPCAddress{},
			Secondaries: []*base.RPCAddress{},
			LastDrops:   []*base.RPCAddress{},
		}
		if p != "" {
			a, err := base.ParseRPCAddress(p)
			if err != nil {
				panic(err)
			}
			pc.Primary = a
		}
		resp.Partitions = append(resp.Partitions, pc)
	}
	return rpc.OK(&admin.MetaQueryConfigResult{Success: resp})
}

func (m *metaFixture) setPrimary(table string, partition int, addr string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	tc := m.tables[table]
	tc.primaries[partition] = addr
	tc.ballots[partition]++
}

// setFollower makes the fixture a non-leader naming leader ("" = unknown).
func (m *metaFixture) setFollower(leader string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.follower, m.forwardTo = true, leader
}

// cluster is a table spread over replica nodes, served by a meta fixture.
type cluster struct {
	meta  *metaFixture
	nodes []*replicaNode
	table string
	appID int32
	dirs  []string // data directory of each partition
	owner []int    // node index hosting each partition
	so    storage.Options
}

// newCluster hosts a table of partitions partitions round-robin on nodes
// replica servers. so is the storage template (Dir, AppID... are filled).
// Partition hash validation is on, so a record routed to the wrong
// partition would be invisible to full-table scans.
func newCluster(t *testing.T, nodes, partitions int, so storage.Options) *cluster {
	t.Helper()
	c := &cluster{meta: startMeta(t), table: "temp", appID: 2, so: so}
	for range nodes {
		c.nodes = append(c.nodes, startReplicaNode(t))
	}
	tc := &tableConfig{appID: c.appID}
	root := t.TempDir()
	for i := range partitions {
		c.dirs = append(c.dirs, filepath.Join(root, strconv.Itoa(i)))
		c.owner = append(c.owner, i%nodes)
		c.open(t, i, i%nodes)
		tc.primaries = append(tc.primaries, c.nodes[i%nodes].addr)
		tc.ballots = append(tc.ballots, 1)
	}
	c.meta.mu.Lock()
	c.meta.tables[c.table] = tc
	c.meta.mu.Unlock()
	return c
}

func (c *cluster) gpid(partition int) base.Gpid {
	return base.Gpid{Appid: c.appID, PartitionIndex: int32(partition)}
}

func (c *cluster) open(t *testing.T, partition, node int) {
	t.Helper()
	so := c.so
	so.Dir = c.dirs[partition]
	so.PartitionCount = int32(len(c.dirs))
	so.Envs = map[string]string{storage.EnvValidatePartitionHash: "true"}
	if _, err := c.nodes[node].srv.OpenReplica(c.gpid(partition), so, replica.StatusPrimary); err != nil {
		t.Fatal(err)
	}
}

// closePartition stops hosting partition and reports it without primary.
func (c *cluster) closePartition(t *testing.T, partition int) {
	t.Helper()
	if err := c.nodes[c.owner[partition]].srv.CloseReplica(c.gpid(partition)); err != nil {
		t.Fatal(err)
	}
	c.owner[partition] = -1
	c.meta.setPrimary(c.table, partition, "")
}

// move closes partition on its node, reopens its data on node to, and
// updates the meta fixture — a stale route for every client that cached it.
func (c *cluster) move(t *testing.T, partition, to int) {
	t.Helper()
	if c.owner[partition] >= 0 {
		if err := c.nodes[c.owner[partition]].srv.CloseReplica(c.gpid(partition)); err != nil {
			t.Fatal(err)
		}
	}
	c.open(t, partition, to)
	c.owner[partition] = to
	c.meta.setPrimary(c.table, partition, c.nodes[to].addr)
}

// client returns a client of the cluster, closed at the end of the test.
func (c *cluster) client(t *testing.T, cfg client.Config) *client.Client {
	t.Helper()
	if cfg.MetaServers == nil {
		cfg.MetaServers = []string{c.meta.addr}
	}
	cl := client.New(cfg)
	t.Cleanup(func() { cl.Close() })
	return cl
}

// openTable opens the cluster's table on a fresh client.
func (c *cluster) openTable(t *testing.T) *client.Table {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tb, err := c.client(t, client.Config{}).OpenTable(ctx, c.table)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// testCtx is a context with a generous deadline for one test step.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func bs(s string) []byte { return []byte(s) }

func key(i int) []byte { return []byte(fmt.Sprintf("hk%03d", i)) }
