package replica

import (
	"bytes"
	"context"
	"github.com/pegasus-go/pegasus/thrift/golden"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// The recorded vectors use table 2 partition 1 served by 127.0.0.1:34802.
var goldenGpid = base.Gpid{Appid: 2, PartitionIndex: 1}

const goldenServer = "127.0.0.1:34802"

func readVector(t *testing.T, name string) []byte {
	t.Helper()
	b, err := golden.Read(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenNode is a real replica server on loopback with its RPC server.
type goldenNode struct {
	rs   *rpc.Server
	srv  *Server
	addr string
}

func startNode(t *testing.T, clock storage.Clock, host bool) *goldenNode {
	t.Helper()
	n := &goldenNode{rs: rpc.NewServer(rpc.ServerOptions{}), srv: NewServer(Options{Address: goldenServer})}
	n.srv.Register(n.rs)
	if host {
		so := storage.Options{Dir: filepath.Join(t.TempDir(), "rdb"), Clock: clock, MaxIterationCount: 2}
		if _, err := n.srv.OpenReplica(goldenGpid, so, StatusPrimary); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n.addr = l.Addr().String()
	served := make(chan struct{})
	go func() { defer close(served); n.rs.Serve(l) }()
	t.Cleanup(func() {
		n.rs.Close()
		<-served
		if err := n.srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return n
}

// exchange sends one raw request frame and returns the reply frame, or nil
// if none arrives within wait.
func exchange(t *testing.T, addr string, request []byte, wait time.Duration) []byte {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write(request); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(wait))
	frame, err := wire.ReadReplyFrame(nc, nil, 0)
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return nil
		}
		t.Fatalf("read reply: %v", err)
	}
	return frame
}

// decodeReply parses a reply frame and, for ERR_OK, its result struct.
func decodeReply(t *testing.T, frame []byte) (wire.Reply, thrift.TStruct) {
	t.Helper()
	rep, err := wire.ParseReply(frame)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Err != "ERR_OK" {
		return rep, nil
	}
	e, ok := catalog.Lookup(strings.TrimSuffix(rep.Name, wire.ReplySuffix))
	if !ok {
		t.Fatalf("reply %s: not in the catalogue", rep.Name)
	}
	res := e.NewResult()
	if err := wire.DecodeResult(rep, res); err != nil {
		t.Fatalf("decode %s: %v", rep.Name, err)
	}
	return rep, res
}

// normalize zeroes the values the vectors' README calls run-dependent:
// decrees (a positive decree is required of a write) and scanner context
// ids (any id >= 0 means "more data").
func normalize(t *testing.T, res thrift.TStruct) {
	t.Helper()
	positive := func(d *int64) {
		if *d <= 0 {
			t.Errorf("%T: decree %d, want > 0", res, *d)
		}
		*d = 0
	}
	switch r := res.(type) {
	case *rrdb.RrdbPutResult:
		positive(&r.Success.Decree)
	case *rrdb.RrdbMultiPutResult:
		positive(&r.Success.Decree)
	case *rrdb.RrdbRemoveResult:
		positive(&r.Success.Decree)
	case *rrdb.RrdbMultiRemoveResult:
		positive(&r.Success.Decree)
	case *rrdb.RrdbIncrResult:
		positive(&r.Success.Decree)
	case *rrdb.RrdbCheckAndSetResult:
		r.Success.Decree = 0 // the vector's 0 is illustrative (README)
	case *rrdb.RrdbCheckAndMutateResult:
		positive(&r.Success.Decree)
	case *rrdb.RrdbGetScannerResult:
		if r.Success.ContextID >= 0 {
			r.Success.ContextID = 42
		}
	case *rrdb.RrdbScanResult:
		if r.Success.ContextID >= 0 {
			r.Success.ContextID = 42
		}
	}
}

func encode(t *testing.T, v thrift.TStruct) []byte {
	t.Helper()
	b, err := wire.EncodeStruct(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withArgs re-encodes a recorded request after edit changes its args.
func withArgs(t *testing.T, request []byte, edit func(args thrift.TStruct)) []byte {
	t.Helper()
	req, err := wire.ParseRequest(request, 0)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := catalog.Lookup(string(req.Name))
	args := e.NewArgs()
	if err := wire.DecodeStruct(req.Args, args); err != nil {
		t.Fatal(err)
	}
	edit(args)
	out, err := wire.AppendRequest(nil, req.Header, string(req.Name), req.Type, req.Seqid, args)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGoldenDataRepliesFromRealServer sends every recorded rrdb request to
// a real replica server (RocksDB underneath, TCP in front) holding the data
// the recording assumed, and checks that the reply decodes to the recorded
// values.
func TestGoldenDataRepliesFromRealServer(t *testing.T) {
	// Reads use this clock, writes their mutation timestamp (wall time), so
	// the clock starts at wall time for both to agree on sk1's expiry.
	clock := storage.NewManualClock(time.Now())
	node := startNode(t, clock, true)
	empty := startNode(t, clock, false)
	r := node.srv.Replica(goldenGpid)
	ctx := context.Background()
	hk := []byte("hk1")
	all := [][]byte{[]byte("sk1"), []byte("sk2"), []byte("sk3"), []byte("cnt"), []byte("sk_missing")}

	// setState leaves exactly the given sort keys (values v1, v2, v3) under
	// hk1; sk1 expires in an hour, as the ttl vector expects.
	setState := func(sortKeys ...string) {
		t.Helper()
		if _, err := r.Write(ctx, storage.Write{Op: storage.OpMultiRemove, Request: &rrdb.MultiRemoveRequest{HashKey: base.NewBlob(hk), SortKeys: blobs(all)}}); err != nil {
			t.Fatal(err)
		}
		for _, sk := range sortKeys {
			req := &rrdb.UpdateRequest{Key: base.NewBlob(keys.EncodeKey(hk, []byte(sk))), Value: base.NewBlob([]byte("v" + sk[2:]))}
			if sk == "sk1" {
				req.ExpireTsSeconds = int32(storage.EpochSeconds(clock.Now()) + 3600)
			}
			if _, err := r.Write(ctx, storage.Write{Op: storage.OpPut, Request: req}); err != nil {
				t.Fatal(err)
			}
		}
	}

	cases := []struct {
		vector string
		state  []string
		addr   string
	}{
		{"rrdb_put", nil, node.addr},
		{"rrdb_get", []string{"sk1"}, node.addr},
		{"rrdb_get_not_found", []string{"sk1"}, node.addr},
		{"rrdb_get_error", nil, empty.addr},
		{"rrdb_multi_put", nil, node.addr},
		{"rrdb_remove", []string{"sk1"}, node.addr},
		{"rrdb_multi_remove", []string{"sk1", "sk2"}, node.addr},
		{"rrdb_incr", nil, node.addr},
		{"rrdb_check_and_set", []string{"sk1"}, node.addr},
		{"rrdb_check_and_mutate", []string{"sk1", "sk3"}, node.addr},
		{"rrdb_multi_get", []string{"sk1", "sk2"}, node.addr},
		{"rrdb_multi_get_range", []string{"sk1", "sk2", "sk3"}, node.addr},
		{"rrdb_batch_get", []string{"sk1", "sk2"}, node.addr},
		{"rrdb_sortkey_count", []string{"sk1", "sk2"}, node.addr},
		{"rrdb_ttl", []string{"sk1"}, node.addr},
		{"rrdb_get_scanner", []string{"sk1", "sk2", "sk3"}, node.addr},
	}
	var scannerID int64 = -1
	for _, c := range cases {
		setState(c.state...)
		got := exchange(t, c.addr, readVector(t, c.vector+".request"), 5*time.Second)
		if got == nil {
			t.Fatalf("%s: no reply", c.vector)
		}
		compareReply(t, c.vector, got, readVector(t, c.vector+".response"))
		if c.vector == "rrdb_get_scanner" {
			_, res := decodeReply(t, got)
			scannerID = res.(*rrdb.RrdbGetScannerResult).Success.ContextID
		}
	}

	// SCAN continues the context GET_SCANNER opened (the recorded id 42 is
	// replaced by the id this server issued).
	if scannerID < 0 {
		t.Fatalf("get_scanner returned context %d, want a context to continue", scannerID)
	}
	scan := withArgs(t, readVector(t, "rrdb_scan.request"), func(a thrift.TStruct) {
		a.(*rrdb.RrdbScanArgs).Request.ContextID = scannerID
	})
	compareReply(t, "rrdb_scan", exchange(t, node.addr, scan, 5*time.Second), readVector(t, "rrdb_scan.response"))

	// CLEAR_SCANNER gets no reply and drops the context: a later SCAN of it
	// answers kNotFound.
	_, res := decodeReply(t, exchange(t, node.addr, readVector(t, "rrdb_get_scanner.request"), 5*time.Second))
	id := res.(*rrdb.RrdbGetScannerResult).Success.ContextID
	clear := withArgs(t, readVector(t, "rrdb_clear_scanner.request"), func(a thrift.TStruct) {
		a.(*rrdb.RrdbClearScannerArgs).ContextID = id
	})
	if rep := exchange(t, node.addr, clear, 300*time.Millisecond); rep != nil {
		t.Fatalf("clear_scanner got a reply: %x", rep)
	}
	scan = withArgs(t, readVector(t, "rrdb_scan.request"), func(a thrift.TStruct) {
		a.(*rrdb.RrdbScanArgs).Request.ContextID = id
	})
	_, res = decodeReply(t, exchange(t, node.addr, scan, 5*time.Second))
	if sr := res.(*rrdb.RrdbScanResult).Success; sr.Error != storage.StatusNotFound || len(sr.Kvs) != 0 {
		t.Fatalf("scan of a cleared context: error %d, %d kvs; want kNotFound", sr.Error, len(sr.Kvs))
	}
}

func compareReply(t *testing.T, vector string, got, recorded []byte) {
	t.Helper()
	wantRep, wantRes := decodeReply(t, recorded[4:])
	gotRep, gotRes := decodeReply(t, got)
	if gotRep.Err != wantRep.Err || gotRep.Name != wantRep.Name || gotRep.Seqid != wantRep.Seqid {
		t.Errorf("%s: reply %s/%s/%d, recorded %s/%s/%d", vector, gotRep.Err, gotRep.Name, gotRep.Seqid, wantRep.Err, wantRep.Name, wantRep.Seqid)
		return
	}
	if wantRes == nil {
		if len(gotRep.Result) != 0 {
			t.Errorf("%s: %s reply carries a body", vector, gotRep.Err)
		}
		return
	}
	normalize(t, wantRes)
	normalize(t, gotRes)
	if g, w := encode(t, gotRes), encode(t, wantRes); !bytes.Equal(g, w) {
		t.Errorf("%s: reply differs from the recording\n got %v\nwant %v", vector, gotRes, wantRes)
	}
}

func blobs(bs [][]byte) []*base.Blob {
	out := make([]*base.Blob, len(bs))
	for i, b := range bs {
		out[i] = base.NewBlob(b)
	}
	return out
}
