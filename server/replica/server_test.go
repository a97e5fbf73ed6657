package replica

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/remotecmd"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/cmd"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// testNode is a replica server with an RPC server on loopback and a client
// connection to it.
type testNode struct {
	srv  *Server
	rs   *rpc.Server
	conn *rpc.Conn
	dir  string
}

func newTestNode(t *testing.T, opts Options) *testNode {
	t.Helper()
	return newTestNodeAt(t, opts, "127.0.0.1:0")
}

// newTestNodeAt is newTestNode listening on listen.
func newTestNodeAt(t *testing.T, opts Options, listen string) *testNode {
	t.Helper()
	n := &testNode{srv: NewServer(opts), rs: rpc.NewServer(rpc.ServerOptions{}), dir: t.TempDir()}
	n.srv.Register(n.rs)
	remotecmd.NewRegistry("replica").Register(n.rs)
	l, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); n.rs.Serve(l) }()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if n.conn, err = rpc.Dial(ctx, l.Addr().String(), rpc.ConnOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.conn.Close()
		n.rs.Close()
		<-done
		n.srv.Close()
	})
	return n
}

func (n *testNode) open(t *testing.T, gpid base.Gpid, status Status) *Replica {
	t.Helper()
	dir := filepath.Join(n.dir, fmt.Sprintf("%d.%d", gpid.Appid, gpid.PartitionIndex))
	r, err := n.srv.OpenReplica(gpid, storage.Options{Dir: dir}, status)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func header(gpid base.Gpid, hashKey string) wire.Header {
	return wire.Header{AppID: gpid.Appid, PartitionIndex: gpid.PartitionIndex, PartitionHash: keys.PartitionHash([]byte(hashKey))}
}

func (n *testNode) put(ctx context.Context, gpid base.Gpid, hk, sk, v string) (*rrdb.UpdateResponse, error) {
	args := &rrdb.RrdbPutArgs{Update: &rrdb.UpdateRequest{Key: base.NewBlob(keys.EncodeKey([]byte(hk), []byte(sk))), Value: base.NewBlob([]byte(v))}}
	res := rrdb.NewRrdbPutResult()
	if err := n.conn.Call(ctx, header(gpid, hk), catalog.RPC_RRDB_RRDB_PUT, args, res); err != nil {
		return nil, err
	}
	return res.Success, nil
}

func (n *testNode) get(ctx context.Context, gpid base.Gpid, hk, sk string) (*rrdb.ReadResponse, error) {
	args := &rrdb.RrdbGetArgs{Key: base.NewBlob(keys.EncodeKey([]byte(hk), []byte(sk)))}
	res := rrdb.NewRrdbGetResult()
	if err := n.conn.Call(ctx, header(gpid, hk), catalog.RPC_RRDB_RRDB_GET, args, res); err != nil {
		return nil, err
	}
	return res.Success, nil
}

func TestRoutingErrors(t *testing.T) {
	n := newTestNode(t, Options{Address: "127.0.0.1:1", MaxWriteSize: 4096})
	primary := base.Gpid{Appid: 3, PartitionIndex: 0}
	secondary := base.Gpid{Appid: 3, PartitionIndex: 1}
	n.open(t, primary, StatusPrimary)
	n.open(t, secondary, StatusSecondary)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	cases := []struct {
		name string
		call func() error
		want base.Errno
	}{
		{"partition not hosted", func() error { _, err := n.get(ctx, base.Gpid{Appid: 3, PartitionIndex: 7}, "h", "s"); return err }, base.ERR_OBJECT_NOT_FOUND},
		{"table not hosted", func() error { _, err := n.put(ctx, base.Gpid{Appid: 9}, "h", "s", "v"); return err }, base.ERR_OBJECT_NOT_FOUND},
		{"read from a secondary", func() error { _, err := n.get(ctx, secondary, "h", "s"); return err }, base.ERR_INVALID_STATE},
		{"write to a secondary", func() error { _, err := n.put(ctx, secondary, "h", "s", "v"); return err }, base.ERR_INVALID_STATE},
		{"data RPC without a partition", func() error { _, err := n.get(ctx, base.Gpid{}, "h", "s"); return err }, base.ERR_HANDLER_NOT_FOUND},
		{"write over the size limit", func() error { _, err := n.put(ctx, primary, "h", "s", string(make([]byte, 5000))); return err }, base.ERR_INVALID_DATA},
		{"put whose header hash is not the key's", func() error {
			args := &rrdb.RrdbPutArgs{Update: &rrdb.UpdateRequest{Key: base.NewBlob(keys.EncodeKey([]byte("h"), []byte("s"))), Value: base.NewBlob(nil)}}
			h := header(primary, "other")
			return n.conn.Call(ctx, h, catalog.RPC_RRDB_RRDB_PUT, args, rrdb.NewRrdbPutResult())
		}, base.ERR_INVALID_PARAMETERS},
		{"mistyped args", func() error {
			return n.conn.Call(ctx, header(primary, "h"), catalog.RPC_RRDB_RRDB_MULTI_GET, &rrdb.RrdbClearScannerArgs{ContextID: 1}, rrdb.NewRrdbMultiGetResult())
		}, base.ERR_INVALID_DATA},
		{"meta RPC sent to a replica server", func() error {
			return n.conn.Call(ctx, wire.Header{}, catalog.RPC_CM_LIST_APPS, nil, rrdb.NewRrdbGetResult())
		}, base.ERR_HANDLER_NOT_FOUND},
	}
	for _, c := range cases {
		err := c.call()
		var re *rpc.RemoteError
		if !errors.As(err, &re) || re.Errno != c.want {
			t.Errorf("%s: got %v, want %s", c.name, err, c.want)
		}
	}
	// After all of that the primary still serves.
	if _, err := n.put(ctx, primary, "h", "s", "v"); err != nil {
		t.Fatal(err)
	}
	if r, err := n.get(ctx, primary, "h", "s"); err != nil || string(r.Value.Data) != "v" {
		t.Fatalf("get after errors: %v %v", r, err)
	}
}

// Concurrent writers: every acknowledged write is readable, decrees are
// unique per mutation and the partition's decree ends at the number of
// mutations applied.
func TestConcurrentWritesGetOrderedDecrees(t *testing.T) {
	n := newTestNode(t, Options{Address: "127.0.0.1:1"})
	gpid := base.Gpid{Appid: 1, PartitionIndex: 0}
	r := n.open(t, gpid, StatusPrimary)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const workers, perWorker = 16, 100
	var mu sync.Mutex
	decrees := map[int64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				resp, err := n.put(ctx, gpid, fmt.Sprintf("hk%d", w), fmt.Sprintf("sk%03d", i), fmt.Sprint(i))
				if err != nil || resp.Error != 0 {
					errs <- fmt.Errorf("worker %d put %d: %v %v", w, i, resp, err)
					return
				}
				mu.Lock()
				decrees[resp.Decree]++
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var max int64
	for d := range decrees {
		if d > max {
			max = d
		}
	}
	if max != int64(len(decrees)) || r.Storage().LastAppliedDecree() != max {
		t.Fatalf("%d distinct decrees, max %d, last applied %d: decrees must be 1..N with no gap", len(decrees), max, r.Storage().LastAppliedDecree())
	}
	for w := 0; w < workers; w++ {
		for i := 0; i < perWorker; i += 17 {
			resp, err := n.get(ctx, gpid, fmt.Sprintf("hk%d", w), fmt.Sprintf("sk%03d", i))
			if err != nil || resp.Error != 0 || string(resp.Value.Data) != fmt.Sprint(i) {
				t.Fatalf("read back hk%d/sk%03d: %v %v", w, i, resp, err)
			}
		}
	}
	t.Logf("%d puts in %d mutations", workers*perWorker, len(decrees))
}

func TestReplicaReopensWithDataAndDecree(t *testing.T) {
	n := newTestNode(t, Options{Address: "127.0.0.1:1"})
	gpid := base.Gpid{Appid: 1, PartitionIndex: 2}
	n.open(t, gpid, StatusPrimary)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var last int64
	for i := 0; i < 10; i++ {
		resp, err := n.put(ctx, gpid, "h", fmt.Sprint(i), "v")
		if err != nil {
			t.Fatal(err)
		}
		last = resp.Decree
	}
	if err := n.srv.CloseReplica(gpid); err != nil {
		t.Fatal(err)
	}
	if _, err := n.get(ctx, gpid, "h", "0"); !errors.Is(err, base.ERR_OBJECT_NOT_FOUND) {
		t.Fatalf("get from a closed replica: %v", err)
	}
	r := n.open(t, gpid, StatusPrimary)
	if r.Storage().LastAppliedDecree() != last {
		t.Fatalf("reopened at decree %d, want %d", r.Storage().LastAppliedDecree(), last)
	}
	resp, err := n.put(ctx, gpid, "h", "new", "v")
	if err != nil || resp.Decree != last+1 {
		t.Fatalf("next put: %v %v, want decree %d", resp, err, last+1)
	}
	if g, err := n.get(ctx, gpid, "h", "9"); err != nil || g.Error != 0 {
		t.Fatalf("read after reopen: %v %v", g, err)
	}
}

func TestRemoteCommand(t *testing.T) {
	n := newTestNode(t, Options{Address: "127.0.0.1:1"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	call := func(name string, args ...string) string {
		res := cmd.NewRemoteCmdCallResult()
		err := n.conn.Call(ctx, wire.Header{}, catalog.RPC_CLI_CLI_CALL, &cmd.RemoteCmdCallArgs{Cmd: &cmd.Command{Cmd: name, Arguments: args}}, res)
		if err != nil || res.Success == nil {
			t.Fatalf("%s: %v", name, err)
		}
		return *res.Success
	}
	if out := call("server-info"); !strings.Contains(out, "replica") {
		t.Errorf("server-info: %q", out)
	}
	if out := call("no-such-cmd"); out != "unknown command 'no-such-cmd'" {
		t.Errorf("unknown command: %q", out)
	}
	if out := call("help"); !strings.Contains(out, "server-info") {
		t.Errorf("help: %q", out)
	}
}

// TestReadsFencedByLeaseDeadline: reads stop when the lease deadline
// passes even though nothing told the replica's loop (as after a process
// stood still past its lease), and resume with a renewed lease.
func TestReadsFencedByLeaseDeadline(t *testing.T) {
	n := newTestNode(t, Options{Address: "127.0.0.1:1"})
	gpid := base.Gpid{Appid: 4, PartitionIndex: 0}
	n.open(t, gpid, StatusPrimary)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := n.put(ctx, gpid, "h", "s", "v"); err != nil {
		t.Fatal(err)
	}
	get := func() error { _, err := n.get(ctx, gpid, "h", "s"); return err }
	if err := get(); err != nil {
		t.Fatalf("read without a lease fence: %v", err)
	}

	n.srv.setLeaseEnd(time.Now().Add(-time.Millisecond))
	var re *rpc.RemoteError
	if err := get(); !errors.As(err, &re) || re.Errno != base.ERR_INVALID_STATE {
		t.Fatalf("read past the lease deadline: %v, want ERR_INVALID_STATE", err)
	}
	n.srv.setLeaseEnd(time.Now().Add(time.Minute))
	if err := get(); err != nil {
		t.Fatalf("read under a renewed lease: %v", err)
	}
}

// TestNodeLeaseEnd: the read fence ends a check interval before the lease
// the meta server grants, and never later than half the lease with a
// check interval that long.
func TestNodeLeaseEnd(t *testing.T) {
	sent := time.Unix(1000, 0)
	n := &Node{opts: NodeOptions{LeaseTimeout: 8 * time.Second, CheckInterval: time.Second}}
	if got, want := n.leaseEnd(sent), sent.Add(7*time.Second); !got.Equal(want) {
		t.Fatalf("leaseEnd = %v, want %v", got, want)
	}
	n.opts.CheckInterval = 6 * time.Second
	if got, want := n.leaseEnd(sent), sent.Add(4*time.Second); !got.Equal(want) {
		t.Fatalf("leaseEnd with a long check interval = %v, want %v", got, want)
	}
}
