package peerwire

import (
	"reflect"
	"slices"
	"testing"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// wireTrip sends e through Encode, the thrift bytes and Decode.
func wireTrip(t testing.TB, e Envelope) (Envelope, []byte, error) {
	t.Helper()
	name, args, err := Encode(e)
	if err != nil {
		t.Fatalf("encode %v: %v", e.Msg, err)
	}
	b, err := wire.EncodeStruct(nil, args)
	if err != nil {
		t.Fatalf("encode %v: thrift: %v", e.Msg, err)
	}
	got, err := Decode(&rpc.Request{Name: name, Args: b, Oneway: true})
	return got, b, err
}

func TestNames(t *testing.T) {
	var names []string
	for _, typ := range msgTypes {
		name := RPCName(typ)
		e, ok := catalog.Lookup(name)
		if !ok || e.Reserved || !e.Oneway || e.Target != catalog.ReplicaAdmin {
			t.Errorf("%v travels as %q: catalogue entry %+v, found %v", typ, name, e, ok)
		}
		names = append(names, name)
	}
	if !slices.Equal(Names(), names) {
		t.Errorf("Names() = %v, want %v", Names(), names)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(names)))) != 7 {
		t.Errorf("names not distinct: %v", names)
	}
	if RPCName(0) != "" || RPCName(99) != "" {
		t.Error("RPCName of an unknown type is not empty")
	}
	if _, _, err := Encode(Envelope{Msg: pacifica.Message{Type: 99}}); err == nil {
		t.Error("Encode accepted an unknown type")
	}
}

// TestRoundTripRandom sends many random messages of every type, with every
// field populated (each now and then zero, i.e. absent on the wire),
// through the thrift bytes and back.
func TestRoundTripRandom(t *testing.T) {
	const seeds = 3000
	for seed := range uint64(seeds) {
		g := newGen(seed)
		e := g.envelope(msgTypes[seed%uint64(len(msgTypes))])
		got, _, err := wireTrip(t, e)
		if err != nil {
			t.Fatalf("seed %d: decode %v: %v", seed, e.Msg, err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("seed %d: round trip\n got %#v\nwant %#v", seed, got, e)
		}
	}
}

// TestZeroFieldsAreAbsent checks that type-specific fields cost nothing
// when unused: a bare learn-completed message is pid, two addresses and
// the ballot.
func TestZeroFieldsAreAbsent(t *testing.T) {
	e := newGen(1).envelope(pacifica.MsgLearnCompleted)
	bare := Envelope{Msg: pacifica.Message{Type: e.Msg.Type, Pid: e.Msg.Pid, From: e.Msg.From, To: e.Msg.To, Ballot: 3}}
	got, b, err := wireTrip(t, bare)
	if err != nil || !reflect.DeepEqual(got, bare) {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	// args field header (3) + 4 × (field header 3 + i64 8) + 2 STOPs.
	if want := 3 + 4*11 + 2; len(b) != want {
		t.Errorf("bare message is %d bytes, want %d", len(b), want)
	}
}

func TestPrepareRoundTrip(t *testing.T) {
	e := prepare(64, 1024)
	got, b, err := wireTrip(t, e)
	if err != nil || !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip = %v, %v", got.Msg, err)
	}
	if len(b) > 64*1024+64*4+200 {
		t.Errorf("prepare of 64 KB is %d bytes", len(b))
	}
	// The decoded message owns its updates.
	b[len(b)/2] ^= 0xff
	if !reflect.DeepEqual(got, e) {
		t.Error("decoded message aliases the request bytes")
	}
}

// The split fields of a group check and its ack (peer_message 21 and 22)
// survive the trip; absent, they read as zero; negative ones are refused.
func TestSplitFieldsRoundTrip(t *testing.T) {
	g := newGen(7)
	for _, typ := range []pacifica.MsgType{pacifica.MsgGroupCheck, pacifica.MsgGroupCheckReply} {
		e := g.envelope(typ)
		e.SplitPartitionCount, e.SplitChildDecree = 16, 1234
		got, _, err := wireTrip(t, e)
		if err != nil || got.SplitPartitionCount != 16 || got.SplitChildDecree != 1234 {
			t.Fatalf("%v: round trip = %d %d, %v", typ, got.SplitPartitionCount, got.SplitChildDecree, err)
		}
		e.SplitPartitionCount, e.SplitChildDecree = 0, 0
		if got, _, err = wireTrip(t, e); err != nil || got.SplitPartitionCount != 0 || got.SplitChildDecree != 0 {
			t.Fatalf("%v: absent fields = %d %d, %v", typ, got.SplitPartitionCount, got.SplitChildDecree, err)
		}
		e.SplitChildDecree = -1
		if _, _, err := Encode(e); err == nil {
			t.Fatalf("%v: a negative split decree was encoded", typ)
		}
	}
}
