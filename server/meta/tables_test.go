package meta

import (
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

func TestCreateApp(t *testing.T) {
	cases := []struct {
		name  string
		req   CreateRequest
		level admin.MetaFunctionLevel
		want  base.Errno
	}{
		{"ok", CreateRequest{Name: "t", PartitionCount: 8, ReplicaCount: 3}, 0, base.ERR_OK},
		{"one partition", CreateRequest{Name: "t", PartitionCount: 1, ReplicaCount: 1}, 0, base.ERR_OK},
		{"default replica count", CreateRequest{Name: "t", PartitionCount: 4}, 0, base.ERR_OK},
		{"zero partitions", CreateRequest{Name: "t", PartitionCount: 0, ReplicaCount: 3}, 0, base.ERR_INVALID_PARAMETERS},
		{"negative partitions", CreateRequest{Name: "t", PartitionCount: -4, ReplicaCount: 3}, 0, base.ERR_INVALID_PARAMETERS},
		{"not a power of two", CreateRequest{Name: "t", PartitionCount: 6, ReplicaCount: 3}, 0, base.ERR_INVALID_PARAMETERS},
		{"too many replicas", CreateRequest{Name: "t", PartitionCount: 4, ReplicaCount: 6}, 0, base.ERR_INVALID_PARAMETERS},
		{"negative replicas", CreateRequest{Name: "t", PartitionCount: 4, ReplicaCount: -1}, 0, base.ERR_INVALID_PARAMETERS},
		{"empty name", CreateRequest{PartitionCount: 4, ReplicaCount: 3}, 0, base.ERR_INVALID_PARAMETERS},
		{"bad name", CreateRequest{Name: "a b", PartitionCount: 4, ReplicaCount: 3}, 0, base.ERR_INVALID_PARAMETERS},
		{"good env", CreateRequest{Name: "t", PartitionCount: 4, ReplicaCount: 3,
			Envs: map[string]string{"default_ttl": "86400", "rocksdb.usage_scenario": "prefer_write"}}, 0, base.ERR_OK},
		{"negative ttl", CreateRequest{Name: "t", PartitionCount: 4, ReplicaCount: 3,
			Envs: map[string]string{"default_ttl": "-1"}}, 0, base.ERR_INVALID_PARAMETERS},
		{"ttl not a number", CreateRequest{Name: "t", PartitionCount: 4, ReplicaCount: 3,
			Envs: map[string]string{"default_ttl": "1d"}}, 0, base.ERR_INVALID_PARAMETERS},
		{"unknown env", CreateRequest{Name: "t", PartitionCount: 4, ReplicaCount: 3,
			Envs: map[string]string{"no.such.env": "1"}}, 0, base.ERR_INVALID_PARAMETERS},
		{"frozen", CreateRequest{Name: "t", PartitionCount: 4, ReplicaCount: 3}, admin.MetaFunctionLevel_fl_freezed, base.ERR_STATE_FREEZED},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newCluster(1)
			if c.level != 0 {
				s.SetLevel(c.level)
			}
			ch, id, err := s.CreateApp(c.req, t0)
			if got := errnoOf(err); got != c.want {
				t.Fatalf("err %v, want %v", err, c.want)
			}
			if c.want != base.ERR_OK {
				if !ch.Empty() {
					t.Fatalf("refused create returned a change: %+v", ch)
				}
				return
			}
			mustApply(t, s, ch, nil)
			app, parts, err := s.QueryConfig(c.req.Name, nil)
			if err != nil {
				t.Fatal(err)
			}
			wantReplicas := c.req.ReplicaCount
			if wantReplicas == 0 {
				wantReplicas = 3
			}
			if id != 1 || app.ID != 1 || app.PartitionCount != c.req.PartitionCount || app.InitPartitionCount != c.req.PartitionCount ||
				app.MaxReplicaCount != wantReplicas || app.Type != DefaultAppType || app.CreateSecond != t0.Unix() || !app.Available() {
				t.Fatalf("created %+v (id %d)", app, id)
			}
			if len(parts) != int(c.req.PartitionCount) {
				t.Fatalf("%d partitions", len(parts))
			}
			for i, p := range parts {
				if p.Pid != gpid(1, int32(i)) || p.Ballot != 0 || p.HasPrimary() || len(p.LastDrops) != 0 || p.MaxReplicaCount != wantReplicas {
					t.Fatalf("partition %d: %+v", i, p)
				}
			}
		})
	}
}

func TestCreateExisting(t *testing.T) {
	s := newCluster(1)
	id := create(t, s, "t", 4)
	for _, c := range []struct {
		req  CreateRequest
		want base.Errno
		id   int32
	}{
		{CreateRequest{Name: "t", PartitionCount: 4}, base.ERR_APP_EXIST, 0},
		{CreateRequest{Name: "t", PartitionCount: 4, SuccessIfExist: true}, base.ERR_OK, id},
		{CreateRequest{Name: "t", PartitionCount: 8, SuccessIfExist: true}, base.ERR_APP_EXIST, 0},
	} {
		ch, got, err := s.CreateApp(c.req, t0)
		if errnoOf(err) != c.want || got != c.id || !ch.Empty() {
			t.Errorf("%+v: id %d err %v change %v, want id %d %v", c.req, got, err, !ch.Empty(), c.id, c.want)
		}
	}
}

// TestTableLifecycle walks create → drop → create again → recall → rename
// and checks ids, names, statuses and partition configurations.
func TestTableLifecycle(t *testing.T) {
	s := newCluster(2)
	id := create(t, s, "t", 2)
	p0 := assign(t, s, gpid(id, 0), rs(0))
	if p0.Ballot != 1 || p0.Primary != rs(0) {
		t.Fatalf("assigned %+v", p0)
	}

	// Drop: ballot+1, members to last_drops, flag set; the name is free.
	now := t0.Add(time.Hour)
	c, err := s.DropApp("t", false, 0, now)
	mustApply(t, s, c, err)
	app, _ := s.App(id)
	if !app.Dropped() || app.DropSecond != now.Unix() || app.ExpireSecond != now.Unix()+7*24*3600 {
		t.Fatalf("dropped app %+v", app)
	}
	p, _ := s.Partition(gpid(id, 0))
	if p.Ballot != 2 || p.HasPrimary() || !p.Dropped() || len(p.LastDrops) != 1 || p.LastDrops[0] != rs(0) {
		t.Fatalf("dropped partition 0: %+v", p)
	}
	p, _ = s.Partition(gpid(id, 1))
	if p.Ballot != 1 || !p.Dropped() || len(p.LastDrops) != 0 {
		t.Fatalf("dropped partition 1: %+v", p)
	}
	if _, _, err := s.QueryConfig("t", nil); errnoOf(err) != base.ERR_OBJECT_NOT_FOUND {
		t.Fatalf("query of dropped table: %v", err)
	}
	if _, err := s.DropApp("t", false, 0, now); errnoOf(err) != base.ERR_APP_NOT_EXIST {
		t.Fatalf("second drop: %v", err)
	}
	if c, err := s.DropApp("t", true, 0, now); err != nil || !c.Empty() {
		t.Fatalf("drop with success_if_not_exist: %v", err)
	}

	// A new table takes the name and a new id; the dropped one cannot be
	// recalled under that name.
	id2 := create(t, s, "t", 4)
	if id2 != id+1 {
		t.Fatalf("new id %d, want %d", id2, id+1)
	}
	if _, _, err := s.RecallApp(id, "", now); errnoOf(err) != base.ERR_APP_EXIST {
		t.Fatalf("recall onto a taken name: %v", err)
	}
	if _, _, err := s.RecallApp(id2, "", now); errnoOf(err) != base.ERR_APP_NOT_EXIST {
		t.Fatalf("recall of an available table: %v", err)
	}
	if _, _, err := s.RecallApp(99, "", now); errnoOf(err) != base.ERR_APP_NOT_EXIST {
		t.Fatalf("recall of an unknown id: %v", err)
	}

	// Recall under a new name clears the flag and keeps ballot and drops.
	c, info, err := s.RecallApp(id, "t_old", now)
	mustApply(t, s, c, err)
	if info.Name != "t_old" || !info.Available() || info.DropSecond != 0 || info.ExpireSecond != 0 || info.CreateSecond != t0.Unix() {
		t.Fatalf("recalled %+v", info)
	}
	_, parts, err := s.QueryConfig("t_old", nil)
	if err != nil || parts[0].Dropped() || parts[0].Ballot != 2 || parts[0].LastDrops[0] != rs(0) {
		t.Fatalf("recalled partitions %+v, %v", parts, err)
	}

	// Rename.
	if _, err := s.RenameApp("t_old", "t"); errnoOf(err) != base.ERR_APP_EXIST {
		t.Fatalf("rename onto a taken name: %v", err)
	}
	if _, err := s.RenameApp("nope", "x"); errnoOf(err) != base.ERR_APP_NOT_EXIST {
		t.Fatalf("rename of a missing table: %v", err)
	}
	if _, err := s.RenameApp("t_old", "bad name"); errnoOf(err) != base.ERR_INVALID_PARAMETERS {
		t.Fatalf("rename to a bad name: %v", err)
	}
	c, err = s.RenameApp("t_old", "t2")
	mustApply(t, s, c, err)
	if _, _, err := s.QueryConfig("t_old", nil); errnoOf(err) != base.ERR_OBJECT_NOT_FOUND {
		t.Fatalf("old name still resolves: %v", err)
	}
	if app, _, err := s.QueryConfig("t2", nil); err != nil || app.ID != id {
		t.Fatalf("renamed table: %+v %v", app, err)
	}
}

func TestDropReserveAndExpiry(t *testing.T) {
	s := newCluster(1)
	id := create(t, s, "t", 2)
	c, err := s.DropApp("t", false, 60, t0)
	mustApply(t, s, c, err)
	if app, _ := s.App(id); app.ExpireSecond != t0.Unix()+60 {
		t.Fatalf("expire %d", app.ExpireSecond)
	}
	// Config sync lists replicas of the table for deletion only after expiry.
	_, gc, err := s.ConfigSync(rs(0), []base.Gpid{gpid(id, 0), gpid(id, 1), gpid(42, 0)}, t0.Add(59*time.Second))
	if err != nil || len(gc) != 0 {
		t.Fatalf("gc before expiry: %v %v", gc, err)
	}
	_, gc, _ = s.ConfigSync(rs(0), []base.Gpid{gpid(id, 0), gpid(id, 1), gpid(42, 0)}, t0.Add(60*time.Second))
	if len(gc) != 2 || gc[0] != gpid(id, 0) || gc[1] != gpid(id, 1) {
		t.Fatalf("gc after expiry: %v", gc)
	}
	if _, _, err := s.RecallApp(id, "", t0.Add(60*time.Second)); errnoOf(err) != base.ERR_APP_NOT_EXIST {
		t.Fatalf("recall after expiry: %v", err)
	}
}

func TestQueryConfigIndices(t *testing.T) {
	s := newCluster(1)
	id := create(t, s, "t", 4)
	for _, c := range []struct {
		indices []int32
		want    []int32
	}{
		{nil, []int32{0, 1, 2, 3}},
		{[]int32{2}, []int32{2}},
		{[]int32{3, 1}, []int32{3, 1}},
		{[]int32{1, 9, -1}, []int32{1}},
		{[]int32{4, -1}, []int32{0, 1, 2, 3}},
	} {
		app, parts, err := s.QueryConfig("t", c.indices)
		if err != nil || app.ID != id || len(parts) != len(c.want) {
			t.Fatalf("%v: %d partitions, %v", c.indices, len(parts), err)
		}
		for i, p := range parts {
			if p.Pid.PartitionIndex != c.want[i] {
				t.Errorf("%v: partition %d is %d, want %d", c.indices, i, p.Pid.PartitionIndex, c.want[i])
			}
		}
	}
	if _, _, err := s.QueryConfig("nope", nil); errnoOf(err) != base.ERR_OBJECT_NOT_FOUND {
		t.Fatalf("unknown table: %v", err)
	}
}

func TestListApps(t *testing.T) {
	s := newCluster(1)
	for _, n := range []string{"alpha", "beta", "alphabet", "gamma"} {
		create(t, s, n, 1)
	}
	c, err := s.DropApp("gamma", false, 0, t0)
	mustApply(t, s, c, err)
	mt := func(m admin.PatternMatchType) *admin.PatternMatchType { return &m }
	for _, c := range []struct {
		status  layer2.AppStatus
		pattern string
		match   *admin.PatternMatchType
		want    []string
		errno   base.Errno
	}{
		{layer2.AppStatus_AS_INVALID, "", nil, []string{"alpha", "beta", "alphabet", "gamma"}, base.ERR_OK},
		{layer2.AppStatus_AS_AVAILABLE, "", nil, []string{"alpha", "beta", "alphabet"}, base.ERR_OK},
		{layer2.AppStatus_AS_DROPPED, "", nil, []string{"gamma"}, base.ERR_OK},
		{layer2.AppStatus_AS_INVALID, "x", mt(admin.PatternMatchType_PMT_MATCH_ALL), []string{"alpha", "beta", "alphabet", "gamma"}, base.ERR_OK},
		{layer2.AppStatus_AS_INVALID, "alpha", mt(admin.PatternMatchType_PMT_MATCH_EXACT), []string{"alpha"}, base.ERR_OK},
		{layer2.AppStatus_AS_INVALID, "ph", mt(admin.PatternMatchType_PMT_MATCH_ANYWHERE), []string{"alpha", "alphabet"}, base.ERR_OK},
		{layer2.AppStatus_AS_INVALID, "al", mt(admin.PatternMatchType_PMT_MATCH_PREFIX), []string{"alpha", "alphabet"}, base.ERR_OK},
		{layer2.AppStatus_AS_INVALID, "ta", mt(admin.PatternMatchType_PMT_MATCH_POSTFIX), []string{"beta"}, base.ERR_OK},
		{layer2.AppStatus_AS_INVALID, ".*a", mt(admin.PatternMatchType_PMT_MATCH_REGEX), []string{"alpha", "beta", "gamma"}, base.ERR_OK},
		{layer2.AppStatus_AS_INVALID, "(", mt(admin.PatternMatchType_PMT_MATCH_REGEX), nil, base.ERR_INVALID_PARAMETERS},
		{layer2.AppStatus_AS_INVALID, "a", mt(admin.PatternMatchType_PMT_INVALID), nil, base.ERR_INVALID_PARAMETERS},
	} {
		apps, err := s.ListApps(c.status, c.pattern, c.match)
		if errnoOf(err) != c.errno {
			t.Errorf("%v %q: err %v, want %v", c.status, c.pattern, err, c.errno)
			continue
		}
		var names []string
		for _, a := range apps {
			names = append(names, a.Name)
		}
		if len(names) != len(c.want) {
			t.Errorf("%v %q %v: got %v, want %v", c.status, c.pattern, c.match, names, c.want)
			continue
		}
		for i := range names {
			if names[i] != c.want[i] {
				t.Errorf("%v %q %v: got %v, want %v", c.status, c.pattern, c.match, names, c.want)
				break
			}
		}
	}
}

func TestUpdateEnvs(t *testing.T) {
	s := newCluster(1)
	create(t, s, "t", 1)
	envs := func() map[string]string { a, _, _ := s.QueryConfig("t", nil); return a.Envs }
	steps := []struct {
		u    EnvUpdate
		want base.Errno
		envs map[string]string
	}{
		{EnvUpdate{App: "t", Op: admin.AppEnvOperation_APP_ENV_OP_SET, Keys: []string{"default_ttl", "manual_compact.once.trigger_time"},
			Values: []string{"86400", "1700000000"}}, base.ERR_OK,
			map[string]string{"default_ttl": "86400", "manual_compact.once.trigger_time": "1700000000"}},
		{EnvUpdate{App: "t", Op: admin.AppEnvOperation_APP_ENV_OP_SET, Keys: []string{"default_ttl"}, Values: []string{"x"}},
			base.ERR_INVALID_PARAMETERS, nil},
		{EnvUpdate{App: "t", Op: admin.AppEnvOperation_APP_ENV_OP_SET, Keys: []string{"default_ttl"}}, base.ERR_INVALID_PARAMETERS, nil},
		{EnvUpdate{App: "t", Op: admin.AppEnvOperation_APP_ENV_OP_SET, Keys: []string{"bogus"}, Values: []string{"1"}}, base.ERR_INVALID_PARAMETERS, nil},
		{EnvUpdate{App: "nope", Op: admin.AppEnvOperation_APP_ENV_OP_SET, Keys: []string{"default_ttl"}, Values: []string{"1"}}, base.ERR_APP_NOT_EXIST, nil},
		{EnvUpdate{App: "t", Op: admin.AppEnvOperation_APP_ENV_OP_INVALID}, base.ERR_INVALID_PARAMETERS, nil},
		{EnvUpdate{App: "t", Op: admin.AppEnvOperation_APP_ENV_OP_DEL}, base.ERR_INVALID_PARAMETERS, nil},
		{EnvUpdate{App: "t", Op: admin.AppEnvOperation_APP_ENV_OP_CLEAR, ClearPrefix: "manual_compact"}, base.ERR_OK,
			map[string]string{"default_ttl": "86400"}},
		{EnvUpdate{App: "t", Op: admin.AppEnvOperation_APP_ENV_OP_SET, Keys: []string{"replica.deny_client_request", "business.info"},
			Values: []string{"reconfig*write", "anything"}}, base.ERR_OK,
			map[string]string{"default_ttl": "86400", "replica.deny_client_request": "reconfig*write", "business.info": "anything"}},
		{EnvUpdate{App: "t", Op: admin.AppEnvOperation_APP_ENV_OP_DEL, Keys: []string{"business.info", "absent"}}, base.ERR_OK,
			map[string]string{"default_ttl": "86400", "replica.deny_client_request": "reconfig*write"}},
		{EnvUpdate{App: "t", Op: admin.AppEnvOperation_APP_ENV_OP_CLEAR}, base.ERR_OK, map[string]string{}},
	}
	for i, st := range steps {
		before := envs()
		c, _, err := s.UpdateEnvs(st.u)
		if errnoOf(err) != st.want {
			t.Fatalf("step %d: err %v, want %v", i, err, st.want)
		}
		if err != nil {
			if len(envs()) != len(before) {
				t.Fatalf("step %d: refused update changed envs", i)
			}
			continue
		}
		mustApply(t, s, c, nil)
		got := envs()
		if len(got) != len(st.envs) {
			t.Fatalf("step %d: envs %v, want %v", i, got, st.envs)
		}
		for k, v := range st.envs {
			if got[k] != v {
				t.Fatalf("step %d: envs %v, want %v", i, got, st.envs)
			}
		}
	}
}

func TestReplicaCountAndAtomicIdempotent(t *testing.T) {
	s := newCluster(1)
	id := create(t, s, "t", 2)
	if n, err := s.MaxReplicaCount("t"); err != nil || n != 3 {
		t.Fatalf("replica count %d %v", n, err)
	}
	if _, _, err := s.SetMaxReplicaCount("t", 9); errnoOf(err) != base.ERR_INVALID_PARAMETERS {
		t.Fatalf("set 9: %v", err)
	}
	c, old, err := s.SetMaxReplicaCount("t", 5)
	mustApply(t, s, c, err)
	if old != 3 {
		t.Fatalf("old %d", old)
	}
	if p, _ := s.Partition(gpid(id, 1)); p.MaxReplicaCount != 5 || p.Ballot != 0 {
		t.Fatalf("partition after set: %+v", p)
	}
	if _, err := s.MaxReplicaCount("nope"); errnoOf(err) != base.ERR_APP_NOT_EXIST {
		t.Fatalf("missing table: %v", err)
	}
	c, oldAI, err := s.SetAtomicIdempotent("t", true)
	mustApply(t, s, c, err)
	if ai, _ := s.AtomicIdempotent("t"); oldAI || !ai {
		t.Fatalf("atomic idempotent old %v new %v", oldAI, ai)
	}
	s.SetLevel(admin.MetaFunctionLevel_fl_freezed)
	if _, _, err := s.SetMaxReplicaCount("t", 3); errnoOf(err) != base.ERR_STATE_FREEZED {
		t.Fatalf("set when frozen: %v", err)
	}
}

func TestFunctionLevel(t *testing.T) {
	s := newCluster(1)
	if old, err := s.SetLevel(admin.MetaFunctionLevel_fl_invalid); err != nil || old != admin.MetaFunctionLevel_fl_steady || s.Level() != old {
		t.Fatalf("query: %v %v", old, err)
	}
	if old, err := s.SetLevel(admin.MetaFunctionLevel_fl_lively); err != nil || old != admin.MetaFunctionLevel_fl_steady {
		t.Fatalf("set lively: %v %v", old, err)
	}
	if _, err := s.SetLevel(250); errnoOf(err) != base.ERR_INVALID_PARAMETERS || s.Level() != admin.MetaFunctionLevel_fl_lively {
		t.Fatalf("set 250: %v, level %v", err, s.Level())
	}
	// Too few live nodes cap the effective level.
	s2 := NewState(Config{MinLiveNodes: 2, FunctionLevel: admin.MetaFunctionLevel_fl_lively})
	s2.Beacon(t0, rs(0))
	if s2.EffectiveLevel() != admin.MetaFunctionLevel_fl_freezed {
		t.Fatalf("effective level with 1 of min 2 nodes: %v", s2.EffectiveLevel())
	}
	s2.Beacon(t0, rs(1))
	if s2.EffectiveLevel() != admin.MetaFunctionLevel_fl_lively {
		t.Fatalf("effective level with 2 nodes: %v", s2.EffectiveLevel())
	}
	s3 := NewState(Config{MinLivePercent: 65, Grace: time.Second})
	for i := range 3 {
		s3.Beacon(t0, rs(i))
	}
	s3.Beacon(t0.Add(2*time.Second), rs(0))
	s3.Beacon(t0.Add(2*time.Second), rs(1))
	s3.CheckLiveness(t0.Add(2 * time.Second))
	if s3.EffectiveLevel() != admin.MetaFunctionLevel_fl_steady {
		t.Fatalf("2 of 3 alive (67%%): %v", s3.EffectiveLevel())
	}
	s3.CheckLiveness(t0.Add(4 * time.Second))
	if s3.EffectiveLevel() != admin.MetaFunctionLevel_fl_freezed {
		t.Fatalf("0 of 3 alive: %v", s3.EffectiveLevel())
	}
}
