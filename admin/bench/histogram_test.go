package bench

import (
	"math/rand"
	"sort"
	"testing"
	"time"
)

func TestHistogramQuantilesWithinPrecision(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var h histogram
	var all []time.Duration
	for i := 0; i < 100000; i++ {
		d := time.Duration(rng.ExpFloat64() * float64(300*time.Microsecond))
		h.record(d)
		all = append(all, d)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := all[int(q*float64(len(all)))]
		got := h.quantile(q)
		if diff := float64(got-exact) / float64(exact); diff < -0.02 || diff > 0.02 {
			t.Errorf("p%v: got %v, exact %v (%.1f%% off)", q*100, got, exact, diff*100)
		}
	}
	if h.quantile(1) != all[len(all)-1] {
		t.Errorf("max: %v vs %v", h.quantile(1), all[len(all)-1])
	}
}

func TestBucketBoundsAreMonotonic(t *testing.T) {
	prev := -1
	for d := time.Duration(1); d < time.Hour; d = d*17/16 + 1 {
		b := bucketOf(d)
		if b < prev || lowerBound(b) > d || lowerBound(b+1) <= d {
			t.Fatalf("d=%v bucket %d [%v, %v)", d, b, lowerBound(b), lowerBound(b+1))
		}
		prev = b
	}
}
