package replica

import "testing"

// TestServingCountFor: a replica keeps its own count while its table is
// splitting, except that one left behind by an earlier split (its child
// registered while it did not hear the end) catches up with the split's
// old count instead of refusing every later split.
func TestServingCountFor(t *testing.T) {
	for _, c := range []struct {
		own, count int32
		keep       bool
		want       int32
	}{
		{8, 8, false, 8},
		{8, 16, false, 16}, // the split is over: serve the new count
		{8, 16, true, 8},   // splitting 8 -> 16: keep 8 until the child registers
		{16, 32, true, 16}, // the next split
		{8, 32, true, 16},  // missed the end of 8 -> 16 while 16 -> 32 runs
		{0, 16, true, 16},  // a new replica takes the table's count
		{16, 16, true, 16}, // a registered parent during the same split
	} {
		if got := servingCountFor(c.own, c.count, c.keep); got != c.want {
			t.Errorf("servingCountFor(%d, %d, %v) = %d, want %d", c.own, c.count, c.keep, got, c.want)
		}
	}
}
