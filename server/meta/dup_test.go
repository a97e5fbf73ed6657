package meta

import (
	"context"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/config"
	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// testDupGroup is a duplication group: this cluster "a" (id 1) and "b"
// (id 2), "c" (id 3).
func testDupGroup() config.Duplication {
	return config.Duplication{
		ClusterName: "a",
		Clusters: map[string]config.DupCluster{
			"a": {ID: 1, Metas: []string{"127.0.0.1:34601"}},
			"b": {ID: 2, Metas: []string{"127.0.0.1:35601"}},
			"c": {ID: 3, Metas: []string{"127.0.0.1:36601"}},
		},
	}
}

const testDupInterval = 5 * time.Second

// newDupCluster is a cluster of three alive replica servers that may
// duplicate, with table "t" of four partitions whose primaries are rs(0)
// (partitions 0 and 2) and rs(1) (1 and 3).
func newDupCluster(t *testing.T) (*State, int32) {
	t.Helper()
	cfg := testConfig()
	cfg.Duplication, cfg.DupProgressInterval = testDupGroup(), testDupInterval
	s := NewState(cfg)
	for i := range 3 {
		s.Beacon(t0, rs(i))
	}
	id := create(t, s, "t", 4)
	for i := range int32(4) {
		assign(t, s, gpid(id, i), rs(int(i%2)))
	}
	return s, id
}

func addDup(t *testing.T, s *State, r DupAddRequest, now time.Time) Duplication {
	t.Helper()
	c, d, err := s.AddDuplication(r, now)
	mustApply(t, s, c, err)
	return d
}

func dupStatus(st admin.DuplicationStatus) *admin.DuplicationStatus { return &st }

func TestDupStatusMachine(t *testing.T) {
	const (
		prep   = admin.DuplicationStatus_DS_PREPARE
		app    = admin.DuplicationStatus_DS_APP
		log    = admin.DuplicationStatus_DS_LOG
		pause  = admin.DuplicationStatus_DS_PAUSE
		gone   = admin.DuplicationStatus_DS_REMOVED
		refuse = admin.DuplicationStatus(-1)
	)
	events := []dupEvent{dupStart, dupPause, dupRemove, dupFollowerReady, dupCheckpointsDone}
	// want[status][event], with a checkpoint; refuse = ERR_INVALID_STATE.
	want := map[admin.DuplicationStatus][5]admin.DuplicationStatus{
		prep:                            {refuse, refuse, gone, app, prep},
		app:                             {refuse, refuse, gone, app, log},
		log:                             {log, pause, gone, log, log},
		pause:                           {log, pause, gone, pause, pause},
		gone:                            {refuse, refuse, refuse, refuse, refuse},
		admin.DuplicationStatus_DS_INIT: {refuse, refuse, refuse, refuse, refuse},
	}
	for from, row := range want {
		for i, ev := range events {
			got, err := nextDupStatus(from, true, ev)
			if row[i] == refuse {
				if errnoOf(err) != base.ERR_INVALID_STATE || got != from {
					t.Errorf("%v + %v: got %v, %v; want ERR_INVALID_STATE", from, ev, got, err)
				}
				continue
			}
			if err != nil || got != row[i] {
				t.Errorf("%v + %v: got %v, %v; want %v", from, ev, got, err, row[i])
			}
		}
	}
	// Without a checkpoint a ready follower goes straight to DS_LOG.
	if got, err := nextDupStatus(prep, false, dupFollowerReady); err != nil || got != log {
		t.Errorf("log-only prepare + follower ready: %v, %v", got, err)
	}
	for st, wantErr := range map[admin.DuplicationStatus]base.Errno{
		log: base.ERR_OK, pause: base.ERR_OK, gone: base.ERR_OK,
		prep: base.ERR_INVALID_PARAMETERS, app: base.ERR_INVALID_PARAMETERS, admin.DuplicationStatus_DS_INIT: base.ERR_INVALID_PARAMETERS,
	} {
		if _, err := statusEvent(st); errnoOf(err) != wantErr {
			t.Errorf("status %v as a modify request: %v, want %v", st, err, wantErr)
		}
	}
}

func TestAddDuplication(t *testing.T) {
	s, id := newDupCluster(t)
	for name, tc := range map[string]struct {
		r    DupAddRequest
		want base.Errno
		hint string
	}{
		"no table":      {DupAddRequest{App: "x", Remote: "b"}, base.ERR_APP_NOT_EXIST, `no table "x"`},
		"self":          {DupAddRequest{App: "t", Remote: "a"}, base.ERR_INVALID_PARAMETERS, "is this cluster"},
		"unknown":       {DupAddRequest{App: "t", Remote: "z"}, base.ERR_CLUSTER_NOT_FOUND, `"z" is not configured; configured: [b, c]`},
		"bad name":      {DupAddRequest{App: "t", Remote: "b", RemoteAppName: "a b"}, base.ERR_INVALID_PARAMETERS, "remote app name"},
		"negative reps": {DupAddRequest{App: "t", Remote: "b", RemoteReplicaCount: -1}, base.ERR_INVALID_PARAMETERS, "negative"},
	} {
		c, _, err := s.AddDuplication(tc.r, t0)
		if errnoOf(err) != tc.want || !strings.Contains(hintOf(err), tc.hint) || !c.Empty() {
			t.Errorf("%s: %v, want %v with %q", name, err, tc.want, tc.hint)
		}
	}
	if a, _ := s.App(id); a.Duplicating {
		t.Fatal("duplicating before any duplication")
	}
	// A splitting table changes its partition count: refused meanwhile.
	splitting, _ := s.App(id)
	splitting.Split = make([]admin.SplitStatus, splitting.PartitionCount)
	mustApply(t, s, Change{Apps: []App{splitting}}, nil)
	if _, _, err := s.AddDuplication(DupAddRequest{App: "t", Remote: "b"}, t0); errnoOf(err) != base.ERR_BUSY {
		t.Fatalf("add to a splitting table: %v", err)
	}
	splitting.Split = nil
	mustApply(t, s, Change{Apps: []App{splitting}}, nil)

	d := addDup(t, s, DupAddRequest{App: "t", Remote: "b", Checkpoint: true}, t0)
	if d.ID != int32(t0.Unix()) || d.AppID != id || d.Status != admin.DuplicationStatus_DS_PREPARE || d.RemoteAppName != "t" ||
		d.RemoteReplicaCount != 3 || d.FailMode != admin.DuplicationFailMode_FAIL_SLOW || d.CreateMs != t0.UnixMilli() {
		t.Fatalf("added %+v", d)
	}
	if a, _ := s.App(id); !a.Duplicating || !*toAppInfo(a).Duplicating {
		t.Fatal("table not flagged duplicating")
	}
	// The same remote table again: ERR_DUP_EXIST naming the existing one.
	c, got, err := s.AddDuplication(DupAddRequest{App: "t", Remote: "b"}, t0)
	if errnoOf(err) != base.ERR_DUP_EXIST || got.ID != d.ID || !c.Empty() {
		t.Fatalf("second add: %v %+v", err, got)
	}
	// Another remote table in the same second gets the next dupid, log only.
	d2 := addDup(t, s, DupAddRequest{App: "t", Remote: "b", RemoteAppName: "t2", RemoteReplicaCount: 2}, t0)
	if d2.ID != d.ID+1 || d2.Status != admin.DuplicationStatus_DS_LOG || d2.RemoteReplicaCount != 2 || d2.Checkpoint {
		t.Fatalf("second duplication %+v", d2)
	}

	off := NewState(testConfig())
	off.Beacon(t0, rs(0))
	create(t, off, "t", 1)
	if _, _, err := off.AddDuplication(DupAddRequest{App: "t", Remote: "b"}, t0); errnoOf(err) != base.ERR_OPERATION_DISABLED ||
		!strings.Contains(hintOf(err), "[duplication]") {
		t.Fatalf("add without a [duplication] section: %v", err)
	}
}

func TestModifyDuplication(t *testing.T) {
	s, id := newDupCluster(t)
	prep := addDup(t, s, DupAddRequest{App: "t", Remote: "b", Checkpoint: true}, t0)
	d := addDup(t, s, DupAddRequest{App: "t", Remote: "c"}, t0)
	slow, bad := admin.DuplicationFailMode_FAIL_SKIP, admin.DuplicationFailMode(9)
	for name, tc := range map[string]struct {
		r    DupModifyRequest
		want base.Errno
	}{
		"no table":        {DupModifyRequest{App: "x", ID: d.ID, Status: dupStatus(admin.DuplicationStatus_DS_PAUSE)}, base.ERR_APP_NOT_EXIST},
		"no duplication":  {DupModifyRequest{App: "t", ID: 7, Status: dupStatus(admin.DuplicationStatus_DS_PAUSE)}, base.ERR_OBJECT_NOT_FOUND},
		"nothing":         {DupModifyRequest{App: "t", ID: d.ID}, base.ERR_INVALID_PARAMETERS},
		"status DS_APP":   {DupModifyRequest{App: "t", ID: d.ID, Status: dupStatus(admin.DuplicationStatus_DS_APP)}, base.ERR_INVALID_PARAMETERS},
		"bad fail mode":   {DupModifyRequest{App: "t", ID: d.ID, FailMode: &bad}, base.ERR_INVALID_PARAMETERS},
		"pause preparing": {DupModifyRequest{App: "t", ID: prep.ID, Status: dupStatus(admin.DuplicationStatus_DS_PAUSE)}, base.ERR_INVALID_STATE},
	} {
		if c, _, err := s.ModifyDuplication(tc.r, t0); errnoOf(err) != tc.want || !c.Empty() {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}

	// Progress reported but held back by the throttle is stored on pause.
	syncDup(t, s, rs(0), t0, report(id, 0, d.ID, 10, false, 12))
	syncDup(t, s, rs(0), t0.Add(time.Second), report(id, 0, d.ID, 11, false, 12))
	c, app, err := s.ModifyDuplication(DupModifyRequest{App: "t", ID: d.ID, Status: dupStatus(admin.DuplicationStatus_DS_PAUSE), FailMode: &slow}, t0.Add(2*time.Second))
	if err != nil || app != id || len(c.Dup.Records) != 1 || c.Dup.Records[0].Status != admin.DuplicationStatus_DS_PAUSE ||
		c.Dup.Records[0].FailMode != slow || len(c.Dup.Progress) != 1 || c.Dup.Progress[0].Confirmed != 11 {
		t.Fatalf("pause: %v %+v", err, c.Dup)
	}
	mustApply(t, s, c, nil)
	// Pausing again changes nothing; start resumes.
	if c, _, err := s.ModifyDuplication(DupModifyRequest{App: "t", ID: d.ID, Status: dupStatus(admin.DuplicationStatus_DS_PAUSE)}, t0); err != nil || !c.Empty() {
		t.Fatalf("pause twice: %v %+v", err, c)
	}
	c, _, err = s.ModifyDuplication(DupModifyRequest{App: "t", ID: d.ID, Status: dupStatus(admin.DuplicationStatus_DS_LOG)}, t0)
	if err != nil || c.Dup.Records[0].Status != admin.DuplicationStatus_DS_LOG {
		t.Fatalf("start: %v %+v", err, c.Dup)
	}
	mustApply(t, s, c, nil)

	// Removal deletes; the table stays duplicating until its last one goes.
	for i, dd := range []Duplication{d, prep} {
		c, _, err = s.ModifyDuplication(DupModifyRequest{App: "t", ID: dd.ID, Status: dupStatus(admin.DuplicationStatus_DS_REMOVED)}, t0)
		if err != nil || !reflect.DeepEqual(c.Dup.Removed, []DupKey{{id, dd.ID}}) {
			t.Fatalf("remove %d: %v %+v", dd.ID, err, c.Dup)
		}
		mustApply(t, s, c, nil)
		if a, _ := s.App(id); a.Duplicating != (i == 0) {
			t.Fatalf("after removing %d: duplicating = %v", dd.ID, a.Duplicating)
		}
	}
	if _, dups, _ := s.QueryDuplications("t", t0); len(dups) != 0 {
		t.Fatalf("removed duplications still listed: %+v", dups)
	}
	if m := s.DupMap(rs(0), t0); len(m) != 0 {
		t.Fatalf("removed duplications still in the dup map: %+v", m)
	}
}

func report(app, pidx, dupid int32, confirmed int64, prepared bool, committed int64) DupReport {
	return DupReport{Pid: gpid(app, pidx), Confirms: []DupConfirm{{ID: dupid, Confirmed: confirmed, Prepared: prepared, Committed: committed}}}
}

// sync runs a duplication sync and applies its change; it returns the change.
func syncDup(t *testing.T, s *State, n netip.AddrPort, now time.Time, reports ...DupReport) Change {
	t.Helper()
	c, err := s.DuplicationSync(n, reports, now)
	mustApply(t, s, c, err)
	return c
}

func progressOf(t *testing.T, s *State, app string, dupid int32) []DupPartitionView {
	t.Helper()
	_, dups, err := s.QueryDuplications(app, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dups {
		if d.ID == dupid {
			return d.Partitions
		}
	}
	t.Fatalf("no duplication %d", dupid)
	return nil
}

func TestDuplicationSyncProgress(t *testing.T) {
	s, id := newDupCluster(t)
	d := addDup(t, s, DupAddRequest{App: "t", Remote: "b"}, t0)
	if p := progressOf(t, s, "t", d.ID); len(p) != 4 || p[0].Confirmed != invalidDecree || p[3].Committed != invalidDecree {
		t.Fatalf("new duplication's progress %+v", p)
	}

	// The first report is stored at once.
	c := syncDup(t, s, rs(0), t0, report(id, 0, d.ID, 100, false, 120))
	if len(c.Dup.Progress) != 1 || c.Dup.Progress[0].Confirmed != 100 {
		t.Fatalf("first report stored %+v", c.Dup)
	}
	// Within the interval a higher decree is taken but not stored.
	if c := syncDup(t, s, rs(0), t0.Add(testDupInterval-time.Millisecond), report(id, 0, d.ID, 110, false, 130)); !c.Empty() {
		t.Fatalf("stored within the interval: %+v", c.Dup)
	}
	if p := progressOf(t, s, "t", d.ID)[0]; p.Confirmed != 110 || p.Committed != 130 {
		t.Fatalf("progress after the second report %+v", p)
	}
	// Lower reports never lower it.
	syncDup(t, s, rs(0), t0.Add(testDupInterval), report(id, 0, d.ID, 50, false, 90))
	if p := progressOf(t, s, "t", d.ID)[0]; p.Confirmed != 110 || p.Committed != 130 {
		t.Fatalf("progress lowered: %+v", p)
	}
	// That report came after the interval: it stored the highest decree.
	if p := s.dups[DupKey{id, d.ID}].parts[0]; p.stored != 110 {
		t.Fatalf("stored %d after the interval, want 110", p.stored)
	}
	// A node that is not the partition's primary is not heard; neither is
	// an unknown duplication or an unknown node.
	syncDup(t, s, rs(1), t0.Add(time.Hour), report(id, 0, d.ID, 500, false, 500), report(id, 1, d.ID+9, 7, false, 7))
	if p := progressOf(t, s, "t", d.ID)[0]; p.Confirmed != 110 {
		t.Fatalf("a secondary's report was taken: %+v", p)
	}
	if _, err := s.DuplicationSync(rs(7), nil, t0); errnoOf(err) != base.ERR_OBJECT_NOT_FOUND {
		t.Fatalf("unknown node: %v", err)
	}

	// Held-back progress reaches the store through the flush once the
	// interval has passed since the last write.
	syncDup(t, s, rs(1), t0.Add(10*time.Second), report(id, 1, d.ID, 40, false, 40))
	syncDup(t, s, rs(1), t0.Add(11*time.Second), report(id, 1, d.ID, 45, false, 45))
	if c := s.DupFlush(t0.Add(12 * time.Second)); !c.Empty() {
		t.Fatalf("flush within the interval: %+v", c.Dup)
	}
	c = s.DupFlush(t0.Add(15 * time.Second))
	if len(c.Dup.Progress) != 1 || c.Dup.Progress[0].Index != 1 || c.Dup.Progress[0].Confirmed != 45 {
		t.Fatalf("flush: %+v", c.Dup)
	}
	mustApply(t, s, c, nil)
	if c := s.DupFlush(t0.Add(time.Hour)); !c.Empty() {
		t.Fatalf("flush with nothing new: %+v", c.Dup)
	}

	// The dup map goes to primaries of the table only, with every partition.
	m := s.DupMap(rs(0), t0)
	if len(m[id]) != 1 || m[id][0].ID != d.ID || len(m[id][0].Partitions) != 4 || m[id][0].Partitions[1].Confirmed != 45 {
		t.Fatalf("dup map for a primary: %+v", m)
	}
	if m := s.DupMap(rs(2), t0); len(m) != 0 {
		t.Fatalf("dup map for a node without primaries: %+v", m)
	}
}

func TestDupLag(t *testing.T) {
	p := newDupProgress()
	p.raise(10)
	p.observeCommitted(10, t0)
	if l := p.lag(t0.Add(time.Minute)); l != 0 {
		t.Fatalf("lag with nothing pending: %v", l)
	}
	p.observeCommitted(20, t0.Add(time.Second))
	p.observeCommitted(30, t0.Add(3*time.Second))
	if l := p.lag(t0.Add(5 * time.Second)); l != 4*time.Second {
		t.Fatalf("lag %v, want 4s (decree 11..20 seen at +1s)", l)
	}
	p.raise(20)
	if l := p.lag(t0.Add(5 * time.Second)); l != 2*time.Second {
		t.Fatalf("lag %v, want 2s (decree 21..30 seen at +3s)", l)
	}
	p.raise(30)
	if l := p.lag(t0.Add(5 * time.Second)); l != 0 || len(p.marks) != 0 {
		t.Fatalf("caught up: lag %v, marks %v", l, p.marks)
	}
	// Marks stay bounded; the folded ones count from the last mark's time.
	for i := range 3 * maxLagMarks {
		p.observeCommitted(int64(31+i), t0.Add(time.Duration(10+i)*time.Second))
	}
	if len(p.marks) != maxLagMarks {
		t.Fatalf("%d marks, want %d", len(p.marks), maxLagMarks)
	}
	p.raise(int64(31 + 2*maxLagMarks))
	if l := p.lag(t0.Add(time.Hour)); l != time.Hour-time.Duration(10+maxLagMarks-1)*time.Second {
		t.Fatalf("lag after folding: %v", l)
	}
}

func TestDupCheckpointTransitions(t *testing.T) {
	s, id := newDupCluster(t)
	d := addDup(t, s, DupAddRequest{App: "t", Remote: "b", Checkpoint: true}, t0)
	k := DupKey{id, d.ID}
	work := s.DupFollowerWork()
	if len(work) != 1 || work[0].Key != k || work[0].PartitionCount != 4 || work[0].RemoteReplicaCount != 3 || work[0].MasterApp != "t" {
		t.Fatalf("follower work %+v", work)
	}
	// Reports before DS_APP are not taken.
	syncDup(t, s, rs(0), t0, report(id, 0, d.ID, 5, true, 5))
	if p := s.dups[k].parts[0]; p.prepared || p.confirmed != invalidDecree {
		t.Fatalf("report taken in DS_PREPARE: %+v", p)
	}
	c, err := s.DupFollowerReady(k)
	if err != nil || len(c.Dup.Records) != 1 || c.Dup.Records[0].Status != admin.DuplicationStatus_DS_APP || !c.Dup.Records[0].FollowerReady {
		t.Fatalf("follower ready: %v %+v", err, c.Dup)
	}
	mustApply(t, s, c, nil)
	if c, err := s.DupFollowerReady(k); err != nil || !c.Empty() {
		t.Fatalf("follower ready twice: %v %+v", err, c)
	}
	if w := s.DupFollowerWork(); len(w) != 0 {
		t.Fatalf("follower work after ready: %+v", w)
	}
	// In DS_APP a decree without checkpoint_prepared is not progress.
	if c := syncDup(t, s, rs(0), t0, report(id, 0, d.ID, 40, false, 60)); !c.Empty() || s.dups[k].parts[0].confirmed != invalidDecree {
		t.Fatalf("a decree before the checkpoint was taken: %+v", s.dups[k].parts[0])
	}
	// Three partitions prepared: stored at once (even within the
	// interval), status unchanged.
	for i := range int32(3) {
		c := syncDup(t, s, rs(int(i%2)), t0, report(id, i, d.ID, 50+int64(i), true, 60))
		if len(c.Dup.Progress) != 1 || !c.Dup.Progress[0].Prepared || len(c.Dup.Records) != 0 {
			t.Fatalf("partition %d prepared: %+v", i, c.Dup)
		}
	}
	// The last one moves the duplication to DS_LOG in the same change.
	c = syncDup(t, s, rs(1), t0, report(id, 3, d.ID, 53, true, 60))
	if len(c.Dup.Records) != 1 || c.Dup.Records[0].Status != admin.DuplicationStatus_DS_LOG || len(c.Dup.Progress) != 1 {
		t.Fatalf("last partition prepared: %+v", c.Dup)
	}

	// Log-only duplications are in DS_LOG at once and stay there when the
	// follower turns out ready.
	l := addDup(t, s, DupAddRequest{App: "t", Remote: "c"}, t0)
	c, err = s.DupFollowerReady(DupKey{id, l.ID})
	if err != nil || c.Dup.Records[0].Status != admin.DuplicationStatus_DS_LOG || !c.Dup.Records[0].FollowerReady {
		t.Fatalf("log-only follower ready: %v %+v", err, c.Dup)
	}
	if c, err := s.DupFollowerReady(DupKey{id, 1}); err != nil || !c.Empty() {
		t.Fatalf("unknown duplication: %v %+v", err, c)
	}
}

func TestDupPersistRoundTrip(t *testing.T) {
	for _, root := range []string{"/", "/pegasus/a"} {
		t.Run(root, func(t *testing.T) {
			s, id := newDupCluster(t)
			p := &persisted{t: t, s: s, store: metastore.NewMemory(), root: root}
			// Store what newDupCluster applied directly.
			app, _ := s.App(id)
			c := Change{Apps: []App{app}}
			for i := range int32(4) {
				part, _ := s.Partition(gpid(id, i))
				c.Partitions = append(c.Partitions, part)
			}
			p.apply(c, nil)
			c, d, err := s.AddDuplication(DupAddRequest{App: "t", Remote: "b", Checkpoint: true}, t0)
			p.apply(c, err)
			c, gone, err := s.AddDuplication(DupAddRequest{App: "t", Remote: "c"}, t0)
			p.apply(c, err)
			p.apply(s.DupFollowerReady(DupKey{id, d.ID}))
			p.apply(s.DuplicationSync(rs(0), []DupReport{report(id, 0, d.ID, 70, true, 80), report(id, 2, d.ID, 72, true, 80)}, t0))
			c, _, err = s.ModifyDuplication(DupModifyRequest{App: "t", ID: gone.ID, Status: dupStatus(admin.DuplicationStatus_DS_REMOVED)}, t0)
			p.apply(c, err)
			// Held back by the throttle: not stored.
			p.apply(s.DuplicationSync(rs(0), []DupReport{report(id, 2, d.ID, 90, true, 95)}, t0.Add(time.Second)))

			cfg := testConfig()
			cfg.Duplication, cfg.DupProgressInterval = testDupGroup(), testDupInterval
			loaded, err := Load(context.Background(), p.store, root, cfg, t0)
			if err != nil {
				t.Fatal(err)
			}
			_, views, err := loaded.QueryDuplications("t", t0)
			if err != nil || len(views) != 1 {
				t.Fatalf("loaded duplications: %v %+v", err, views)
			}
			v := views[0]
			if v.Duplication != s.dups[DupKey{id, d.ID}].rec || v.Status != admin.DuplicationStatus_DS_APP {
				t.Fatalf("loaded record %+v, want %+v", v.Duplication, s.dups[DupKey{id, d.ID}].rec)
			}
			got := []int64{}
			for _, pv := range v.Partitions {
				got = append(got, pv.Confirmed)
			}
			if !reflect.DeepEqual(got, []int64{70, -1, 72, -1}) || !loaded.dups[DupKey{id, d.ID}].parts[0].prepared {
				t.Fatalf("loaded progress %v", got)
			}
			if a, _ := loaded.App(id); !a.Duplicating {
				t.Fatal("loaded table not duplicating")
			}
			if _, err := p.store.Get(context.Background(), dupPath(root, DupKey{id, gone.ID})); err == nil {
				t.Fatal("removed duplication still stored")
			}
		})
	}
}

func TestDupLoadCorrupt(t *testing.T) {
	ctx := context.Background()
	tbl := []metastore.Op{
		metastore.PutOp("/apps/1", []byte(`{"app_id":1,"status":"AS_AVAILABLE","partition_count":1}`)),
		metastore.PutOp("/apps/1/0", []byte(`{"app_id":1,"partition_index":0}`)),
	}
	rec := `{"dupid":5,"app_id":1,"remote":"b","status":"DS_LOG","fail_mode":"FAIL_SLOW"}`
	for name, ops := range map[string][]metastore.Op{
		"non-numeric dupid": {metastore.PutOp("/apps/1/duplication/x", []byte(rec))},
		"bad json":          {metastore.PutOp("/apps/1/duplication/5", []byte("{"))},
		"bad status":        {metastore.PutOp("/apps/1/duplication/5", []byte(strings.Replace(rec, "DS_LOG", "DS_NOPE", 1)))},
		"id mismatch":       {metastore.PutOp("/apps/1/duplication/6", []byte(rec))},
		"bad progress":      {metastore.PutOp("/apps/1/duplication/5", []byte(rec)), metastore.PutOp("/apps/1/duplication/5/0", []byte("x"))},
		"bad index":         {metastore.PutOp("/apps/1/duplication/5", []byte(rec)), metastore.PutOp("/apps/1/duplication/5/-1", []byte("{}"))},
	} {
		store := metastore.NewMemory()
		if err := store.Commit(ctx, append(append([]metastore.Op{}, tbl...), ops...)); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(ctx, store, "/", testConfig(), t0); err == nil {
			t.Errorf("%s: loaded without error", name)
		}
	}
}

func TestFollowerEnvsAndActions(t *testing.T) {
	envs := followerEnvs(map[string]string{"default_ttl": "60", "restore.x": "1", "duplication.master_cluster": "z"}, "a", []string{"m1:1", "m2:2"}, "t")
	want := map[string]string{"default_ttl": "60", EnvDupMasterCluster: "a", EnvDupMasterMetas: "m1:1,m2:2", EnvDupMasterAppName: "t"}
	if !reflect.DeepEqual(envs, want) {
		t.Fatalf("follower envs %v, want %v", envs, want)
	}
	if err := validateEnvs(envs); err != nil {
		t.Fatalf("a remote meta would refuse the follower's envs: %v", err)
	}
	for _, tc := range []struct {
		found        bool
		parts, ready int
		want         followerAction
	}{
		{false, 0, 0, followerCreate}, {true, 4, 3, followerWait}, {true, 0, 0, followerWait}, {true, 4, 4, followerReady},
	} {
		if got := nextFollowerAction(tc.found, tc.parts, tc.ready); got != tc.want {
			t.Errorf("%+v: %v", tc, got)
		}
	}
}
