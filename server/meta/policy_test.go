package meta

import (
	"reflect"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

func TestParseStartTime(t *testing.T) {
	good := map[string]int{"0:0": 0, "00:00": 0, "1:30": 90, "23:59": 23*60 + 59, "24:00": 0, " 2:05 ": 125}
	for s, want := range good {
		got, err := parseStartTime(s)
		if err != nil || got != want {
			t.Errorf("parseStartTime(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "12", "25:00", "24:01", "12:60", "-1:00", "a:b", "12:"} {
		if _, err := parseStartTime(s); err == nil {
			t.Errorf("parseStartTime(%q) accepted", s)
		}
	}
}

func TestNextDue(t *testing.T) {
	loc := time.UTC
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := []struct {
		name      string
		since     string
		start     string
		last      string // "" = no backup yet
		interval  int64
		wantDueAt string
	}{
		{"first run later today", "2026-01-10 08:00:00", "10:30", "", 3600, "2026-01-10 10:30:00"},
		{"start time passed: tomorrow", "2026-01-10 11:00:00", "10:30", "", 3600, "2026-01-11 10:30:00"},
		{"added during the start minute", "2026-01-10 10:30:40", "10:30", "", 3600, "2026-01-10 10:30:00"},
		{"added the minute after", "2026-01-10 10:31:59", "10:30", "", 3600, "2026-01-10 10:30:00"},
		{"two minutes after: tomorrow", "2026-01-10 10:32:00", "10:30", "", 3600, "2026-01-11 10:30:00"},
		{"24:00 is midnight", "2026-01-10 10:00:00", "24:00", "", 3600, "2026-01-11 00:00:00"},
		{"after a backup: one interval later", "2026-01-10 08:00:00", "10:30", "2026-01-10 10:30:05", 86400, "2026-01-11 10:30:05"},
		{"short interval", "2026-01-10 08:00:00", "10:30", "2026-01-10 10:30:05", 5, "2026-01-10 10:30:10"},
	}
	for _, c := range cases {
		p := &policyRecord{Name: "p", StartTime: c.start, IntervalSec: c.interval, SinceMs: at(c.since).UnixMilli()}
		var last int64
		if c.last != "" {
			last = at(c.last).UnixMilli()
		}
		due, err := nextDue(p, last, loc)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if want := at(c.wantDueAt); !due.Equal(want) {
			t.Errorf("%s: due %v, want %v", c.name, due, want)
		}
	}
}

// TestExpiredBackups checks retention: the newest N complete backups stay,
// with everything newer than the oldest of them and every running one.
func TestExpiredBackups(t *testing.T) {
	done := func(id int64) *backupRecord { return &backupRecord{BackupID: id, StartTimeMs: id, EndTimeMs: id + 1} }
	failed := func(id int64) *backupRecord {
		return &backupRecord{BackupID: id, StartTimeMs: id, EndTimeMs: id + 1, Failed: true}
	}
	running := func(id int64) *backupRecord { return &backupRecord{BackupID: id, StartTimeMs: id} }
	cases := []struct {
		name string
		recs []*backupRecord
		keep int
		want []int64
	}{
		{"nothing", nil, 1, nil},
		{"within the count", []*backupRecord{done(1), done(2)}, 2, nil},
		{"keep newest one", []*backupRecord{done(3), done(1), done(2)}, 1, []int64{1, 2}},
		{"keep two", []*backupRecord{done(1), done(2), done(3), done(4)}, 2, []int64{1, 2}},
		{"old failures go too", []*backupRecord{failed(1), done(2), failed(3), done(4)}, 1, []int64{1, 2, 3}},
		{"newer failure stays", []*backupRecord{done(1), done(2), failed(3)}, 1, []int64{1}},
		{"failures alone are not counted", []*backupRecord{failed(1), failed(2), done(3)}, 1, nil},
		{"running stays", []*backupRecord{running(1), done(2), done(3)}, 1, []int64{2}},
		{"running newest", []*backupRecord{done(1), done(2), running(3)}, 1, []int64{1}},
	}
	for _, c := range cases {
		if got := expiredBackups(c.recs, c.keep); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestBackupPolicyRPCs runs add, query and modify against a meta server:
// validation, duplicates, the fields the queries return, enable and disable.
func TestBackupPolicyRPCs(t *testing.T) {
	opts := fastOptions(metastore.NewMemory())
	opts.BackupRoot = t.TempDir()
	m := startMeta(t, opts)
	startReplica(t, m.addr)
	waitAlive(t, m.addr, 1)
	id := createTable(t, m.addr, "orders", 2)
	// A start time hours away: nothing runs during the test.
	start := time.Now().Add(3 * time.Hour).Format("15:04")

	add := func(q admin.ConfigurationAddBackupPolicyRequest) *admin.ConfigurationAddBackupPolicyResponse {
		return call[*admin.ConfigurationAddBackupPolicyResponse](t, m.addr, catalog.RPC_CM_ADD_BACKUP_POLICY, &q)
	}
	good := admin.ConfigurationAddBackupPolicyRequest{BackupProviderType: "local_service", PolicyName: "daily",
		AppIds: []int32{id}, BackupIntervalSeconds: 86400, BackupHistoryCountToKeep: 3, StartTime: start}
	bad := map[string]func(q *admin.ConfigurationAddBackupPolicyRequest){
		"unknown table":  func(q *admin.ConfigurationAddBackupPolicyRequest) { q.AppIds = []int32{id, 99} },
		"no table":       func(q *admin.ConfigurationAddBackupPolicyRequest) { q.AppIds = nil },
		"short interval": func(q *admin.ConfigurationAddBackupPolicyRequest) { q.BackupIntervalSeconds = 2 },
		"no history":     func(q *admin.ConfigurationAddBackupPolicyRequest) { q.BackupHistoryCountToKeep = 0 },
		"start time":     func(q *admin.ConfigurationAddBackupPolicyRequest) { q.StartTime = "25:00" },
		"provider":       func(q *admin.ConfigurationAddBackupPolicyRequest) { q.BackupProviderType = "hdfs_service" },
		"name":           func(q *admin.ConfigurationAddBackupPolicyRequest) { q.PolicyName = "a/b" },
	}
	for what, change := range bad {
		q := good
		change(&q)
		if r := add(q); r.Err.Code() != base.ERR_INVALID_PARAMETERS || r.HintMessage == "" {
			t.Errorf("add with a bad %s: %v %q", what, r.Err, r.HintMessage)
		}
	}
	if r := add(good); r.Err.Code() != base.ERR_OK {
		t.Fatalf("add: %v %s", r.Err, r.HintMessage)
	}
	if r := add(good); r.Err.Code() != base.ERR_INVALID_PARAMETERS {
		t.Fatalf("add a duplicate: %v %s", r.Err, r.HintMessage)
	}

	query := func(names ...string) *admin.ConfigurationQueryBackupPolicyResponse {
		return call[*admin.ConfigurationQueryBackupPolicyResponse](t, m.addr, catalog.RPC_CM_QUERY_BACKUP_POLICY,
			&admin.ConfigurationQueryBackupPolicyRequest{PolicyNames: names, BackupInfoCount: 3})
	}
	q := query()
	if q.Err.Code() != base.ERR_OK || len(q.Policys) != 1 || len(q.BackupInfos) != 1 {
		t.Fatalf("query all: %+v", q)
	}
	want := &admin.PolicyEntry{PolicyName: "daily", BackupProviderType: "local_service", BackupIntervalSeconds: "86400",
		AppIds: []int32{id}, BackupHistoryCountToKeep: 3, StartTime: start}
	if !reflect.DeepEqual(q.Policys[0], want) {
		t.Fatalf("policy entry %+v, want %+v", q.Policys[0], want)
	}
	if q := query("nope"); q.Err.Code() != base.ERR_OBJECT_NOT_FOUND {
		t.Fatalf("query an unknown policy: %+v", q)
	}

	modify := func(q admin.ConfigurationModifyBackupPolicyRequest) *admin.ConfigurationModifyBackupPolicyResponse {
		return call[*admin.ConfigurationModifyBackupPolicyResponse](t, m.addr, catalog.RPC_CM_MODIFY_BACKUP_POLICY, &q)
	}
	i64 := func(v int64) *int64 { return &v }
	i32 := func(v int32) *int32 { return &v }
	yes := true
	if r := modify(admin.ConfigurationModifyBackupPolicyRequest{PolicyName: "daily", NewBackupIntervalSec_: i64(1)}); r.Err.Code() != base.ERR_INVALID_PARAMETERS {
		t.Fatalf("modify to a short interval: %+v", r)
	}
	if r := modify(admin.ConfigurationModifyBackupPolicyRequest{PolicyName: "daily", RemovalAppids: []int32{id}}); r.Err.Code() != base.ERR_INVALID_PARAMETERS {
		t.Fatalf("remove the only table: %+v", r)
	}
	if r := modify(admin.ConfigurationModifyBackupPolicyRequest{PolicyName: "nope", IsDisable: &yes}); r.Err.Code() != base.ERR_OBJECT_NOT_FOUND {
		t.Fatalf("modify an unknown policy: %+v", r)
	}
	r := modify(admin.ConfigurationModifyBackupPolicyRequest{PolicyName: "daily", NewBackupIntervalSec_: i64(7200),
		BackupHistoryCountToKeep: i32(5), IsDisable: &yes})
	if r.Err.Code() != base.ERR_OK {
		t.Fatalf("modify: %+v", r)
	}
	p := query("daily").Policys[0]
	if p.BackupIntervalSeconds != "7200" || p.BackupHistoryCountToKeep != 5 || !p.IsDisable {
		t.Fatalf("after modify: %+v", p)
	}

	// The policy survives a new term: a second server on the same store.
	m.stop()
	m2 := startMeta(t, opts)
	eventually(t, 10*time.Second, "the new server leads", func() bool { return m2.srv.leading() })
	if q := query2(t, m2.addr); len(q.Policys) != 1 || q.Policys[0].BackupIntervalSeconds != "7200" {
		t.Fatalf("after restart: %+v", q)
	}
	views, err := m2.srv.PolicyViews(t.Context())
	if err != nil || len(views) != 1 || views[0].Name != "daily" || views[0].Enabled {
		t.Fatalf("policy views: %+v %v", views, err)
	}
}

func query2(t *testing.T, addr string) *admin.ConfigurationQueryBackupPolicyResponse {
	return call[*admin.ConfigurationQueryBackupPolicyResponse](t, addr, catalog.RPC_CM_QUERY_BACKUP_POLICY,
		&admin.ConfigurationQueryBackupPolicyRequest{})
}
