package rpc

import "sync"

// Frame buffers are pooled by power-of-two size class so steady traffic
// allocates nothing per request; very large buffers are left to the GC.
const (
	minBufClass = 9  // 512 B
	maxBufClass = 22 // 4 MiB
)

var bufPools [maxBufClass + 1]sync.Pool

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

// putBuf recycles b; b must not be used afterwards.
func putBuf(b []byte) {
	c := cap(b)
	if c < 1<<minBufClass || c > 1<<maxBufClass || c&(c-1) != 0 {
		return
	}
	b = b[:0]
	bufPools[bufClass(c)].Put(&b)
}
