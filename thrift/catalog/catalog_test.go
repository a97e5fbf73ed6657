package catalog

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

func TestCatalogueShape(t *testing.T) {
	if len(byName) != len(entries) {
		t.Fatalf("%d entries but %d distinct names: a name is listed twice", len(entries), len(byName))
	}
	served := map[Target]int{}
	reservedCount := 0
	for _, e := range All() {
		if !strings.HasPrefix(e.Name, "RPC_") || len(e.ReplyName()) > maxNameLen {
			t.Errorf("odd name %q", e.Name)
		}
		if e.Reserved {
			reservedCount++
			continue
		}
		served[e.Target]++
	}
	// protocol.md §2.2-§2.6, plus our typed internal meta <-> replica RPCs
	// (ping, config sync, update partition configuration, restore report,
	// duplication sync;
	// config proposal, file copy list and fetch, cold backup) and the
	// replica-to-replica ones (seven PacificA messages and learn checkpoint),
	// the cross-cluster duplicate write, and the three split RPCs (register
	// child, notify stop split, query child state).
	want := map[Target]int{Replica: 15 + 1, Meta: 37 + 5 + 3, ReplicaAdmin: 5 + 4 + 8, Any: 2}
	for target, n := range want {
		if served[target] != n {
			t.Errorf("%v serves %d RPCs, want %d", target, served[target], n)
		}
	}
	if reservedCount != 6-1-3-1 {
		t.Errorf("%d reserved names, want %d", reservedCount, 6-1-3-1)
	}
}

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		name     string
		found    bool
		reserved bool
		target   Target
		class    Class
		oneway   bool
	}{
		{RPC_RRDB_RRDB_PUT, true, false, Replica, Write, false},
		{RPC_RRDB_RRDB_GET, true, false, Replica, Read, false},
		{RPC_RRDB_RRDB_CLEAR_SCANNER, true, false, Replica, Read, true},
		{RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX, true, false, Meta, Read, false},
		{RPC_CM_START_RESTORE, true, false, Meta, Admin, false},
		{RPC_QUERY_APP_INFO, true, false, ReplicaAdmin, Admin, false},
		{RPC_CLI_CLI_CALL, true, false, Any, Admin, false},
		{RPC_NEGOTIATION, true, false, Any, Admin, false},
		{RPC_RRDB_RRDB_DUPLICATE, true, false, Replica, Write, false},
		{RPC_CM_CONFIG_SYNC, true, false, Meta, Admin, false},
		{RPC_CONFIG_PROPOSAL, true, false, ReplicaAdmin, Admin, true},
		{RPC_PREPARE, true, false, ReplicaAdmin, Admin, true},
		{RPC_PREPARE_ACK, true, false, ReplicaAdmin, Admin, true},
		{RPC_LEARN_COMPLETION_NOTIFY, true, false, ReplicaAdmin, Admin, true},
		{RPC_LEARN_CHECKPOINT, true, false, ReplicaAdmin, Admin, false},
		{RPC_CM_DUPLICATION_SYNC, true, false, Meta, Admin, false},
		{"RPC_NO_SUCH_THING", false, false, 0, 0, false},
		{"RPC_RRDB_RRDB_PUT_ACK", false, false, 0, 0, false},
		{"", false, false, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, ok := Lookup(tc.name)
			if ok != tc.found {
				t.Fatalf("found = %v", ok)
			}
			if !ok {
				return
			}
			if e.Reserved != tc.reserved || e.Target != tc.target || e.Class != tc.class || e.Oneway != tc.oneway {
				t.Errorf("entry %+v", e)
			}
			if e.ReplyName() != tc.name+"_ACK" {
				t.Errorf("ReplyName = %q", e.ReplyName())
			}
			if tc.reserved {
				if e.NewArgs() != nil || e.NewResult() != nil {
					t.Error("reserved entry has types")
				}
				if _, err := e.Request(nil); err == nil {
					t.Error("Request on a reserved entry succeeded")
				}
				if _, err := e.NewArgsWith(base.NewBlob(nil)); err == nil {
					t.Error("NewArgsWith on a reserved entry succeeded")
				}
			}
		})
	}
}

func TestReplyNameTruncated(t *testing.T) {
	long := "RPC_" + strings.Repeat("X", 60)
	if got := ReplyName(long); len(got) != maxNameLen || got != long[:maxNameLen] {
		t.Errorf("ReplyName(long) = %q", got)
	}
}

// TestArgsAndResultFields checks every served entry's wrapper structs on the
// wire: the args struct writes its argument as field 1 (STRUCT, or I64 for
// clear_scanner), and the result struct reads field 0 of the right type.
func TestArgsAndResultFields(t *testing.T) {
	ctx := context.Background()
	for _, e := range All() {
		if e.Reserved {
			continue
		}
		t.Run(e.Name, func(t *testing.T) {
			out, prot := newProtocol(nil)
			if err := e.NewArgs().Write(ctx, prot); err != nil {
				t.Fatalf("write empty args: %v", err)
			}
			b := out.Bytes()
			var wantType thrift.TType = thrift.STRUCT
			if e.Name == RPC_RRDB_RRDB_CLEAR_SCANNER {
				wantType = thrift.I64
			}
			if len(b) < 3 || thrift.TType(b[0]) != wantType || b[1] != 0 || b[2] != 1 {
				t.Fatalf("args field header % x, want type %v id 1", b[:min(3, len(b))], wantType)
			}

			if e.Oneway {
				if e.NewResult() != nil {
					t.Fatal("one-way RPC has a result struct")
				}
				return
			}
			// A result holding an empty response value: field 0 then STOP.
			wire := []byte{byte(thrift.STRUCT), 0, 0, 0, 0}
			if e.Name == RPC_CLI_CLI_CALL {
				wire = []byte{byte(thrift.STRING), 0, 0, 0, 0, 0, 2, 'o', 'k', 0}
			}
			_, rprot := newProtocol(wire)
			result := e.NewResult()
			if err := result.Read(ctx, rprot); err != nil {
				t.Fatalf("read result: %v", err)
			}
			if v, err := e.Response(result); err != nil || v == nil {
				t.Fatalf("Response = %v, %v; want the decoded field 0", v, err)
			}
		})
	}
}

func TestSetRequestAndResponse(t *testing.T) {
	put := mustLookup(t, RPC_RRDB_RRDB_PUT)
	req := &rrdb.UpdateRequest{Key: base.NewBlob([]byte("\x00\x01ab")), Value: base.NewBlob([]byte("v"))}
	args, err := put.NewArgsWith(req)
	if err != nil {
		t.Fatal(err)
	}
	if args.(*rrdb.RrdbPutArgs).Update != req {
		t.Error("NewArgsWith did not store the request")
	}
	if got, _ := put.Request(args); got != req {
		t.Errorf("Request = %v", got)
	}
	if err := put.SetRequest(args, &rrdb.MultiPutRequest{}); err == nil {
		t.Error("SetRequest accepted a request of the wrong type")
	}
	if err := put.SetRequest(&rrdb.RrdbGetArgs{}, req); err == nil {
		t.Error("SetRequest accepted args of another RPC")
	}
	if _, err := put.Request(&rrdb.RrdbGetArgs{}); err == nil {
		t.Error("Request accepted args of another RPC")
	}
	resp := &rrdb.UpdateResponse{Decree: 7}
	result, err := put.NewResultWith(resp)
	if err != nil || result.(*rrdb.RrdbPutResult).Success != resp {
		t.Fatalf("NewResultWith = %v, %v", result, err)
	}
	if err := put.SetResponse(result, &rrdb.ReadResponse{}); err == nil {
		t.Error("SetResponse accepted a response of the wrong type")
	}
	if err := put.SetResponse(result, "text"); err == nil {
		t.Error("SetResponse accepted a string for a struct response")
	}

	clear := mustLookup(t, RPC_RRDB_RRDB_CLEAR_SCANNER)
	args, err = clear.NewArgsWith(int64(42))
	if err != nil || args.(*rrdb.RrdbClearScannerArgs).ContextID != 42 {
		t.Fatalf("clear_scanner args %v, %v", args, err)
	}
	if _, err := clear.NewResultWith(nil); err == nil {
		t.Error("one-way RPC built a result")
	}

	cli := mustLookup(t, RPC_CLI_CLI_CALL)
	for _, v := range []any{"output", ptr("output")} {
		result, err := cli.NewResultWith(v)
		if err != nil {
			t.Fatalf("NewResultWith(%T): %v", v, err)
		}
		if got, _ := cli.Response(result); *got.(*string) != "output" {
			t.Errorf("Response = %v", got)
		}
	}
}

func ptr[T any](v T) *T { return &v }
