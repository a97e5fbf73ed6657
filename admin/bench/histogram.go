// Package bench is the load generator behind pegasus-bench: bounded
// workers issuing set/get traffic through the Go client, with latency
// percentiles from a fixed-size histogram.
package bench

import (
	"math/bits"
	"time"
)

// histogram records durations in log-linear buckets: 64 sub-buckets per
// power of two of nanoseconds, so any recorded value is reported within
// about 1.6% and memory stays fixed however long the run.
type histogram struct {
	counts [64 * 64]uint64
	total  uint64
	max    time.Duration
}

const subBuckets = 64

func bucketOf(d time.Duration) int {
	v := uint64(d)
	if v < subBuckets {
		return int(v)
	}
	exp := bits.Len64(v) - 7 // v >> exp lies in [64, 128)
	return (exp+1)*subBuckets + int(v>>uint(exp)) - subBuckets
}

// lowerBound is the smallest duration that falls in bucket b.
func lowerBound(b int) time.Duration {
	if b < subBuckets {
		return time.Duration(b)
	}
	exp := b/subBuckets - 1
	return time.Duration(uint64(b%subBuckets+subBuckets) << uint(exp))
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	b := bucketOf(d)
	if b >= len(h.counts) {
		b = len(h.counts) - 1
	}
	h.counts[b]++
	h.total++
	if d > h.max {
		h.max = d
	}
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	if o.max > h.max {
		h.max = o.max
	}
}

// quantile returns the duration below which fraction q of samples fall.
func (h *histogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q * float64(h.total))
	if rank >= h.total {
		rank = h.total - 1
	}
	var seen uint64
	for b, c := range h.counts {
		seen += c
		if seen > rank {
			if next := lowerBound(b + 1); next-1 < h.max {
				return next - 1
			}
			return h.max
		}
	}
	return h.max
}
