package rpc

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// Frame buffers are pooled by power-of-two size class so steady traffic
// allocates nothing per request; very large buffers are left to the GC.
// A buffer sits in the class of the largest power of two its capacity
// holds, so that a frame that grew while it was encoded (append picks
// capacities that are not powers of two) is recycled too.
const (
	minBufClass = 9  // 512 B
	maxBufClass = 22 // 4 MiB
)

var bufPools [maxBufClass + 1]sync.Pool

// bufClass is the smallest class whose buffers hold n bytes.
func bufClass(n int) int {
	c := minBufClass
	for (1<<c) < n && c <= maxBufClass {
		c++
	}
	return c
}

// getBuf returns a buffer of length n (capacity at least 512).
func getBuf(n int) []byte {
	c := bufClass(n)
	if c > maxBufClass {
		return make([]byte, n)
	}
	if v := bufPools[c].Get(); v != nil {
		b := *(v.(*[]byte))
		return b[:n]
	}
	return make([]byte, n, 1<<c)
}

// getBufCap returns an empty buffer with capacity for at least n bytes, for
// a frame about to be encoded whose size is expected to be near n.
func getBufCap(n int) []byte { return getBuf(n)[:0] }

// putBuf recycles b; b must not be used afterwards.
func putBuf(b []byte) {
	c := cap(b)
	if c < 1<<minBufClass || c > 1<<maxBufClass {
		return
	}
	class := bits.Len(uint(c)) - 1 // the largest power of two c holds
	b = b[:0]
	bufPools[class].Put(&b)
}

// maxSizeHint caps a size hint: rarer, larger frames grow their buffer
// as before rather than make the frames after them start in one that big.
const maxSizeHint = 64 << 10

// noteSize records a frame of n bytes in a size hint: the hint rises to n
// at once and sinks towards smaller frames by an eighth per frame, so it
// follows the large frames of a mix. Concurrent notes may overwrite each
// other: a hint only sizes the next buffer.
func noteSize(hint *atomic.Int64, n int) {
	v, old := int64(min(n, maxSizeHint)), hint.Load()
	if v < old {
		v = max(v, old-old/8)
	}
	hint.Store(v)
}
