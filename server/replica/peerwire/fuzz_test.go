package peerwire

import (
	"reflect"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// FuzzDecodeMutation: any bytes either fail to decode or decode to a
// mutation that survives an encode/decode round trip. (Re-encoding may
// differ from the input: a varint may be written with redundant bytes.)
func FuzzDecodeMutation(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0})
	f.Add(EncodeMutation(nil, prepare(3, 5).Msg.Mutation))
	for seed := range uint64(8) {
		f.Add(EncodeMutation(nil, newGen(seed).mutation(6)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMutation(7, 8, data)
		if err != nil {
			return
		}
		if m.Ballot != 7 || m.Decree != 8 {
			t.Fatalf("ballot and decree %d, %d", m.Ballot, m.Decree)
		}
		again := EncodeMutation(nil, m)
		if len(again) > len(data) {
			t.Fatalf("re-encoded to %d bytes from %d", len(again), len(data))
		}
		back, err := DecodeMutation(7, 8, again)
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("round trip of % x: %v\n got %#v\nwant %#v", data, err, back, m)
		}
	})
}

// FuzzDecodePeer: any bytes under any peer RPC name either fail to decode
// or decode to a message that survives another round trip unchanged.
func FuzzDecodePeer(f *testing.F) {
	for seed := range uint64(2 * len(msgTypes)) {
		_, args, _ := Encode(newGen(seed).envelope(msgTypes[seed%uint64(len(msgTypes))]))
		b, _ := wire.EncodeStruct(nil, args)
		f.Add(uint8(seed), b)
	}
	names := Names()
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		name := names[int(which)%len(names)]
		e, err := Decode(&rpc.Request{Name: name, Args: data})
		if err != nil {
			return
		}
		name2, args, err := Encode(e)
		if err != nil || name2 != name {
			t.Fatalf("decoded message does not encode: %q, %v", name2, err)
		}
		b, err := wire.EncodeStruct(nil, args)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Decode(&rpc.Request{Name: name, Args: b})
		if err != nil || !reflect.DeepEqual(again, e) {
			t.Fatalf("second round trip: %v\n got %#v\nwant %#v", err, again, e)
		}
	})
}
