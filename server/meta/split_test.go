package meta

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// splitTable creates a table of n partitions on three alive nodes, each
// partition with a primary and two secondaries at ballot 3.
func splitTable(t *testing.T, s *State, name string, n int32) int32 {
	t.Helper()
	id := create(t, s, name, n)
	for i := range n {
		setPartition(t, s, Partition{
			Pid: gpid(id, i), Ballot: 3, MaxReplicaCount: 3,
			Primary: rs(int(i) % 3), Secondaries: []netip.AddrPort{rs(int(i+1) % 3), rs(int(i+2) % 3)},
		})
	}
	return id
}

// childOf is the registration a parent's primary sends: ballot+1, the
// parent's members.
func childOf(t *testing.T, s *State, parent base.Gpid, n int32) (Partition, Partition) {
	t.Helper()
	p, ok := s.Partition(parent)
	if !ok {
		t.Fatalf("no parent %v", &parent)
	}
	c := p.Clone()
	c.Pid.PartitionIndex += n
	c.Ballot++
	return p, c
}

// applyFn applies the change f decides.
func applyFn(t *testing.T, s *State, f func() (Change, error)) {
	t.Helper()
	c, err := f()
	mustApply(t, s, c, err)
}

func wantErrno(t *testing.T, what string, err error, want base.Errno) {
	t.Helper()
	if got := ErrnoOf(err); got != want {
		t.Fatalf("%s: %v, want %s", what, err, want)
	}
	if want != base.ERR_OK && hintOf(err) == "" {
		t.Fatalf("%s: %s without a hint", what, want)
	}
}

func splitOf(t *testing.T, s *State, id int32) []admin.SplitStatus {
	t.Helper()
	a, _ := s.App(id)
	return a.Split
}

func TestStartSplitValidation(t *testing.T) {
	s := newCluster(3)
	id := splitTable(t, s, "a", 4)
	for _, tc := range []struct {
		name  string
		count int32
		want  base.Errno
	}{
		{"nope", 8, base.ERR_APP_NOT_EXIST},
		{"a", 0, base.ERR_INVALID_PARAMETERS},
		{"a", -8, base.ERR_INVALID_PARAMETERS},
		{"a", 4, base.ERR_INVALID_PARAMETERS},
		{"a", 6, base.ERR_INVALID_PARAMETERS},
		{"a", 16, base.ERR_INVALID_PARAMETERS},
	} {
		c, err := s.StartSplit(tc.name, tc.count)
		wantErrno(t, tc.name, err, tc.want)
		if !c.Empty() {
			t.Fatalf("refused start returned a change %+v", c)
		}
	}
	if _, _, err := s.QuerySplit("a"); ErrnoOf(err) != base.ERR_INVALID_STATE {
		t.Fatalf("query before the split: %v", err)
	}

	c, err := s.StartSplit("a", 8)
	mustApply(t, s, c, err)
	app, _ := s.App(id)
	if app.PartitionCount != 8 || app.InitPartitionCount != 4 || app.Envs[splitHashEnv] != "true" ||
		!slices.Equal(app.Split, slices.Repeat([]admin.SplitStatus{admin.SplitStatus_SPLITTING}, 4)) {
		t.Fatalf("table after start: %+v", app)
	}
	for i := range int32(8) {
		p, _ := s.Partition(gpid(id, i))
		switch {
		case i < 4 && (p.Ballot != 3 || !p.HasPrimary()):
			t.Fatalf("parent %d changed: %+v", i, p)
		case i >= 4 && (p.Ballot != -1 || len(p.Members()) != 0 || p.MaxReplicaCount != 3):
			t.Fatalf("child %d: %+v", i, p)
		}
	}
	count, status, err := s.QuerySplit("a")
	if err != nil || count != 8 || len(status) != 4 || status[3] != admin.SplitStatus_SPLITTING {
		t.Fatalf("query: %d %v %v", count, status, err)
	}
	_, err = s.StartSplit("a", 8)
	wantErrno(t, "start twice", err, base.ERR_BUSY)
	_, err = s.StartSplit("a", 16)
	wantErrno(t, "start again, doubled", err, base.ERR_BUSY)

	// The routing view: 8 partitions, the children at ballot -1.
	app, parts, err := s.QueryConfig("a", nil)
	if err != nil || app.PartitionCount != 8 || len(parts) != 8 || parts[5].Ballot != -1 {
		t.Fatalf("query_cfg during the split: %+v %v", parts, err)
	}
}

func TestControlSplitTransitions(t *testing.T) {
	s := newCluster(3)
	id := splitTable(t, s, "a", 4)
	old := int32(4)
	_, _, err := s.ControlSplit("a", admin.SplitControlType_PAUSE, -1, &old)
	wantErrno(t, "pause when not splitting", err, base.ERR_INVALID_STATE)
	_, _, err = s.ControlSplit("nope", admin.SplitControlType_PAUSE, -1, nil)
	wantErrno(t, "pause an unknown table", err, base.ERR_APP_NOT_EXIST)
	applyFn(t, s, func() (Change, error) { return s.StartSplit("a", 8) })

	control := func(typ admin.SplitControlType, parent int32) {
		t.Helper()
		c, hint, err := s.ControlSplit("a", typ, parent, &old)
		mustApply(t, s, c, err)
		if hint == "" {
			t.Fatalf("%v %d: no hint", typ, parent)
		}
	}
	wrong := int32(8)
	_, _, err = s.ControlSplit("a", admin.SplitControlType_PAUSE, 1, &wrong)
	wantErrno(t, "pause with the wrong old count", err, base.ERR_INVALID_PARAMETERS)
	_, _, err = s.ControlSplit("a", admin.SplitControlType_PAUSE, 4, nil)
	wantErrno(t, "pause a child", err, base.ERR_INVALID_PARAMETERS)
	_, _, err = s.ControlSplit("a", admin.SplitControlType(7), 1, nil)
	wantErrno(t, "unknown control", err, base.ERR_INVALID_PARAMETERS)

	S, PI, PD, C, N := admin.SplitStatus_SPLITTING, admin.SplitStatus_PAUSING, admin.SplitStatus_PAUSED,
		admin.SplitStatus_CANCELING, admin.SplitStatus_NOT_SPLIT
	want := func(st ...admin.SplitStatus) {
		t.Helper()
		if got := splitOf(t, s, id); !slices.Equal(got, st) {
			t.Fatalf("split status %v, want %v", got, st)
		}
	}
	control(admin.SplitControlType_PAUSE, 1)
	want(S, PI, S, S)
	control(admin.SplitControlType_PAUSE, 1) // again: nothing changes
	want(S, PI, S, S)
	// The primary confirms; a repeat is harmless.
	for range 2 {
		applyFn(t, s, func() (Change, error) {
			return s.NotifyStopSplit("a", gpid(id, 1), admin.SplitStatus_PAUSING, 4)
		})
	}
	want(S, PD, S, S)
	_, err = s.NotifyStopSplit("a", gpid(id, 0), admin.SplitStatus_PAUSING, 4)
	wantErrno(t, "a pause confirmation for a splitting parent", err, base.ERR_INVALID_STATE)
	_, err = s.NotifyStopSplit("a", gpid(id, 1), admin.SplitStatus_PAUSING, 8)
	wantErrno(t, "a confirmation with the new count", err, base.ERR_INVALID_PARAMETERS)

	// The paused parent may not register its child.
	p, c := childOf(t, s, gpid(id, 1), 4)
	_, _, _, _, err = s.RegisterChild(p, c)
	wantErrno(t, "register a paused parent's child", err, base.ERR_INVALID_STATE)

	control(admin.SplitControlType_PAUSE, -1)
	want(PI, PD, PI, PI)
	control(admin.SplitControlType_RESTART, 2)
	want(PI, PD, S, PI)
	control(admin.SplitControlType_RESTART, -1)
	want(S, S, S, S)

	// Parent 0 registers: it can no longer be paused, and the split can no
	// longer be canceled.
	p, c = childOf(t, s, gpid(id, 0), 4)
	ch, _, _, _, err := s.RegisterChild(p, c)
	mustApply(t, s, ch, err)
	want(N, S, S, S)
	_, _, err = s.ControlSplit("a", admin.SplitControlType_PAUSE, 0, nil)
	wantErrno(t, "pause a registered parent", err, base.ERR_CHILD_REGISTERED)
	_, _, err = s.ControlSplit("a", admin.SplitControlType_CANCEL, -1, &old)
	wantErrno(t, "cancel after a child registered", err, base.ERR_CHILD_REGISTERED)
	control(admin.SplitControlType_PAUSE, -1) // the registered parent is left alone
	want(N, PI, PI, PI)
	count, status, _ := s.QuerySplit("a")
	if count != 8 || !maps.Equal(status, map[int32]admin.SplitStatus{1: PI, 2: PI, 3: PI}) {
		t.Fatalf("query: %d %v", count, status)
	}

	// A fresh split that is canceled: every parent must confirm.
	s2 := newCluster(3)
	id2 := splitTable(t, s2, "b", 2)
	applyFn(t, s2, func() (Change, error) { return s2.StartSplit("b", 4) })
	applyFn(t, s2, func() (Change, error) {
		c, _, err := s2.ControlSplit("b", admin.SplitControlType_PAUSE, 0, nil)
		return c, err
	})
	applyFn(t, s2, func() (Change, error) {
		c, _, err := s2.ControlSplit("b", admin.SplitControlType_CANCEL, -1, nil)
		return c, err
	})
	if got := splitOf(t, s2, id2); !slices.Equal(got, []admin.SplitStatus{C, C}) {
		t.Fatalf("after cancel: %v", got)
	}
	_, _, err = s2.ControlSplit("b", admin.SplitControlType_RESTART, -1, nil)
	wantErrno(t, "restart while canceling", err, base.ERR_INVALID_STATE)
	p, c = childOf(t, s2, gpid(id2, 1), 2)
	_, _, _, _, err = s2.RegisterChild(p, c)
	wantErrno(t, "register while canceling", err, base.ERR_INVALID_STATE)
	_, err = s2.NotifyStopSplit("b", gpid(id2, 0), admin.SplitStatus_PAUSING, 2)
	wantErrno(t, "a pause confirmation while canceling", err, base.ERR_INVALID_STATE)
	applyFn(t, s2, func() (Change, error) { return s2.NotifyStopSplit("b", gpid(id2, 0), admin.SplitStatus_CANCELING, 2) })
	applyFn(t, s2, func() (Change, error) { return s2.NotifyStopSplit("b", gpid(id2, 0), admin.SplitStatus_CANCELING, 2) })
	if got := splitOf(t, s2, id2); !slices.Equal(got, []admin.SplitStatus{N, C}) {
		t.Fatalf("after one confirmation: %v", got)
	}
	ch, err = s2.NotifyStopSplit("b", gpid(id2, 1), admin.SplitStatus_CANCELING, 2)
	if err != nil || !slices.Equal(ch.RemovedPartitions, []base.Gpid{gpid(id2, 2), gpid(id2, 3)}) {
		t.Fatalf("last confirmation: %+v %v", ch, err)
	}
	mustApply(t, s2, ch, err)
	app, _ := s2.App(id2)
	if app.PartitionCount != 2 || app.Splitting() || len(s2.tables[id2].parts) != 2 {
		t.Fatalf("after the cancel: %+v, %d partitions", app, len(s2.tables[id2].parts))
	}
	if _, ok := s2.Partition(gpid(id2, 2)); ok {
		t.Fatal("a canceled child still has a configuration")
	}
	_, err = s2.NotifyStopSplit("b", gpid(id2, 1), admin.SplitStatus_CANCELING, 2)
	wantErrno(t, "a confirmation after the cancel", err, base.ERR_INVALID_STATE)
	// The table splits again from scratch.
	applyFn(t, s2, func() (Change, error) { return s2.StartSplit("b", 4) })
}

func TestRegisterChild(t *testing.T) {
	s := newCluster(3)
	id := splitTable(t, s, "a", 2)
	p, c := childOf(t, s, gpid(id, 0), 2)
	_, _, _, _, err := s.RegisterChild(p, c)
	wantErrno(t, "register before a split", err, base.ERR_INVALID_STATE)
	applyFn(t, s, func() (Change, error) { return s.StartSplit("a", 4) })

	stale := p.Clone()
	stale.Ballot--
	_, _, gotP, gotC, err := s.RegisterChild(stale, c)
	wantErrno(t, "stale parent ballot", err, base.ERR_INVALID_VERSION)
	if gotP.Ballot != 3 || gotC.Ballot != -1 {
		t.Fatalf("a refusal replies with the stored configs: %+v %+v", gotP, gotC)
	}
	for name, bad := range map[string]func(Partition) Partition{
		"child ballot":  func(c Partition) Partition { c.Ballot++; return c },
		"child members": func(c Partition) Partition { c.Secondaries = c.Secondaries[:1]; return c },
		"child index":   func(c Partition) Partition { c.Pid.PartitionIndex = 3; return c },
		"child table":   func(c Partition) Partition { c.Pid.Appid = 9; return c },
	} {
		_, _, _, _, err := s.RegisterChild(p, bad(c.Clone()))
		wantErrno(t, name, err, base.ERR_INVALID_PARAMETERS)
	}
	unknown := p.Clone()
	unknown.Pid.Appid = 9
	_, _, _, _, err = s.RegisterChild(unknown, c)
	wantErrno(t, "unknown table", err, base.ERR_APP_NOT_EXIST)

	c.LastCommittedDecree = 42
	ch, app, gotP, gotC, err := s.RegisterChild(p, c)
	mustApply(t, s, ch, err)
	if app.PartitionCount != 4 || !slices.Equal(app.Split, []admin.SplitStatus{admin.SplitStatus_NOT_SPLIT, admin.SplitStatus_SPLITTING}) {
		t.Fatalf("table after the first registration: %+v", app)
	}
	stored, _ := s.Partition(gpid(id, 2))
	if gotP.Ballot != 3 || gotC.Ballot != 4 || gotC.Primary != p.Primary || !sameMembers(gotC, p) ||
		stored.Ballot != 4 || stored.LastCommittedDecree != 42 || !sameMembers(stored, p) {
		t.Fatalf("registered child %+v (reply %+v, parent %+v)", stored, gotC, gotP)
	}
	// A repeat (the reply was lost) is ERR_CHILD_REGISTERED with the
	// stored configurations.
	_, _, _, gotC, err = s.RegisterChild(p, c)
	wantErrno(t, "repeated registration", err, base.ERR_CHILD_REGISTERED)
	if gotC.Ballot != 4 {
		t.Fatalf("repeat reply child %+v", gotC)
	}
	// The registered child is an ordinary partition: config sync sends it
	// to its members.
	served, _, err := s.ConfigSync(p.Primary, nil, t0)
	if err != nil || !slices.ContainsFunc(served, func(u ConfigUpdate) bool { return u.Config.Pid == gpid(id, 2) }) {
		t.Fatalf("config sync after registration: %+v %v", served, err)
	}

	// The last registration ends the split.
	p, c = childOf(t, s, gpid(id, 1), 2)
	ch, app, _, _, err = s.RegisterChild(p, c)
	mustApply(t, s, ch, err)
	if app.Splitting() || app.PartitionCount != 4 {
		t.Fatalf("table after the split: %+v", app)
	}
	_, _, err = s.QuerySplit("a")
	wantErrno(t, "query after the split", err, base.ERR_INVALID_STATE)
	_, _, _, _, err = s.RegisterChild(p, c)
	wantErrno(t, "a repeat after the split", err, base.ERR_CHILD_REGISTERED)
	// ... and the table may split again.
	applyFn(t, s, func() (Change, error) { return s.StartSplit("a", 8) })
}

func TestQueryChildState(t *testing.T) {
	s := newCluster(3)
	id := splitTable(t, s, "a", 2)
	_, _, err := s.QueryChildState("a", gpid(id, 0), 2)
	wantErrno(t, "before a split", err, base.ERR_INVALID_STATE)
	applyFn(t, s, func() (Change, error) { return s.StartSplit("a", 4) })
	_, _, err = s.QueryChildState("nope", gpid(id, 0), 2)
	wantErrno(t, "unknown table", err, base.ERR_APP_NOT_EXIST)
	_, _, err = s.QueryChildState("a", gpid(id, 2), 2)
	wantErrno(t, "a child as parent", err, base.ERR_INVALID_PARAMETERS)
	count, child, err := s.QueryChildState("a", gpid(id, 1), 2)
	if err != nil || count != 4 || child.Pid != gpid(id, 3) || child.Ballot != -1 {
		t.Fatalf("unregistered child: %d %+v %v", count, child, err)
	}
	p, c := childOf(t, s, gpid(id, 1), 2)
	applyFn(t, s, func() (Change, error) { ch, _, _, _, err := s.RegisterChild(p, c); return ch, err })
	if _, child, err = s.QueryChildState("a", gpid(id, 1), 2); err != nil || child.Ballot != 4 {
		t.Fatalf("registered child: %+v %v", child, err)
	}
}

// TestSplitConfigSync: during a split each parent's unit carries the
// doubled count and its split status, unregistered children go to nobody,
// and after a cancel a node's leftover children are garbage.
func TestSplitConfigSync(t *testing.T) {
	s := newCluster(3)
	id := splitTable(t, s, "a", 2)
	applyFn(t, s, func() (Change, error) { return s.StartSplit("a", 4) })
	applyFn(t, s, func() (Change, error) {
		c, _, err := s.ControlSplit("a", admin.SplitControlType_PAUSE, 1, nil)
		return c, err
	})
	stored := []base.Gpid{gpid(id, 0), gpid(id, 1), gpid(id, 2), gpid(id, 3)}
	for n := range 3 {
		served, gc, err := s.ConfigSync(rs(n), stored, t0)
		if err != nil || len(gc) != 0 || len(served) != 2 {
			t.Fatalf("node %d: %+v gc %v %v", n, served, gc, err)
		}
		for _, u := range served {
			want := []admin.SplitStatus{admin.SplitStatus_SPLITTING, admin.SplitStatus_PAUSING}[u.Config.Pid.PartitionIndex]
			if u.App.PartitionCount != 4 || u.SplitStatus != want {
				t.Fatalf("node %d unit %+v", n, u)
			}
			wire := toUpdateRequest(u)
			if wire.Info.PartitionCount != 4 || wire.MetaSplitStatus == nil || *wire.MetaSplitStatus != want {
				t.Fatalf("wire unit %+v", wire)
			}
		}
	}
	// Parent 0 registers: its unit no longer carries a status, and its
	// child is served.
	p, c := childOf(t, s, gpid(id, 0), 2)
	applyFn(t, s, func() (Change, error) { ch, _, _, _, err := s.RegisterChild(p, c); return ch, err })
	served, _, _ := s.ConfigSync(rs(0), nil, t0)
	if len(served) != 3 {
		t.Fatalf("after a registration: %+v", served)
	}
	for _, u := range served {
		w := toUpdateRequest(u)
		switch u.Config.Pid.PartitionIndex {
		case 0, 2:
			if w.MetaSplitStatus != nil {
				t.Fatalf("unit %v carries %v", &u.Config.Pid, *w.MetaSplitStatus)
			}
		case 1:
			if w.MetaSplitStatus == nil || *w.MetaSplitStatus != admin.SplitStatus_PAUSING {
				t.Fatalf("parent 1 unit %+v", w)
			}
		}
	}

	// A table that is canceled: leftover children are garbage, the
	// parents are not.
	id2 := splitTable(t, s, "b", 2)
	applyFn(t, s, func() (Change, error) { return s.StartSplit("b", 4) })
	applyFn(t, s, func() (Change, error) {
		c, _, err := s.ControlSplit("b", admin.SplitControlType_CANCEL, -1, nil)
		return c, err
	})
	applyFn(t, s, func() (Change, error) {
		return s.NotifyStopSplit("b", gpid(id2, 0), admin.SplitStatus_CANCELING, 2)
	})
	// Parent 0 confirmed, but until parent 1 does the table has 4
	// partitions: parent 0 must still read CANCELING, not NOT_SPLIT (which
	// would say its child registered).
	served, _, _ = s.ConfigSync(rs(0), nil, t0)
	for _, u := range served {
		if u.Config.Pid.Appid == id2 && (u.App.PartitionCount != 4 || u.SplitStatus != admin.SplitStatus_CANCELING) {
			t.Fatalf("unit of a canceling split %+v", u)
		}
	}
	applyFn(t, s, func() (Change, error) {
		return s.NotifyStopSplit("b", gpid(id2, 1), admin.SplitStatus_CANCELING, 2)
	})
	served, _, _ = s.ConfigSync(rs(0), nil, t0)
	for _, u := range served {
		if u.Config.Pid.Appid == id2 && (u.App.PartitionCount != 2 || u.SplitStatus != admin.SplitStatus_NOT_SPLIT) {
			t.Fatalf("unit after the cancel %+v", u)
		}
	}
	_, gc, _ := s.ConfigSync(rs(0), []base.Gpid{gpid(id2, 0), gpid(id2, 1), gpid(id2, 2), gpid(id2, 3)}, t0)
	if !slices.Equal(gc, []base.Gpid{gpid(id2, 2), gpid(id2, 3)}) {
		t.Fatalf("gc after cancel %v", gc)
	}
}

// TestSplitLeavesChildrenAlone: cure proposes nothing for an unregistered
// child, the balancer plans nothing for a splitting table, a replica
// server may not change a child's configuration, and the table cannot be
// dropped while it splits.
func TestSplitLeavesChildrenAlone(t *testing.T) {
	s := newCluster(4)
	s.cfg.FunctionLevel = admin.MetaFunctionLevel_fl_lively
	if _, err := s.SetLevel(admin.MetaFunctionLevel_fl_lively); err != nil {
		t.Fatal(err)
	}
	id := splitTable(t, s, "a", 4) // nodes 0..2 only: the balancer would move some to node 3
	if len(s.PlanBalance(id)) == 0 {
		t.Fatal("the unsplit table needs no balancing; the test proves nothing")
	}
	applyFn(t, s, func() (Change, error) { return s.StartSplit("a", 8) })
	for range 3 {
		for _, pr := range s.Cure(t0) {
			if pr.Update.Config.Pid.PartitionIndex >= 4 {
				t.Fatalf("cure proposed for a child: %+v", pr)
			}
		}
	}
	if plan := s.PlanBalance(id); len(plan) != 0 {
		t.Fatalf("balance plan for a splitting table: %v", plan)
	}
	p, _ := s.Partition(gpid(id, 0))
	err := s.StartMove(Move{Kind: MovePrimary, Pid: gpid(id, 0), From: p.Primary, To: p.Secondaries[0]})
	wantErrno(t, "a move in a splitting table", err, base.ERR_BUSY)

	child, _ := s.Partition(gpid(id, 5))
	req := child.Clone()
	req.Ballot = 0
	req.Primary = rs(0)
	_, _, err = s.UpdateConfiguration(ConfigUpdate{Config: req, Type: admin.ConfigType_CT_ASSIGN_PRIMARY, Node: rs(0)})
	wantErrno(t, "assign a primary to an unregistered child", err, base.ERR_CHILD_NOT_READY)

	_, err = s.DropApp("a", false, 0, t0)
	wantErrno(t, "drop a splitting table", err, base.ERR_BUSY)

	// Once every node is dead and back, nothing touches the children
	// either: liveness takes primaries from parents only.
	c, died := s.CheckLiveness(t0.Add(time.Hour))
	if len(died) != 4 {
		t.Fatalf("died %v", died)
	}
	for _, p := range c.Partitions {
		if p.Pid.PartitionIndex >= 4 {
			t.Fatalf("liveness changed a child: %+v", p)
		}
	}
}

// TestSplitPersistRoundTrip: a split's state survives a reload of the
// store at every stage — started, paused, partly registered, and after a
// cancel, which removes the children's records.
func TestSplitPersistRoundTrip(t *testing.T) {
	ctx := context.Background()
	p := &persisted{t: t, s: newCluster(3), store: metastore.NewMemory(), root: "/pegasus/onebox"}
	idA := splitTable(t, p.s, "a", 4)
	idB := splitTable(t, p.s, "b", 2)
	// splitTable applied in memory only; persist both tables as they are.
	var all Change
	for _, id := range []int32{idA, idB} {
		all.Apps = append(all.Apps, p.s.tables[id].app.Clone())
		for _, part := range p.s.tables[id].parts {
			all.Partitions = append(all.Partitions, part.Clone())
		}
	}
	p.apply(all, nil)
	check := func(stage string) {
		t.Helper()
		loaded, err := Load(ctx, p.store, p.root, testConfig(), t0)
		if err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		if !reflect.DeepEqual(loaded.tables, p.s.tables) {
			for id, tb := range p.s.tables {
				t.Errorf("%s: table %d loaded as %+v, want %+v", stage, id, *loaded.tables[id], *tb)
			}
			t.FailNow()
		}
	}
	p.apply(p.s.StartSplit("a", 8))
	p.apply(p.s.StartSplit("b", 4))
	check("started")
	c, _, err := p.s.ControlSplit("a", admin.SplitControlType_PAUSE, 2, nil)
	p.apply(c, err)
	p.apply(p.s.NotifyStopSplit("a", gpid(idA, 2), admin.SplitStatus_PAUSING, 4))
	c, _, err = p.s.ControlSplit("a", admin.SplitControlType_PAUSE, 3, nil)
	p.apply(c, err)
	parent, child := childOf(t, p.s, gpid(idA, 0), 4)
	c, _, _, _, err = p.s.RegisterChild(parent, child)
	p.apply(c, err)
	check("paused and partly registered")
	if got := splitOf(t, p.s, idA); !slices.Equal(got, []admin.SplitStatus{admin.SplitStatus_NOT_SPLIT,
		admin.SplitStatus_SPLITTING, admin.SplitStatus_PAUSED, admin.SplitStatus_PAUSING}) {
		t.Fatalf("split of a: %v", got)
	}
	c, _, err = p.s.ControlSplit("b", admin.SplitControlType_CANCEL, -1, nil)
	p.apply(c, err)
	p.apply(p.s.NotifyStopSplit("b", gpid(idB, 1), admin.SplitStatus_CANCELING, 2))
	check("canceling")
	p.apply(p.s.NotifyStopSplit("b", gpid(idB, 0), admin.SplitStatus_CANCELING, 2))
	check("canceled")
	for _, i := range []int32{2, 3} {
		if _, err := p.store.Get(ctx, partitionPath(p.root, gpid(idB, i))); !errors.Is(err, metastore.ErrNotFound) {
			t.Fatalf("child %d of the canceled split is still stored: %v", i, err)
		}
	}
}

func TestLoadBadSplitRecord(t *testing.T) {
	ctx := context.Background()
	part := func(i int) metastore.Op {
		return metastore.PutOp(fmt.Sprintf("/apps/1/%d", i), []byte(fmt.Sprintf(`{"app_id":1,"partition_index":%d}`, i)))
	}
	for name, app := range map[string]string{
		"odd count":     `{"app_id":1,"status":"AS_AVAILABLE","partition_count":4,"split_status":["SPLITTING"]}`,
		"unknown":       `{"app_id":1,"status":"AS_AVAILABLE","partition_count":4,"split_status":["SPLITTING","HALF"]}`,
		"nothing to do": `{"app_id":1,"status":"AS_AVAILABLE","partition_count":4,"split_status":["NOT_SPLIT","NOT_SPLIT"]}`,
	} {
		store := metastore.NewMemory()
		if err := store.Commit(ctx, []metastore.Op{metastore.PutOp("/apps/1", []byte(app)), part(0), part(1), part(2), part(3)}); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(ctx, store, "/", testConfig(), t0); err == nil {
			t.Errorf("%s: loaded without error", name)
		}
	}
}

// TestSplitRefusedWithDuplication: a table with a duplication does not
// split (its children's writes would not be shipped).
func TestSplitRefusedWithDuplication(t *testing.T) {
	s, _ := newDupCluster(t)
	addDup(t, s, DupAddRequest{App: "t", Remote: "b"}, t0)
	_, err := s.StartSplit("t", 8)
	wantErrno(t, "split a duplicated table", err, base.ERR_BUSY)
}

// TestSplitSummaryAndHealth: an unregistered child is neither a partition
// without primary for cluster_info nor dead on the health pages.
func TestSplitSummaryAndHealth(t *testing.T) {
	s := newCluster(3)
	id := splitTable(t, s, "a", 2)
	applyFn(t, s, func() (Change, error) { return s.StartSplit("a", 4) })
	if sum := s.Summarize(); sum.Partitions != 4 || sum.WithoutPrimary != 0 {
		t.Fatalf("summary during the split: %+v", sum)
	}
	child, _ := s.Partition(gpid(id, 3))
	parent, _ := s.Partition(gpid(id, 1))
	if child.Health() != HealthSplitting || parent.Health() != HealthHealthy {
		t.Fatalf("health: child %s, parent %s", child.Health(), parent.Health())
	}
}
