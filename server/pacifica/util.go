package pacifica

import (
	"net/netip"
	"slices"
)

func sortInt64s(xs []int64) { slices.Sort(xs) }

// sortedNodes returns a sorted copy, so every walk over members is
// deterministic.
func sortedNodes(ns []netip.AddrPort) []netip.AddrPort {
	out := slices.Clone(ns)
	slices.SortFunc(out, netip.AddrPort.Compare)
	return out
}
