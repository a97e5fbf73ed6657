package catalog

import (
	"bytes"
	"context"
	"encoding/binary"
	"github.com/pegasus-go/pegasus/thrift/golden"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

// The golden vectors of thrift/testdata/wire (see its README.md): request
// frames with a 48-byte v0 header, response frames with their 4-byte length.
const (
	wireDir         = "../testdata/wire"
	wantVectorFiles = 63
	wantRequests    = 32
	wantResponses   = 31
	wantRPCNames    = 26
	v0HeaderLen     = 48
)

func readVector(t *testing.T, path string) []byte {
	t.Helper()
	b, err := decodeVectorFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeVectorFile returns the bytes of a hex vector file (64 hex digits per
// line).
func decodeVectorFile(path string) ([]byte, error) {
	return golden.Read(strings.TrimSuffix(filepath.Base(path), ".hex"))
}

// newProtocol returns a strict binary protocol over a memory buffer holding b.
// Sizes read from b are capped at len(b): every list, set or map element and
// every string byte takes at least one byte on the wire, so a larger count is
// corrupt, and the generated code preallocates containers by that count.
func newProtocol(b []byte) (*thrift.TMemoryBuffer, thrift.TProtocol) {
	buf := thrift.NewTMemoryBuffer()
	buf.Write(b)
	strict := true
	cfg := &thrift.TConfiguration{TBinaryStrictRead: &strict, TBinaryStrictWrite: &strict}
	if len(b) > 0 {
		cfg.MaxMessageSize = int32(min(len(b), math.MaxInt32))
	}
	return buf, thrift.NewTBinaryProtocolConf(buf, cfg)
}

// decodedRequest is what a request vector yields for its response's check.
type decodedRequest struct {
	entry Entry
	seqid int32
	args  thrift.TStruct
}

func TestGoldenVectors(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(wireDir, "*.hex"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != wantVectorFiles {
		t.Fatalf("found %d vector files in %s, want %d", len(paths), wireDir, wantVectorFiles)
	}
	sort.Strings(paths)

	vectors := map[string]bool{} // base name -> has a response
	for _, p := range paths {
		name := filepath.Base(p)
		switch {
		case strings.HasSuffix(name, ".request.hex"):
			if k := strings.TrimSuffix(name, ".request.hex"); !vectors[k] {
				vectors[k] = false // a request; its response may come later in the order
			}
		case strings.HasSuffix(name, ".response.hex"):
			vectors[strings.TrimSuffix(name, ".response.hex")] = true
		default:
			t.Fatalf("unexpected vector file %s", name)
		}
	}

	exercised := map[string]bool{}
	rpcNames := map[string]bool{}
	requests, responses := 0, 0
	for vec, hasResponse := range vectors {
		t.Run(vec, func(t *testing.T) {
			reqPath := filepath.Join(wireDir, vec+".request.hex")
			req := checkRequest(t, readVector(t, reqPath))
			exercised[reqPath] = true
			requests++
			rpcNames[req.entry.Name] = true
			if check := requestChecks[vec]; check != nil {
				check(t, req.args)
			}

			if req.entry.Oneway {
				if hasResponse {
					t.Errorf("one-way %s has a response vector", req.entry.Name)
				}
				return
			}
			if !hasResponse {
				t.Fatalf("two-way %s has no response vector", req.entry.Name)
			}
			respPath := filepath.Join(wireDir, vec+".response.hex")
			errName, result := checkResponse(t, readVector(t, respPath), req)
			exercised[respPath] = true
			responses++
			check := responseChecks[vec]
			if check == nil {
				t.Fatalf("no value assertions for %s", vec)
			}
			check(t, errName, result)
		})
	}

	for _, p := range paths {
		if !exercised[p] {
			t.Errorf("vector %s was not exercised", p)
		}
	}
	if requests != wantRequests || responses != wantResponses || len(rpcNames) != wantRPCNames {
		t.Errorf("exercised %d requests, %d responses, %d RPC names; want %d, %d, %d",
			requests, responses, len(rpcNames), wantRequests, wantResponses, wantRPCNames)
	}
}

// checkRequest verifies the v0 header, decodes the body through the
// catalogue and re-encodes it byte for byte.
func checkRequest(t *testing.T, frame []byte) decodedRequest {
	t.Helper()
	if len(frame) < v0HeaderLen {
		t.Fatalf("request of %d bytes is shorter than the v0 header", len(frame))
	}
	be := binary.BigEndian
	if sig := string(frame[0:4]); sig != "THFT" {
		t.Fatalf("signature %q", sig)
	}
	if v := be.Uint32(frame[4:]); v != 0 {
		t.Fatalf("header version %d, want 0", v)
	}
	if n := be.Uint32(frame[8:]); n != v0HeaderLen {
		t.Fatalf("header length %d, want 48", n)
	}
	body := frame[v0HeaderLen:]
	if n := be.Uint32(frame[16:]); int(n) != len(body) {
		t.Fatalf("body length field %d, body has %d bytes", n, len(body))
	}
	appID, pidx := int32(be.Uint32(frame[24:])), int32(be.Uint32(frame[28:]))
	if th := int32(be.Uint32(frame[36:])); th != appID*7919+pidx {
		t.Errorf("thread_hash %d, want %d*7919+%d", th, appID, pidx)
	}

	buf, prot := newProtocol(body)
	ctx := context.Background()
	name, typ, seqid, err := prot.ReadMessageBegin(ctx)
	if err != nil {
		t.Fatalf("read message begin: %v", err)
	}
	if typ != thrift.CALL && typ != thrift.ONEWAY {
		t.Fatalf("%s: message type %d, want CALL or ONEWAY", name, typ)
	}
	e, ok := Lookup(name)
	if !ok || e.Reserved {
		t.Fatalf("%s: not a served catalogue entry (found %v)", name, ok)
	}
	if (e.Target == Replica) != (appID > 0) {
		t.Errorf("%s (target %v) sent to gpid %d.%d", name, e.Target, appID, pidx)
	}
	args := e.NewArgs()
	if err := args.Read(ctx, prot); err != nil {
		t.Fatalf("%s: read args: %v", name, err)
	}
	if err := prot.ReadMessageEnd(ctx); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Fatalf("%s: %d body bytes left after the args", name, buf.Len())
	}
	if v, err := e.Request(args); err != nil || v == nil {
		t.Fatalf("%s: Request = %v, %v", name, v, err)
	}

	out, wprot := newProtocol(nil)
	if err := wprot.WriteMessageBegin(ctx, name, typ, seqid); err != nil {
		t.Fatal(err)
	}
	if err := args.Write(ctx, wprot); err != nil {
		t.Fatalf("%s: write args: %v", name, err)
	}
	if err := wprot.WriteMessageEnd(ctx); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), body) {
		t.Errorf("%s: re-encoded body differs\n got %x\nwant %x", name, out.Bytes(), body)
	}
	return decodedRequest{entry: e, seqid: seqid, args: args}
}

// checkResponse verifies the reply frame of req, decodes the result (for
// ERR_OK) and re-encodes the whole frame byte for byte.
func checkResponse(t *testing.T, frame []byte, req decodedRequest) (base.Errno, thrift.TStruct) {
	t.Helper()
	if len(frame) < 4 {
		t.Fatalf("response of %d bytes", len(frame))
	}
	if n := binary.BigEndian.Uint32(frame); int(n) != len(frame) {
		t.Fatalf("total length field %d, frame has %d bytes", n, len(frame))
	}
	buf, prot := newProtocol(frame[4:])
	ctx := context.Background()
	var errCode base.ErrorCode
	if err := errCode.Read(ctx, prot); err != nil {
		t.Fatal(err)
	}
	if !errCode.Errno.GoClientParses() {
		t.Errorf("error name %q is not parseable by the Go client", errCode.Errno)
	}
	name, typ, seqid, err := prot.ReadMessageBegin(ctx)
	if err != nil {
		t.Fatalf("read message begin: %v", err)
	}
	if typ != thrift.REPLY || name != req.entry.ReplyName() || name != req.entry.Name+"_ACK" || seqid != req.seqid {
		t.Fatalf("message begin (%q, %d, seqid %d), want (%q, REPLY, seqid %d)",
			name, typ, seqid, req.entry.ReplyName(), req.seqid)
	}

	var result thrift.TStruct
	if errCode.Errno == base.ERR_OK {
		result = req.entry.NewResult()
		if err := result.Read(ctx, prot); err != nil {
			t.Fatalf("%s: read result: %v", name, err)
		}
		if v, err := req.entry.Response(result); err != nil || v == nil {
			t.Fatalf("%s: Response = %v, %v", name, v, err)
		}
	}
	if err := prot.ReadMessageEnd(ctx); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Fatalf("%s: %d bytes left after the reply", name, buf.Len())
	}

	out, wprot := newProtocol(nil)
	if err := errCode.Write(ctx, wprot); err != nil {
		t.Fatal(err)
	}
	if err := wprot.WriteMessageBegin(ctx, req.entry.ReplyName(), thrift.REPLY, req.seqid); err != nil {
		t.Fatal(err)
	}
	if result != nil {
		if err := result.Write(ctx, wprot); err != nil {
			t.Fatalf("%s: write result: %v", name, err)
		}
	}
	if err := wprot.WriteMessageEnd(ctx); err != nil {
		t.Fatal(err)
	}
	got := binary.BigEndian.AppendUint32(nil, uint32(4+out.Len()))
	got = append(got, out.Bytes()...)
	if !bytes.Equal(got, frame) {
		t.Errorf("%s: re-encoded frame differs\n got %x\nwant %x", name, got, frame)
	}
	return errCode.Errno, result
}

// requestChecks assert decoded values of some request vectors.
var requestChecks = map[string]func(*testing.T, thrift.TStruct){
	"rrdb_put": func(t *testing.T, a thrift.TStruct) {
		u := a.(*rrdb.RrdbPutArgs).Update
		if want := []byte("\x00\x03hk1sk1"); !bytes.Equal(u.Key.Data, want) || string(u.Value.Data) != "v1" ||
			u.ExpireTsSeconds != 0 || u.Type != nil {
			t.Errorf("put args: %v", u)
		}
	},
	"rrdb_clear_scanner": func(t *testing.T, a thrift.TStruct) {
		if id := a.(*rrdb.RrdbClearScannerArgs).ContextID; id <= 0 {
			t.Errorf("clear_scanner context id %d", id)
		}
	},
	"rrdb_get_scanner": func(t *testing.T, a thrift.TStruct) {
		r := a.(*rrdb.RrdbGetScannerArgs).Request
		// The go-client always sets 11, never 12-14.
		if r.ValidatePartitionHash == nil || r.ReturnExpireTs != nil || r.FullScan != nil || r.OnlyReturnCount != nil {
			t.Errorf("get_scanner optional fields: %v", r)
		}
	},
	"meta_create_app": func(t *testing.T, a thrift.TStruct) {
		r := a.(*admin.MetaCreateAppArgs).Req
		if r.AppName != "temp" || r.Options.PartitionCount != 4 || r.Options.AtomicIdempotent != nil {
			t.Errorf("create_app args: %v %v", r, r.Options)
		}
	},
	"meta_propose_balancer": func(t *testing.T, a thrift.TStruct) {
		r := a.(*admin.MetaProposeBalancerArgs).Req
		if r.Gpid.String() != "2.1" || len(r.ActionList) != 2 || r.Force != nil ||
			r.ActionList[0].Type != admin.ConfigType_CT_DOWNGRADE_TO_SECONDARY ||
			r.ActionList[1].HpNode.String() != "127.0.0.1:34801" {
			t.Errorf("balancer args: %v", r)
		}
	},
	"meta_drop_app": func(t *testing.T, a thrift.TStruct) {
		o := a.(*admin.MetaDropAppArgs).Req.Options
		if !o.SuccessIfNotExist || o.ReserveSeconds == nil || *o.ReserveSeconds != 86400 {
			t.Errorf("drop_app options: %v", o)
		}
	},
}

// responseChecks assert decoded values of every response vector; a missing
// entry fails the test so that new vectors get assertions.
var responseChecks = map[string]func(*testing.T, base.Errno, thrift.TStruct){}

func init() {
	ok := func(check func(*testing.T, thrift.TStruct)) func(*testing.T, base.Errno, thrift.TStruct) {
		return func(t *testing.T, e base.Errno, r thrift.TStruct) {
			t.Helper()
			if e != base.ERR_OK {
				t.Fatalf("transport error %s, want ERR_OK", e)
			}
			check(t, r)
		}
	}
	replica := func(t *testing.T, appID, pidx int32, server string) {
		t.Helper()
		if appID != 2 || pidx != 1 || server != "127.0.0.1:34802" {
			t.Errorf("served by %d.%d %q, want 2.1 127.0.0.1:34802", appID, pidx, server)
		}
	}
	metaErr := func(t *testing.T, got *base.ErrorCode, want base.Errno) {
		t.Helper()
		if got.Code() != want {
			t.Errorf("err %s, want %s", got, want)
		}
	}
	appInfo := func(t *testing.T, ai *layer2.AppInfo) {
		t.Helper()
		if ai.AppName != "temp" || ai.AppID != 2 || ai.PartitionCount != 4 || ai.Envs["default_ttl"] != "86400" ||
			ai.Status != layer2.AppStatus_AS_AVAILABLE || ai.InitPartitionCount != 4 {
			t.Errorf("app_info %v", ai)
		}
		// C++ server style: the optional-with-default fields are present.
		for _, f := range []*bool{ai.Duplicating, ai.IsBulkLoading, ai.AtomicIdempotent} {
			if f == nil || *f {
				t.Errorf("app_info 12/14/15 should be present and false: %v", ai)
			}
		}
	}

	responseChecks["rrdb_put"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*rrdb.RrdbPutResult).Success
		replica(t, s.AppID, s.PartitionIndex, s.Server)
		if s.Error != 0 || s.Decree != 5 {
			t.Errorf("put response %v", s)
		}
	})
	responseChecks["rrdb_multi_put"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*rrdb.RrdbMultiPutResult).Success
		replica(t, s.AppID, s.PartitionIndex, s.Server)
	})
	responseChecks["rrdb_remove"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*rrdb.RrdbRemoveResult).Success
		replica(t, s.AppID, s.PartitionIndex, s.Server)
	})
	responseChecks["rrdb_multi_remove"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*rrdb.RrdbMultiRemoveResult).Success
		replica(t, s.AppID, s.PartitionIndex, s.Server)
	})
	responseChecks["rrdb_incr"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*rrdb.RrdbIncrResult).Success
		replica(t, s.AppID, s.PartitionIndex, s.Server)
	})
	responseChecks["rrdb_check_and_set"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*rrdb.RrdbCheckAndSetResult).Success
		replica(t, s.AppID, s.PartitionIndex, s.Server)
	})
	responseChecks["rrdb_check_and_mutate"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*rrdb.RrdbCheckAndMutateResult).Success
		replica(t, s.AppID, s.PartitionIndex, s.Server)
	})
	responseChecks["rrdb_get"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*rrdb.RrdbGetResult).Success
		replica(t, s.AppID, s.PartitionIndex, s.Server)
		if s.Error != 0 || string(s.Value.Data) != "v1" {
			t.Errorf("get response %v", s)
		}
	})
	responseChecks["rrdb_get_not_found"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*rrdb.RrdbGetResult).Success
		replica(t, s.AppID, s.PartitionIndex, s.Server)
		// The empty value is still present on the wire, as an empty blob.
		if s.Error != 1 || s.Value == nil || len(s.Value.Data) != 0 {
			t.Errorf("get_not_found response %v", s)
		}
	})
	responseChecks["rrdb_get_error"] = func(t *testing.T, e base.Errno, r thrift.TStruct) {
		if e != base.ERR_OBJECT_NOT_FOUND || r != nil {
			t.Errorf("get_error: transport error %s, result %v; want ERR_OBJECT_NOT_FOUND and no body", e, r)
		}
	}
	responseChecks["rrdb_multi_get"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*rrdb.RrdbMultiGetResult).Success
		replica(t, s.AppID, s.PartitionIndex, s.Server)
		if len(s.Kvs) == 0 || string(s.Kvs[0].Key.Data) != "sk1" {
			t.Errorf("multi_get response %v", s)
		}
	})
	responseChecks["rrdb_multi_get_range"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*rrdb.RrdbMultiGetResult).Success
		replica(t, s.AppID, s.PartitionIndex, s.Server)
	})
	responseChecks["rrdb_batch_get"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*rrdb.RrdbBatchGetResult).Success
		replica(t, s.AppID, s.PartitionIndex, s.Server)
	})
	responseChecks["rrdb_sortkey_count"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*rrdb.RrdbSortkeyCountResult).Success
		replica(t, s.AppID, s.PartitionIndex, s.Server)
	})
	responseChecks["rrdb_ttl"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*rrdb.RrdbTTLResult).Success
		replica(t, s.AppID, s.PartitionIndex, s.Server)
	})
	responseChecks["rrdb_get_scanner"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*rrdb.RrdbGetScannerResult).Success
		replica(t, s.AppID, s.PartitionIndex, s.Server)
	})
	responseChecks["rrdb_scan"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*rrdb.RrdbScanResult).Success
		replica(t, s.AppID, s.PartitionIndex, s.Server)
	})

	responseChecks["meta_query_config"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*admin.MetaQueryConfigResult).Success
		metaErr(t, s.Err, base.ERR_OK)
		if s.AppID != 2 || s.PartitionCount != 4 || len(s.Partitions) != 4 {
			t.Fatalf("query_config response %v", s)
		}
		p := s.Partitions[1]
		if p.Pid.String() != "2.1" || p.Ballot != 4 || p.Primary.String() != "127.0.0.1:34802" ||
			p.HpPrimary.String() != "127.0.0.1:34802" || len(p.Secondaries) != 2 ||
			p.Secondaries[0].String() != "127.0.0.1:34801" || p.HpLastDrops == nil || len(p.HpLastDrops) != 0 {
			t.Errorf("partition 1: %v", p)
		}
	})
	responseChecks["meta_query_config_not_found"] = ok(func(t *testing.T, r thrift.TStruct) {
		metaErr(t, r.(*admin.MetaQueryConfigResult).Success.Err, base.ERR_OBJECT_NOT_FOUND)
	})
	responseChecks["meta_query_config_forward"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*admin.MetaQueryConfigResult).Success
		metaErr(t, s.Err, base.ERR_FORWARD_TO_OTHERS)
		if len(s.Partitions) != 1 || s.Partitions[0].Primary.String() != "127.0.0.1:34602" {
			t.Errorf("forward response %v", s)
		}
	})
	responseChecks["meta_create_app"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*admin.MetaCreateAppResult).Success
		metaErr(t, s.Err, base.ERR_OK)
		if s.Appid != 2 {
			t.Errorf("create_app appid %d", s.Appid)
		}
	})
	responseChecks["meta_drop_app"] = ok(func(t *testing.T, r thrift.TStruct) {
		metaErr(t, r.(*admin.MetaDropAppResult).Success.Err, base.ERR_OK)
	})
	responseChecks["meta_recall_app"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*admin.MetaRecallAppResult).Success
		metaErr(t, s.Err, base.ERR_OK)
		appInfo(t, s.Info)
	})
	responseChecks["meta_list_apps"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*admin.MetaListAppsResult).Success
		metaErr(t, s.Err, base.ERR_OK)
		if len(s.Infos) != 1 || s.HintMessage != nil {
			t.Fatalf("list_apps response %v", s)
		}
		appInfo(t, s.Infos[0])
	})
	responseChecks["meta_list_nodes"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*admin.MetaListNodesResult).Success
		metaErr(t, s.Err, base.ERR_OK)
		if len(s.Infos) != 3 || s.Infos[2].Node.String() != "127.0.0.1:34803" ||
			s.Infos[2].Status != admin.NodeStatus_NS_ALIVE {
			t.Errorf("list_nodes response %v", s)
		}
	})
	responseChecks["meta_cluster_info"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*admin.MetaClusterInfoResult).Success
		metaErr(t, s.Err, base.ERR_OK)
		if len(s.Keys) != 3 || len(s.Values) != 3 || s.Keys[1] != "primary_meta_server" {
			t.Errorf("cluster_info response %v", s)
		}
	})
	responseChecks["meta_update_app_env"] = ok(func(t *testing.T, r thrift.TStruct) {
		metaErr(t, r.(*admin.MetaUpdateAppEnvResult).Success.Err, base.ERR_OK)
	})
	responseChecks["meta_control_meta"] = ok(func(t *testing.T, r thrift.TStruct) {
		s := r.(*admin.MetaControlMetaResult).Success
		metaErr(t, s.Err, base.ERR_OK)
		if s.OldLevel != admin.MetaFunctionLevel_fl_lively {
			t.Errorf("old level %v", s.OldLevel)
		}
	})
	responseChecks["meta_propose_balancer"] = ok(func(t *testing.T, r thrift.TStruct) {
		metaErr(t, r.(*admin.MetaProposeBalancerResult).Success.Err, base.ERR_OK)
	})

	cli := func(want string) func(*testing.T, base.Errno, thrift.TStruct) {
		return ok(func(t *testing.T, r thrift.TStruct) {
			v, err := mustLookup(t, RPC_CLI_CLI_CALL).Response(r)
			if s, _ := v.(*string); err != nil || s == nil || *s != want {
				t.Errorf("cli_call result %v, %v; want %q", v, err, want)
			}
		})
	}
	responseChecks["cli_call"] = cli("Pegasus Server 2.6.0 (abcdef0) Release, Started at 2026-03-13 20:33:17")
	responseChecks["cli_call_args"] = cli("kill partition succeed")
}

func mustLookup(t *testing.T, name string) Entry {
	t.Helper()
	e, ok := Lookup(name)
	if !ok {
		t.Fatalf("%s not in the catalogue", name)
	}
	return e
}

func mustProtocol(b []byte) thrift.TProtocol {
	_, p := newProtocol(b)
	return p
}
