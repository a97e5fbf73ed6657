package meta

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/pegasus-go/pegasus/server/config"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// Config holds the knobs of the state machine. Options documents each of
// them; the Server fills Config from Options.
type Config struct {
	Grace               time.Duration
	HoldDroppedApps     time.Duration
	MinReplicaCount     int32
	MaxReplicaCount     int32
	DefaultReplicaCount int32
	FunctionLevel       admin.MetaFunctionLevel
	// MinLiveNodes and MinLivePercent cap the effective function level at
	// fl_freezed while fewer replica servers are alive (design notes §3.13).
	MinLiveNodes   int
	MinLivePercent int
	// ProposalRetry is how long cure waits before it sends a pending
	// proposal again.
	ProposalRetry time.Duration
	// Duplication names this cluster and the clusters it may duplicate
	// to; DupProgressInterval is how often at most a partition's
	// duplication progress is written.
	Duplication         config.Duplication
	DupProgressInterval time.Duration
}

// table is a table with its partitions, indexed by partition index.
type table struct {
	app   App
	parts []Partition
}

// node is what the failure detector knows of a replica server.
type node struct {
	alive      bool
	lastBeacon time.Time
}

// assignment is a proposal cure has sent and keeps sending while it is
// still the right one: the partition is unchanged since (same ballot) and
// the target is alive.
type assignment struct {
	target netip.AddrPort
	ballot int64
	typ    admin.ConfigType
	sentAt time.Time
}

// State is the meta server's state machine: tables, partition
// configurations, replica-server liveness and the function level. It does
// no I/O and is not safe for concurrent use; its owner serialises calls.
//
// Methods that change durable state do not change State: they return a
// Change, which the owner persists and then passes to Apply. In-memory-only
// facts (liveness, pending assignments, the function level) change in
// place.
type State struct {
	cfg     Config
	level   admin.MetaFunctionLevel
	tables  map[int32]*table
	names   map[string]int32 // name → id of the available table that holds it
	maxID   int32            // largest app id ever used, dropped tables included
	nodes   map[netip.AddrPort]*node
	pending map[base.Gpid]assignment
	// adding holds the CT_ADD_SECONDARY cure has sent per partition, at
	// most one each: target is the learner, sent to the primary.
	adding map[base.Gpid]assignment
	// committed is the last committed decree each node reported per
	// partition through config sync; it picks the secondary to promote.
	committed map[base.Gpid]map[netip.AddrPort]int64
	// moves are the balancer moves under way, at most one per partition
	// (balance.go).
	moves map[base.Gpid]*moveState
	// dups are the duplications of every table (dup_state.go).
	dups map[DupKey]*dupState
}

// NewState returns an empty state.
func NewState(cfg Config) *State {
	if cfg.FunctionLevel == 0 {
		cfg.FunctionLevel = admin.MetaFunctionLevel_fl_steady
	}
	return &State{
		cfg:     cfg,
		level:   cfg.FunctionLevel,
		tables:  map[int32]*table{},
		names:   map[string]int32{},
		nodes:   map[netip.AddrPort]*node{},
		pending: map[base.Gpid]assignment{},
		adding:  map[base.Gpid]assignment{},

		committed: map[base.Gpid]map[netip.AddrPort]int64{},
		moves:     map[base.Gpid]*moveState{},
	}
}

// Change is a set of records to persist together; only after they are
// durable may the owner Apply the change.
type Change struct {
	Apps       []App
	Partitions []Partition
	// RemovedPartitions are the configurations to delete: the children of
	// a canceled split, beyond their table's (halved) partition count.
	RemovedPartitions []base.Gpid
	// Dup holds duplication records and progress (dup_state.go).
	Dup DupChange
}

// Empty reports whether there is nothing to persist.
func (c Change) Empty() bool {
	return len(c.Apps) == 0 && len(c.Partitions) == 0 && len(c.RemovedPartitions) == 0 && c.Dup.empty()
}

// Apply makes a persisted change visible. Apps are applied before
// partitions, so a change may create a table together with its partitions.
func (s *State) Apply(c Change) error {
	for _, a := range c.Apps {
		t := s.tables[a.ID]
		if t == nil {
			t = &table{}
			s.tables[a.ID] = t
		} else if s.names[t.app.Name] == a.ID {
			delete(s.names, t.app.Name)
		}
		t.app = a.Clone()
		t.app.Duplicating = len(s.dupsOf(a.ID)) > 0
		if n := int(a.PartitionCount); len(t.parts) < n {
			for i := len(t.parts); i < n; i++ {
				t.parts = append(t.parts, Partition{Pid: base.Gpid{Appid: a.ID, PartitionIndex: int32(i)}})
			}
		} else if len(t.parts) > n {
			s.forgetPartitions(t.parts[n:])
			t.parts = t.parts[:n]
		}
		if a.Available() {
			s.names[a.Name] = a.ID
		}
		s.maxID = max(s.maxID, a.ID)
	}
	for _, p := range c.Partitions {
		t := s.tables[p.Pid.Appid]
		if t == nil || p.Pid.PartitionIndex < 0 || int(p.Pid.PartitionIndex) >= len(t.parts) {
			return fmt.Errorf("apply partition %v: no such partition", &p.Pid)
		}
		if a, ok := s.pending[p.Pid]; ok && a.ballot != p.Ballot {
			delete(s.pending, p.Pid)
		}
		t.parts[p.Pid.PartitionIndex] = p.Clone()
	}
	return s.applyDup(c.Dup)
}

// forgetPartitions drops what the state knows in memory of partitions that
// no longer exist (a canceled split's children).
func (s *State) forgetPartitions(parts []Partition) {
	for _, p := range parts {
		delete(s.pending, p.Pid)
		delete(s.adding, p.Pid)
		delete(s.committed, p.Pid)
		delete(s.moves, p.Pid)
	}
}

// partition returns the stored configuration of pid.
func (s *State) partition(pid base.Gpid) (*table, Partition, bool) {
	t := s.tables[pid.Appid]
	if t == nil || pid.PartitionIndex < 0 || int(pid.PartitionIndex) >= len(t.parts) {
		return nil, Partition{}, false
	}
	return t, t.parts[pid.PartitionIndex], true
}

// Partition returns a copy of pid's stored configuration.
func (s *State) Partition(pid base.Gpid) (Partition, bool) {
	_, p, ok := s.partition(pid)
	return p.Clone(), ok
}

// App returns a copy of the table with the given id, dropped or not.
func (s *State) App(id int32) (App, bool) {
	t := s.tables[id]
	if t == nil {
		return App{}, false
	}
	return t.app.Clone(), true
}

// availableTable returns the available table named name.
func (s *State) availableTable(name string) (*table, bool) {
	id, ok := s.names[name]
	if !ok {
		return nil, false
	}
	return s.tables[id], true
}

// tableIDs returns every table id in ascending order, so that every walk
// over the tables, and hence every decision, is deterministic.
func (s *State) tableIDs() []int32 {
	ids := make([]int32, 0, len(s.tables))
	for id := range s.tables {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Level returns the function level set by control_meta (or at start).
func (s *State) Level() admin.MetaFunctionLevel { return s.level }

// EffectiveLevel is the level the meta acts at: Level, capped at fl_freezed
// while too few replica servers are alive.
func (s *State) EffectiveLevel() admin.MetaFunctionLevel {
	if s.level > admin.MetaFunctionLevel_fl_freezed && s.tooFewAlive() {
		return admin.MetaFunctionLevel_fl_freezed
	}
	return s.level
}

func (s *State) tooFewAlive() bool {
	alive := 0
	for _, n := range s.nodes {
		if n.alive {
			alive++
		}
	}
	if alive < s.cfg.MinLiveNodes {
		return true
	}
	return len(s.nodes) > 0 && alive*100 < len(s.nodes)*s.cfg.MinLivePercent
}

// SetLevel sets the function level and returns the previous one;
// fl_invalid only queries it.
func (s *State) SetLevel(l admin.MetaFunctionLevel) (admin.MetaFunctionLevel, error) {
	old := s.level
	switch l {
	case admin.MetaFunctionLevel_fl_invalid:
	case admin.MetaFunctionLevel_fl_stopped, admin.MetaFunctionLevel_fl_blind, admin.MetaFunctionLevel_fl_freezed,
		admin.MetaFunctionLevel_fl_steady, admin.MetaFunctionLevel_fl_lively:
		s.level = l
	default:
		return old, refuse(base.ERR_INVALID_PARAMETERS, "unknown function level %d", l)
	}
	return old, nil
}
