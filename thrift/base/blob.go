package base

import (
	"bytes"
	"context"
	"fmt"

	"github.com/apache/thrift/lib/go/thrift"
)

// Blob is dsn.blob: an arbitrary byte string, encoded like thrift binary
// (i32 BE length followed by the bytes) although its field type byte is
// STRUCT. An empty blob and a nil Data are the same value.
type Blob struct {
	Data []byte
}

// NewBlob returns a blob holding data (not copied).
func NewBlob(data []byte) *Blob { return &Blob{Data: data} }

// Bytes returns the blob's bytes; nil for a nil blob.
func (b *Blob) Bytes() []byte {
	if b == nil {
		return nil
	}
	return b.Data
}

// Read decodes the blob payload. The length is checked by the protocol (a
// negative length or one beyond its configured maximum is an error), and the
// bytes are read incrementally, so a corrupt length cannot force a huge
// allocation.
func (b *Blob) Read(ctx context.Context, iprot thrift.TProtocol) error {
	data, err := iprot.ReadBinary(ctx)
	if err != nil {
		return fmt.Errorf("read blob: %w", err)
	}
	b.Data = data
	return nil
}

// Write encodes the blob payload; a nil blob is written as an empty one.
func (b *Blob) Write(ctx context.Context, oprot thrift.TProtocol) error {
	if err := oprot.WriteBinary(ctx, b.Bytes()); err != nil {
		return fmt.Errorf("write blob: %w", err)
	}
	return nil
}

// Equals reports whether both blobs hold the same bytes; nil equals empty.
func (b *Blob) Equals(other *Blob) bool {
	return bytes.Equal(b.Bytes(), other.Bytes())
}

// String shows the bytes as a Go-quoted string.
func (b *Blob) String() string {
	return fmt.Sprintf("%q", b.Bytes())
}
