package meta

import (
	"context"
	"encoding/binary"
	"reflect"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

func responseErr(t *testing.T, e catalog.Entry, result any) base.Errno {
	t.Helper()
	v := reflect.ValueOf(result).Elem().FieldByName("Success")
	if !v.IsValid() || v.IsNil() {
		t.Fatalf("%s: no response in the result", e.Name)
	}
	f := v.Elem().FieldByName("Err")
	if !f.IsValid() {
		t.Fatalf("%s: response has no Err", e.Name)
	}
	return f.Interface().(*base.ErrorCode).Code()
}

// metaEntries are the meta RPCs whose response has an err field: all but
// the beacon.
func metaEntries() []catalog.Entry {
	var out []catalog.Entry
	for _, e := range catalog.All() {
		if e.Target == catalog.Meta && !e.Reserved && e.Name != catalog.RPC_FD_FAILURE_DETECTOR_PING {
			out = append(out, e)
		}
	}
	return out
}

// TestErrorResultEveryMetaRPC checks that every meta RPC's response can be
// built with only err set and survives an encode/decode round trip.
func TestErrorResultEveryMetaRPC(t *testing.T) {
	entries := metaEntries()
	if len(entries) < 35 {
		t.Fatalf("only %d meta RPCs in the catalogue", len(entries))
	}
	for _, e := range entries {
		res, err := errorResult(e, base.ERR_NOT_IMPLEMENTED)
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		b, err := wire.EncodeStruct(nil, res)
		if err != nil {
			t.Fatalf("%s: encode: %v", e.Name, err)
		}
		back := e.NewResult()
		if err := wire.DecodeStruct(b, back); err != nil {
			t.Fatalf("%s: decode: %v", e.Name, err)
		}
		if got := responseErr(t, e, back); got != base.ERR_NOT_IMPLEMENTED {
			t.Fatalf("%s: err %q", e.Name, got)
		}
	}
}

// TestServerAnswersEveryMetaRPC sends every meta RPC with an empty request
// (no nested structs set) and expects a decodable answer with err set:
// ERR_NOT_IMPLEMENTED for the RPCs this server does not serve yet.
func TestServerAnswersEveryMetaRPC(t *testing.T) {
	m := startMeta(t, fastOptions(metastore.NewMemory()))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := rpc.Dial(ctx, m.addr, rpc.ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, e := range metaEntries() {
		res := e.NewResult()
		if err := c.Call(ctx, wire.Header{}, e.Name, e.NewArgs(), res); err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		got := responseErr(t, e, res)
		switch {
		case got == "":
			t.Errorf("%s: empty err", e.Name)
		case !implemented[e.Name] && got != base.ERR_NOT_IMPLEMENTED:
			t.Errorf("%s: err %s, want ERR_NOT_IMPLEMENTED", e.Name, got)
		}
	}
	// A beacon without a sender is acked but not allowed.
	ack := call[*replication.BeaconAck](t, m.addr, catalog.RPC_FD_FAILURE_DETECTOR_PING, &replication.BeaconMsg{})
	if !ack.IsMaster || ack.Allowed {
		t.Fatalf("ack of an anonymous beacon: %+v", ack)
	}
	// The connection still works.
	if q := queryCfg(t, m.addr, "nope"); q.Err.Code() != base.ERR_OBJECT_NOT_FOUND {
		t.Fatalf("query after the sweep: %v", q.Err)
	}
}

// TestServerMalformedArgs: args that do not decode get ERR_INVALID_DATA
// and the server keeps serving the connection.
func TestServerMalformedArgs(t *testing.T) {
	m := startMeta(t, fastOptions(metastore.NewMemory()))
	name := catalog.RPC_CM_CREATE_APP
	var body []byte
	body = binary.BigEndian.AppendUint32(body, 0x80010001)
	body = binary.BigEndian.AppendUint32(body, uint32(len(name)))
	body = append(body, name...)
	body = binary.BigEndian.AppendUint32(body, 9)
	// args: field 1 STRUCT { field 1 STRING of length 0x7fffffff }
	body = append(body, 0x0c, 0, 1, 0x0b, 0, 1, 0x7f, 0xff, 0xff, 0xff, 0, 0)
	frame := make([]byte, 48)
	copy(frame, "THFT")
	binary.BigEndian.PutUint32(frame[8:], 48)
	binary.BigEndian.PutUint32(frame[16:], uint32(len(body)))
	frame = append(frame, body...)
	rep, err := wire.ParseReply(exchange(t, m.addr, frame))
	if err != nil || rep.Err != string(base.ERR_INVALID_DATA) || rep.Seqid != 9 {
		t.Fatalf("malformed create: %+v %v", rep, err)
	}
}
