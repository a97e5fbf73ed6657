package meta

import (
	"bytes"
	"context"
	"github.com/pegasus-go/pegasus/thrift/golden"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// The golden vectors (thrift/testdata/wire/meta_*.hex) were recorded from
// the upstream Go client against the state their README describes: table
// "temp", app id 2, 4 partitions, partition i with primary
// 127.0.0.1:(34801+i%3), the two other servers as secondaries, ballot 3+i,
// last committed decree 100+i, created at 1700000000 with default_ttl
// 86400; meta servers 127.0.0.1:34601 (the leader) and :34602.

func readVector(t *testing.T, name string) []byte {
	t.Helper()
	b, err := golden.Read(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenStore holds the vectors' cluster state.
func goldenStore(t *testing.T) metastore.Store {
	t.Helper()
	node := func(i int) netip.AddrPort { return rs(i % 3) }
	c := Change{Apps: []App{{
		ID: 2, Name: "temp", Type: "pegasus", Status: layer2.AppStatus_AS_AVAILABLE, PartitionCount: 4,
		InitPartitionCount: 4, MaxReplicaCount: 3, Envs: map[string]string{"default_ttl": "86400"},
		IsStateful: true, CreateSecond: 1700000000,
	}}}
	for i := range 4 {
		var secs []netip.AddrPort
		for j := range 3 {
			if j != i%3 {
				secs = append(secs, rs(j))
			}
		}
		c.Partitions = append(c.Partitions, Partition{
			Pid: gpid(2, int32(i)), Ballot: int64(3 + i), MaxReplicaCount: 3, Primary: node(i),
			Secondaries: secs, LastCommittedDecree: int64(100 + i),
		})
	}
	ops, err := c.Ops("/")
	if err != nil {
		t.Fatal(err)
	}
	store := metastore.NewMemory()
	if err := store.Commit(context.Background(), ops); err != nil {
		t.Fatal(err)
	}
	return store
}

func goldenOptions(t *testing.T) Options {
	return Options{
		Address:       "127.0.0.1:34601",
		MetaServers:   []string{"127.0.0.1:34601", "127.0.0.1:34602"},
		Store:         goldenStore(t),
		FunctionLevel: admin.MetaFunctionLevel_fl_lively,
		Logger:        quietLog,
	}
}

// startGoldenMeta serves opts on a random port (opts.Address is only what
// the server reports).
func startGoldenMeta(t *testing.T, opts Options) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return l.Addr().String()
}

// exchange sends a raw request frame and returns the raw reply frame
// (without its length prefix).
func exchange(t *testing.T, addr string, request []byte) []byte {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write(request); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	frame, err := wire.ReadReplyFrame(nc, nil, 0)
	if err != nil {
		t.Fatalf("read reply: %v", err)
	}
	return frame
}

func decodeReply(t *testing.T, frame []byte) (wire.Reply, thrift.TStruct) {
	t.Helper()
	rep, err := wire.ParseReply(frame)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Err != string(base.ERR_OK) {
		t.Fatalf("transport error %s", rep.Err)
	}
	e, ok := catalog.Lookup(strings.TrimSuffix(rep.Name, wire.ReplySuffix))
	if !ok {
		t.Fatalf("reply %s not in the catalogue", rep.Name)
	}
	res := e.NewResult()
	if err := wire.DecodeResult(rep, res); err != nil {
		t.Fatalf("decode %s: %v", rep.Name, err)
	}
	return rep, res
}

// clusterInfoPrefix keeps the keys the vector recorded: a real server
// reports more (the vector's README says so), and they come after these.
func clusterInfoPrefix(want, got thrift.TStruct) {
	w := want.(*admin.MetaClusterInfoResult).Success
	g := got.(*admin.MetaClusterInfoResult).Success
	if len(g.Keys) > len(w.Keys) && len(g.Values) == len(g.Keys) {
		g.Keys, g.Values = g.Keys[:len(w.Keys)], g.Values[:len(w.Keys)]
	}
}

func TestGolden(t *testing.T) {
	addr := startGoldenMeta(t, goldenOptions(t))
	opts := goldenOptions(t)
	opts.Election = fixedElection{leader: "127.0.0.1:34602"}
	follower := startGoldenMeta(t, opts)

	// In order: the later vectors change the state the earlier ones read
	// (control_meta finds the level lively and leaves it steady, as
	// cluster_info then reports).
	for _, c := range []struct {
		vector    string
		addr      string
		normalise func(want, got thrift.TStruct)
	}{
		{"meta_query_config", addr, nil},
		{"meta_query_config_not_found", addr, nil},
		{"meta_create_app", addr, nil},
		{"meta_list_apps", addr, nil},
		{"meta_list_nodes", addr, nil},
		{"meta_update_app_env", addr, nil},
		{"meta_propose_balancer", addr, nil}, // move_pri 2.1 34802→34801, accepted
		{"meta_control_meta", addr, nil},     // lively → steady
		{"meta_cluster_info", addr, clusterInfoPrefix},
		{"meta_drop_app", addr, nil},
		{"meta_recall_app", addr, nil},
		{"meta_query_config_forward", follower, nil},
	} {
		t.Run(c.vector, func(t *testing.T) {
			req := readVector(t, c.vector+".request")
			want := readVector(t, c.vector+".response")[4:]
			got := exchange(t, c.addr, req)
			wrep, wres := decodeReply(t, want)
			grep, gres := decodeReply(t, got)
			if grep.Name != wrep.Name || grep.Seqid != wrep.Seqid {
				t.Fatalf("reply %s seqid %d, want %s seqid %d", grep.Name, grep.Seqid, wrep.Name, wrep.Seqid)
			}
			if c.normalise == nil && !bytes.Equal(got, want) {
				t.Errorf("bytes differ:\n got %x\nwant %x", got, want)
			}
			if c.normalise != nil {
				c.normalise(wres, gres)
			}
			if !reflect.DeepEqual(gres, wres) {
				t.Fatalf("reply differs:\n got %+v\nwant %+v", gres, wres)
			}
		})
	}
}
