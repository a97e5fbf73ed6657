package wire

import (
	"bytes"
	"context"
	"github.com/pegasus-go/pegasus/thrift/golden"
	"strings"
	"testing"

	"github.com/apache/thrift/lib/go/thrift"
)

type vector struct {
	name  string // file base name without .hex
	bytes []byte
}

func loadVectors(t testing.TB, suffix string) []vector {
	t.Helper()
	names, err := golden.Names(strings.TrimSuffix(suffix, ".hex"))
	if err != nil {
		t.Fatal(err)
	}
	var out []vector
	for _, n := range names {
		b, err := golden.Read(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vector{n, b})
	}
	return out
}

// rawStruct writes pre-encoded bytes, standing in for an args or result
// struct so the framing can be checked independently of the generated code.
type rawStruct []byte

func (r rawStruct) Write(_ context.Context, p thrift.TProtocol) error {
	e := p.(*Encoder)
	e.Buf = append(e.Buf, r...)
	return nil
}
func (r rawStruct) Read(context.Context, thrift.TProtocol) error { return nil }

func TestGoldenRequestsReframeByteForByte(t *testing.T) {
	vs := loadVectors(t, ".request.hex")
	if len(vs) != 32 {
		t.Fatalf("found %d request vectors, want 32", len(vs))
	}
	for _, v := range vs {
		req, err := ParseRequest(v.bytes, 0)
		if err != nil {
			t.Errorf("%s: parse: %v", v.name, err)
			continue
		}
		h := req.Header
		if h.Version != 0 || h.ClientTimeout != 1000 || h.ThreadHash != ThreadHash(h.AppID, h.PartitionIndex) {
			t.Errorf("%s: header %+v", v.name, h)
		}
		isData := strings.HasPrefix(v.name, "rrdb_")
		if isData && (h.AppID != 2 || h.PartitionIndex != 1 || h.PartitionHash != 0xb136b82b96d0c625) {
			t.Errorf("%s: data RPC routed to %d.%d hash %#x", v.name, h.AppID, h.PartitionIndex, h.PartitionHash)
		}
		if !isData && (h.AppID != 0 || h.PartitionIndex != 0 || h.PartitionHash != 0) {
			t.Errorf("%s: meta RPC header %+v", v.name, h)
		}
		if req.Type != thrift.CALL {
			t.Errorf("%s: message type %d", v.name, req.Type)
		}
		got, err := AppendRequest(nil, h, string(req.Name), req.Type, req.Seqid, rawStruct(req.Args))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, v.bytes) {
			t.Errorf("%s: re-framed request differs\n got %x\nwant %x", v.name, got, v.bytes)
		}
	}
}

func TestGoldenRepliesReframeByteForByte(t *testing.T) {
	vs := loadVectors(t, ".response.hex")
	if len(vs) != 31 {
		t.Fatalf("found %d response vectors, want 31", len(vs))
	}
	for _, v := range vs {
		frame, err := ReadReplyFrame(bytes.NewReader(v.bytes), nil, 0)
		if err != nil {
			t.Errorf("%s: read frame: %v", v.name, err)
			continue
		}
		rep, err := ParseReply(frame)
		if err != nil {
			t.Errorf("%s: parse: %v", v.name, err)
			continue
		}
		if !strings.HasSuffix(rep.Name, ReplySuffix) {
			t.Errorf("%s: reply name %q", v.name, rep.Name)
		}
		reqName := strings.TrimSuffix(rep.Name, ReplySuffix)
		if rep.Err != "ERR_OK" && len(rep.Result) != 0 {
			t.Errorf("%s: %s reply carries %d result bytes", v.name, rep.Err, len(rep.Result))
		}
		got, err := AppendReply(nil, rep.Err, reqName, rep.Seqid, rawStruct(rep.Result))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, v.bytes) {
			t.Errorf("%s: re-framed reply differs\n got %x\nwant %x", v.name, got, v.bytes)
		}
	}
}

func TestGoldenRequestPairsWithReplySeqid(t *testing.T) {
	for _, v := range loadVectors(t, ".response.hex") {
		reqFile := strings.TrimSuffix(v.name, ".response") + ".request"
		reqs := loadVectors(t, reqFile+".hex")
		if len(reqs) != 1 {
			t.Fatalf("%s: no request vector", v.name)
		}
		req, err := ParseRequest(reqs[0].bytes, 0)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := ParseReply(v.bytes[4:])
		if err != nil {
			t.Fatal(err)
		}
		if rep.Seqid != req.Seqid || rep.Name != ReplyName(string(req.Name)) {
			t.Errorf("%s: reply %s/%d for request %s/%d", v.name, rep.Name, rep.Seqid, req.Name, req.Seqid)
		}
	}
}
