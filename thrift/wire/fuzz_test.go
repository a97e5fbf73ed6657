package wire

import (
	"bytes"
	"context"
	"testing"

	"github.com/apache/thrift/lib/go/thrift"
)

func FuzzReadRequest(f *testing.F) {
	for _, v := range loadVectors(f, ".request.hex") {
		f.Add(v.bytes)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		var buf []byte
		for i := 0; i < 4; i++ { // a few frames from one stream
			var req Request
			var err error
			req, buf, err = ReadRequest(r, buf, 1<<16)
			if err != nil {
				return
			}
			if len(req.Name) == 0 || (req.Type != thrift.CALL && req.Type != thrift.ONEWAY) {
				t.Fatalf("accepted a bad request %+v", req)
			}
			// Whatever the args are, skipping them as a struct must not panic.
			_ = NewDecoder(req.Args).Skip(context.Background(), thrift.STRUCT)
		}
	})
}

func FuzzParseReply(f *testing.F) {
	for _, v := range loadVectors(f, ".response.hex") {
		f.Add(v.bytes)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		frame, err := ReadReplyFrame(bytes.NewReader(b), nil, 1<<16)
		if err != nil {
			return
		}
		rep, err := ParseReply(frame)
		if err != nil {
			return
		}
		_ = NewDecoder(rep.Result).Skip(context.Background(), thrift.STRUCT)
	})
}
