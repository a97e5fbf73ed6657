package wire

import (
	"bytes"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

func TestPutRequestMatchesGeneratedDecoder(t *testing.T) {
	req, err := ParseRequest(putRequest(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	var p PutRequest
	if err := p.Decode(req.Args); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Key, []byte("\x00\x03hk1sk1")) || string(p.Value) != "v1" || p.ExpireTs != 0 || p.HasType {
		t.Fatalf("decoded %+v", p)
	}
	// All optional fields set.
	ct := rrdb.UpdateType_UT_INCR
	yes := true
	full := &rrdb.RrdbPutArgs{Update: &rrdb.UpdateRequest{Key: base.NewBlob([]byte("\x00\x01ab")), Value: base.NewBlob(nil),
		ExpireTsSeconds: 77, Type: &ct, CheckValueReturned: &yes, CheckValueExist: &yes, CheckValue: base.NewBlob([]byte("cv"))}}
	b, err := EncodeStruct(nil, full)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Decode(b); err != nil {
		t.Fatal(err)
	}
	if string(p.Key) != "\x00\x01ab" || len(p.Value) != 0 || p.ExpireTs != 77 || !p.HasType || p.Type != int32(ct) ||
		!p.CheckValueReturned || !p.CheckValueExist || string(p.CheckValue) != "cv" {
		t.Fatalf("decoded %+v", p)
	}
}

func TestBlobArg(t *testing.T) {
	args := &rrdb.RrdbGetArgs{Key: base.NewBlob([]byte("\x00\x03hk1sk1"))}
	b, _ := EncodeStruct(nil, args)
	got, err := BlobArg(b)
	if err != nil || string(got) != "\x00\x03hk1sk1" {
		t.Fatalf("got %q %v", got, err)
	}
	for _, bad := range [][]byte{nil, {8, 0, 1, 0, 0, 0, 1, 0}, b[:len(b)-1], append(append([]byte{}, b...), 0)} {
		if _, err := BlobArg(bad); err == nil {
			t.Errorf("accepted %x", bad)
		}
	}
}

// FuzzPutRequest checks the hand-written put decoder against the generated
// one: whenever both accept an input they must agree, and neither panics.
func FuzzPutRequest(f *testing.F) {
	for _, v := range loadVectors(f, ".request.hex") {
		if req, err := ParseRequest(v.bytes, 0); err == nil {
			f.Add(req.Args)
		}
	}
	f.Fuzz(func(t *testing.T, args []byte) {
		var fast PutRequest
		fastErr := fast.Decode(args)
		gen := rrdb.NewRrdbPutArgs()
		genErr := DecodeStruct(args, gen)
		if fastErr != nil || genErr != nil || gen.Update == nil {
			return
		}
		u := gen.Update
		if !bytes.Equal(fast.Key, u.Key.Bytes()) || !bytes.Equal(fast.Value, u.Value.Bytes()) || fast.ExpireTs != u.ExpireTsSeconds {
			t.Fatalf("fast %+v, generated %v", fast, u)
		}
		_, _ = BlobArg(args)
	})
}
