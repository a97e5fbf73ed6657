package meta

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

var t0 = time.Unix(1_700_000_000, 0)

func testConfig() Config {
	return Config{
		Grace:               22 * time.Second,
		HoldDroppedApps:     7 * 24 * time.Hour,
		MinReplicaCount:     1,
		MaxReplicaCount:     5,
		DefaultReplicaCount: 3,
		FunctionLevel:       admin.MetaFunctionLevel_fl_steady,
		MinLiveNodes:        1,
	}
}

// rs returns the address of replica server i: 127.0.0.1:34801+i.
func rs(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(34801+i))
}

func gpid(app, idx int32) base.Gpid { return base.Gpid{Appid: app, PartitionIndex: idx} }

func mustApply(t *testing.T, s *State, c Change, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(c); err != nil {
		t.Fatal(err)
	}
}

// newCluster returns a state with replica servers 0..nodes-1 alive at t0.
func newCluster(nodes int) *State {
	s := NewState(testConfig())
	for i := range nodes {
		s.Beacon(t0, rs(i))
	}
	return s
}

// create makes a table and returns its id.
func create(t *testing.T, s *State, name string, partitions int32) int32 {
	t.Helper()
	c, id, err := s.CreateApp(CreateRequest{Name: name, PartitionCount: partitions, ReplicaCount: 3, IsStateful: true}, t0)
	mustApply(t, s, c, err)
	return id
}

// setPartition overwrites a partition as if it had been persisted.
func setPartition(t *testing.T, s *State, p Partition) {
	t.Helper()
	mustApply(t, s, Change{Partitions: []Partition{p}}, nil)
}

// assign makes node the primary of pid through the update path.
func assign(t *testing.T, s *State, pid base.Gpid, n netip.AddrPort) Partition {
	t.Helper()
	cur, _ := s.Partition(pid)
	req := cur.Clone()
	req.Ballot++
	req.Primary = n
	c, got, err := s.UpdateConfiguration(ConfigUpdate{Config: req, Type: admin.ConfigType_CT_ASSIGN_PRIMARY, Node: n})
	mustApply(t, s, c, err)
	return got
}

func errnoOf(err error) base.Errno { return ErrnoOf(err) }

type gpidT = base.Gpid
