package meta

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// fastOptions are timer settings that make failure detection and cure
// happen within a test's patience.
func fastOptions(store metastore.Store) Options {
	return Options{
		Store:           store,
		FDGrace:         1500 * time.Millisecond,
		FDLease:         time.Second,
		FDCheckInterval: 100 * time.Millisecond,
		CureInterval:    300 * time.Millisecond,
		Logger:          quietLog,
	}
}

// testMeta is a meta server on a loopback port.
type testMeta struct {
	srv  *Server
	addr string
	done chan error
}

func startMeta(t *testing.T, opts Options) *testMeta {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if opts.Address == "" {
		opts.Address = l.Addr().String()
	}
	srv, err := New(opts)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	m := &testMeta{srv: srv, addr: l.Addr().String(), done: make(chan error, 1)}
	go func() { m.done <- srv.Serve(l) }()
	t.Cleanup(m.stop)
	return m
}

func (m *testMeta) stop() {
	if m.srv == nil {
		return
	}
	m.srv.Close()
	<-m.done
	m.srv = nil
}

// call sends one RPC and returns the response of field 0.
func call[R any](t *testing.T, addr, name string, req any) R {
	t.Helper()
	var zero R
	e, ok := catalog.Lookup(name)
	if !ok {
		t.Fatalf("%s not in the catalogue", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := rpc.Dial(ctx, addr, rpc.ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	args, err := e.NewArgsWith(req)
	if err != nil {
		t.Fatal(err)
	}
	result := e.NewResult()
	if err := c.Call(ctx, wire.Header{}, name, args, result); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	v, err := e.Response(result)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := v.(R)
	if !ok {
		t.Fatalf("%s: response %T, want %T", name, v, zero)
	}
	return r
}

// eventually polls cond every 20ms until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func queryCfg(t *testing.T, meta, table string) *layer2.QueryCfgResponse {
	t.Helper()
	return call[*layer2.QueryCfgResponse](t, meta, catalog.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX,
		&layer2.QueryCfgRequest{AppName: table, PartitionIndices: []int32{}})
}

func createTable(t *testing.T, meta, name string, partitions int32) int32 {
	t.Helper()
	resp := call[*admin.ConfigurationCreateAppResponse](t, meta, catalog.RPC_CM_CREATE_APP,
		&admin.ConfigurationCreateAppRequest{AppName: name, Options: &admin.CreateAppOptions{
			PartitionCount: partitions, ReplicaCount: 3, AppType: "pegasus", IsStateful: true}})
	if resp.Err.Code() != base.ERR_OK {
		t.Fatalf("create %s: %v", name, resp.Err)
	}
	return resp.Appid
}

// allAssigned reports whether every partition has a primary; it returns
// the primaries by index.
func allAssigned(resp *layer2.QueryCfgResponse) ([]string, bool) {
	if resp.Err.Code() != base.ERR_OK || len(resp.Partitions) != int(resp.PartitionCount) {
		return nil, false
	}
	out := make([]string, len(resp.Partitions))
	for i, p := range resp.Partitions {
		if p.Primary.IsZero() {
			return nil, false
		}
		out[i] = p.Primary.String()
	}
	return out, true
}

// fakeReplica is a replica server that speaks the meta protocol of
// docs/cluster-protocol.md without storing anything: it beacons, answers
// CT_ASSIGN_PRIMARY proposals by asking to become primary, and remembers
// the replicas it "hosts".
type fakeReplica struct {
	t    *testing.T
	addr netip.AddrPort
	meta string
	rs   *rpc.Server
	done chan error

	mu        sync.Mutex          // guards the fields below
	hosted    map[base.Gpid]int64 // ballot accepted by the meta
	primaries map[base.Gpid]bool
	proposals []*replication.ConfigurationUpdateRequest
	beacons   context.CancelFunc
	wg        sync.WaitGroup
}

func startReplica(t *testing.T, meta string) *fakeReplica {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeReplica{
		t: t, addr: netip.MustParseAddrPort(l.Addr().String()), meta: meta, done: make(chan error, 1),
		rs: rpc.NewServer(rpc.ServerOptions{Logger: quietLog}), hosted: map[base.Gpid]int64{}, primaries: map[base.Gpid]bool{},
	}
	f.rs.Handle(catalog.RPC_CONFIG_PROPOSAL, f.onProposal)
	go func() { f.done <- f.rs.Serve(l) }()
	t.Cleanup(func() {
		f.stopBeacons()
		f.rs.Close()
		<-f.done
		f.wg.Wait()
	})
	f.startBeacons()
	return f
}

func (f *fakeReplica) startBeacons() {
	ctx, cancel := context.WithCancel(context.Background())
	f.mu.Lock()
	f.beacons = cancel
	f.mu.Unlock()
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			f.beacon(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

func (f *fakeReplica) stopBeacons() {
	f.mu.Lock()
	cancel := f.beacons
	f.beacons = nil
	f.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

func (f *fakeReplica) beacon(ctx context.Context) (*replication.BeaconAck, error) {
	ack := replication.NewBeaconAck()
	err := f.rawCall(ctx, catalog.RPC_FD_FAILURE_DETECTOR_PING, &replication.ReplicationPingArgs{Beacon: &replication.BeaconMsg{
		Time: time.Now().UnixMilli(), FromAddr: rpcAddress(f.addr), ToAddr: &base.RPCAddress{}, HpFromAddr: hostPort(f.addr),
	}}, &replication.ReplicationPingResult{}, func(r thrift.TStruct) { ack = r.(*replication.ReplicationPingResult).Success })
	return ack, err
}

// rawCall dials the meta for one call (a dead meta must not wedge a
// long-lived connection in tests that restart it).
func (f *fakeReplica) rawCall(ctx context.Context, name string, args, result thrift.TStruct, take func(thrift.TStruct)) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := rpc.Dial(ctx, f.meta, rpc.ConnOptions{})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Call(ctx, wire.Header{}, name, args, result); err != nil {
		return err
	}
	take(result)
	return nil
}

func (f *fakeReplica) onProposal(_ context.Context, req *rpc.Request) rpc.Reply {
	args := &replication.ReplicationConfigProposalArgs{}
	if err := req.DecodeArgs(args); err != nil || args.Proposal == nil || args.Proposal.Config == nil {
		f.t.Errorf("bad proposal: %v", err)
		return rpc.Reply{Silent: true}
	}
	p := args.Proposal
	f.mu.Lock()
	f.proposals = append(f.proposals, p)
	_, hosts := f.hosted[*p.Config.Pid]
	f.mu.Unlock()
	if p.Type != admin.ConfigType_CT_ASSIGN_PRIMARY || (!hosts && p.Config.Ballot != 0) {
		return rpc.Reply{Silent: true}
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		f.askPrimary(p)
	}()
	return rpc.Reply{Silent: true}
}

// askPrimary sends the CT_ASSIGN_PRIMARY update with itself as primary.
func (f *fakeReplica) askPrimary(p *replication.ConfigurationUpdateRequest) {
	cfg := *p.Config
	cfg.Ballot++
	cfg.Primary, cfg.HpPrimary = rpcAddress(f.addr), hostPort(f.addr)
	resp, err := f.update(&replication.ConfigurationUpdateRequest{
		Info: p.Info, Config: &cfg, Type: admin.ConfigType_CT_ASSIGN_PRIMARY, Node: rpcAddress(f.addr), HpNode: hostPort(f.addr),
	})
	if err != nil || resp.Err.Code() != base.ERR_OK {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hosted[*cfg.Pid] = resp.Config.Ballot
	f.primaries[*cfg.Pid] = resp.Config.Primary.Equals(rpcAddress(f.addr))
}

func (f *fakeReplica) update(req *replication.ConfigurationUpdateRequest) (*replication.ConfigurationUpdateResponse, error) {
	var resp *replication.ConfigurationUpdateResponse
	err := f.rawCall(context.Background(), catalog.RPC_CM_UPDATE_PARTITION_CONFIGURATION,
		&replication.ReplicationUpdatePartitionConfigurationArgs{Req: req},
		&replication.ReplicationUpdatePartitionConfigurationResult{},
		func(r thrift.TStruct) { resp = r.(*replication.ReplicationUpdatePartitionConfigurationResult).Success })
	return resp, err
}

func (f *fakeReplica) configSync() (*replication.ConfigurationQueryByNodeResponse, error) {
	f.mu.Lock()
	var stored []*replication.ReplicaInfo
	for pid, ballot := range f.hosted {
		pid := pid
		stored = append(stored, &replication.ReplicaInfo{Pid: &pid, Ballot: ballot, Status: admin.PartitionStatus_PS_PRIMARY})
	}
	f.mu.Unlock()
	var resp *replication.ConfigurationQueryByNodeResponse
	err := f.rawCall(context.Background(), catalog.RPC_CM_CONFIG_SYNC,
		&replication.ReplicationConfigSyncArgs{Req: &replication.ConfigurationQueryByNodeRequest{
			Node: rpcAddress(f.addr), StoredReplicas: stored, HpNode: hostPort(f.addr)}},
		&replication.ReplicationConfigSyncResult{},
		func(r thrift.TStruct) { resp = r.(*replication.ReplicationConfigSyncResult).Success })
	return resp, err
}

func (f *fakeReplica) primaryCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, p := range f.primaries {
		if p {
			n++
		}
	}
	return n
}

// waitAlive waits until the meta counts n live replica servers.
func waitAlive(t *testing.T, meta string, n int) {
	t.Helper()
	eventually(t, patience, "live replica servers", func() bool {
		resp := call[*admin.ConfigurationListNodesResponse](t, meta, catalog.RPC_CM_LIST_NODES,
			&admin.ConfigurationListNodesRequest{Status: admin.NodeStatus_NS_ALIVE})
		return len(resp.Infos) == n
	})
}

func mustAddrPort(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	a, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
