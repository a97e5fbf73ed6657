package rocksdb

// #include <stdlib.h>
import "C"

import "unsafe"

// cBytes copies b into C memory. RocksDB keeps pointers to iterator bounds
// for the iterator's life, and cgo forbids C from keeping Go pointers; the
// result must be released with freeCBytes. b must not be empty.
func cBytes(b []byte) []byte {
	p := C.CBytes(b)
	return unsafe.Slice((*byte)(p), len(b))
}

// freeCBytes frees memory from cBytes; nil is a no-op.
func freeCBytes(b []byte) {
	if len(b) > 0 {
		C.free(unsafe.Pointer(unsafe.SliceData(b)))
	}
}
