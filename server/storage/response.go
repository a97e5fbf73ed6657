package storage

import (
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

// emptyBlob returns a fresh empty blob: responses always carry non-nil
// blobs, as every default-requiredness field is written anyway.
func emptyBlob() *base.Blob { return &base.Blob{} }

// recordArena batches the allocations of the records of one range-read
// response: bytes come from shared chunks, and the KeyValue and Blob structs
// from slabs, so a response of n records costs O(n / slab) allocations
// rather than O(n).
type recordArena struct {
	buf   []byte
	chunk int // size of the next chunk
	kvs   []rrdb.KeyValue
	blobs []base.Blob
	i32s  []int32
}

const (
	// Chunks grow from arenaMinChunk to arenaMaxChunk so that small
	// responses stay small; the cap keeps chunks below the Go allocator's
	// large-object size, whose zeroing and page handling cost more than the
	// allocations saved.
	arenaMinChunk = 2 << 10
	arenaMaxChunk = 16 << 10
	arenaSlab     = 32
)

// copyBytes returns a copy of b backed by the arena; nil for empty b.
func (a *recordArena) copyBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	if len(b) > arenaMaxChunk/4 {
		return append([]byte(nil), b...)
	}
	if cap(a.buf)-len(a.buf) < len(b) {
		a.chunk = min(max(2*a.chunk, arenaMinChunk), arenaMaxChunk)
		for a.chunk < len(b) {
			a.chunk *= 2
		}
		a.buf = make([]byte, 0, a.chunk)
	}
	n := len(a.buf)
	a.buf = append(a.buf, b...)
	return a.buf[n:len(a.buf):len(a.buf)]
}

// blob returns a blob holding data (not copied).
func (a *recordArena) blob(data []byte) *base.Blob {
	if len(a.blobs) == 0 {
		a.blobs = make([]base.Blob, arenaSlab)
	}
	b := &a.blobs[0]
	a.blobs = a.blobs[1:]
	b.Data = data
	return b
}

// keyValue returns a key_value of the given key and value (not copied).
func (a *recordArena) keyValue(key, value []byte) *rrdb.KeyValue {
	if len(a.kvs) == 0 {
		a.kvs = make([]rrdb.KeyValue, arenaSlab)
	}
	kv := &a.kvs[0]
	a.kvs = a.kvs[1:]
	kv.Key = a.blob(key)
	kv.Value = a.blob(value)
	return kv
}

// int32Ptr returns a pointer to a copy of v.
func (a *recordArena) int32Ptr(v int32) *int32 {
	if len(a.i32s) == 0 {
		a.i32s = make([]int32, arenaSlab)
	}
	p := &a.i32s[0]
	a.i32s = a.i32s[1:]
	*p = v
	return p
}
