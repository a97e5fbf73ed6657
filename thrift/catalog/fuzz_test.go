package catalog

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"strings"
	"testing"
)

// structPart returns the bytes after the message begin of a vector: the args
// struct of a request, the result struct (if any) of a response.
func structPart(path string, frame []byte) []byte {
	var body []byte
	if strings.HasSuffix(path, ".request.hex") {
		if len(frame) <= v0HeaderLen {
			return nil
		}
		body = frame[v0HeaderLen:]
	} else {
		if len(frame) < 8 {
			return nil
		}
		body = frame[4:]
		n := int(binary.BigEndian.Uint32(body)) // error name length
		if n+4 > len(body) {
			return nil
		}
		body = body[4+n:]
	}
	if len(body) < 12 {
		return nil
	}
	n := int(binary.BigEndian.Uint32(body[4:])) // message name length
	if n+12 > len(body) {
		return nil
	}
	return body[12+n:]
}

// FuzzArgsAndResults feeds arbitrary bytes to every args and result decoder
// (generated code plus the hand-written base types). Decoding may fail but
// must not panic, and must not allocate from an unchecked length; whatever
// decodes is encoded again, which must not panic either.
func FuzzArgsAndResults(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(wireDir, "*.hex"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		frame, err := decodeVectorFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if s := structPart(p, frame); len(s) > 0 {
			f.Add(s)
		}
	}

	all := All()
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		for _, e := range all {
			if e.Reserved {
				continue
			}
			if args := e.NewArgs(); args.Read(ctx, mustProtocol(data)) == nil {
				// Write may fail only on an unset error_code.
				_ = args.Write(ctx, mustProtocol(nil))
			}
			if res := e.NewResult(); res != nil && res.Read(ctx, mustProtocol(data)) == nil {
				_ = res.Write(ctx, mustProtocol(nil))
			}
		}
	})
}
