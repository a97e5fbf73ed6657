package meta

import (
	"net/netip"
	"slices"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// FlagDropped is partition_flags bit 0: the partition's table is dropped.
const FlagDropped int32 = 1

// maxLastDrops caps Partition.LastDrops.
const maxLastDrops = 3

// Partition is one partition's configuration as the meta server stores it
// (layer2 partition_configuration). A replica server is named by its IPv4
// endpoint; the zero netip.AddrPort means "none".
type Partition struct {
	Pid base.Gpid
	// Ballot grows by one with every membership change; 0 means the
	// partition has never had a configuration change.
	Ballot          int64
	MaxReplicaCount int32
	Primary         netip.AddrPort
	Secondaries     []netip.AddrPort
	// LastDrops lists members that recently left, oldest first, at most
	// three. The last entry is the node that most recently held the data.
	LastDrops           []netip.AddrPort
	LastCommittedDecree int64
	Flags               int32
}

// Clone returns a deep copy.
func (p Partition) Clone() Partition {
	p.Secondaries = slices.Clone(p.Secondaries)
	p.LastDrops = slices.Clone(p.LastDrops)
	return p
}

// HasPrimary reports whether a primary is assigned.
func (p Partition) HasPrimary() bool { return p.Primary.IsValid() }

// Dropped reports whether the dropped flag is set.
func (p Partition) Dropped() bool { return p.Flags&FlagDropped != 0 }

// Members returns the primary (if any) followed by the secondaries.
func (p Partition) Members() []netip.AddrPort {
	var out []netip.AddrPort
	if p.HasPrimary() {
		out = append(out, p.Primary)
	}
	return append(out, p.Secondaries...)
}

// IsMember reports whether n is the primary or a secondary.
func (p Partition) IsMember(n netip.AddrPort) bool {
	return n.IsValid() && (p.Primary == n || slices.Contains(p.Secondaries, n))
}

// LastHolder is the node that most recently left the partition's
// membership, the one that holds its newest data when no member is left.
func (p Partition) LastHolder() (netip.AddrPort, bool) {
	if len(p.LastDrops) == 0 {
		return netip.AddrPort{}, false
	}
	return p.LastDrops[len(p.LastDrops)-1], true
}

// NeverServed reports whether no replica server can hold data of this
// partition: it has no members and nobody has left it.
func (p Partition) NeverServed() bool {
	return !p.HasPrimary() && len(p.Secondaries) == 0 && len(p.LastDrops) == 0
}

// sameMembers compares primaries and secondaries (as sets).
func sameMembers(a, b Partition) bool {
	if a.Primary != b.Primary || len(a.Secondaries) != len(b.Secondaries) {
		return false
	}
	for _, s := range a.Secondaries {
		if !slices.Contains(b.Secondaries, s) {
			return false
		}
	}
	return true
}

// withMembers returns p at ballot+1 with the given members, keeping
// LastDrops in step: a member that left is appended (moved to the end if
// already listed) and one that joined is removed; the oldest entries fall
// off beyond three.
func (p Partition) withMembers(primary netip.AddrPort, secondaries []netip.AddrPort) Partition {
	next := p.Clone()
	next.Ballot++
	next.Primary = primary
	next.Secondaries = slices.Clone(secondaries)
	for _, m := range next.Members() {
		next.LastDrops = slices.DeleteFunc(next.LastDrops, func(d netip.AddrPort) bool { return d == m })
	}
	for _, m := range p.Members() {
		if !next.IsMember(m) {
			next.LastDrops = slices.DeleteFunc(next.LastDrops, func(d netip.AddrPort) bool { return d == m })
			next.LastDrops = append(next.LastDrops, m)
		}
	}
	if n := len(next.LastDrops); n > maxLastDrops {
		next.LastDrops = slices.Delete(next.LastDrops, 0, n-maxLastDrops)
	}
	return next
}

// without returns the nodes except n.
func without(nodes []netip.AddrPort, n netip.AddrPort) []netip.AddrPort {
	return slices.DeleteFunc(slices.Clone(nodes), func(x netip.AddrPort) bool { return x == n })
}

// netipNone is the zero endpoint: no node.
var netipNone netip.AddrPort
