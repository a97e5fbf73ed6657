package shell

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/pegasus-go/pegasus/admin"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
)

func TestParseDupArgs(t *testing.T) {
	cases := []struct {
		cmd   string
		words []string
		args  []string
		vals  map[string]string
		usage bool
	}{
		{cmd: "add_dup", words: []string{"t", "onebox2"}, args: []string{"t", "onebox2"}, vals: map[string]string{}},
		{cmd: "add_dup", words: []string{"t", "onebox2", "-s", "-a", "t2", "--remote_replica_count", "2"}, args: []string{"t", "onebox2"},
			vals: map[string]string{"sst": "true", "remote_app_name": "t2", "remote_replica_count": "2"}},
		{cmd: "add_dup", words: []string{"t", "onebox2", "--sst", "-r1", "-j"}, args: []string{"t", "onebox2"},
			vals: map[string]string{"sst": "true", "remote_replica_count": "1", "json": "true"}},
		{cmd: "add_dup", words: []string{"t"}, usage: true},
		{cmd: "add_dup", words: []string{"t", "c", "extra"}, usage: true},
		{cmd: "add_dup", words: []string{"t", "c", "-a"}, usage: true},
		{cmd: "query_dup", words: []string{"t", "-d"}, args: []string{"t"}, vals: map[string]string{"detail": "true"}},
		{cmd: "query_dup", words: []string{}, usage: true},
		{cmd: "pause_dup", words: []string{"t", "1700000000"}, args: []string{"t", "1700000000"}, vals: map[string]string{}},
		{cmd: "start_dup", words: []string{"t"}, usage: true},
		{cmd: "remove_dup", words: []string{"t", "1", "2"}, usage: true},
		{cmd: "set_dup_fail_mode", words: []string{"t", "1", "skip"}, args: []string{"t", "1", "skip"}, vals: map[string]string{}},
		{cmd: "set_dup_fail_mode", words: []string{"t", "1"}, usage: true},
		{cmd: "dups", words: []string{"-a", "te", "-m", "prefix", "-p", "-g", "5", "-u", "-j"}, vals: map[string]string{
			"app_name_pattern": "te", "match_type": "prefix", "list_partitions": "true", "progress_gap": "5", "show_unfinishd": "true", "json": "true"}},
		{cmd: "dups", words: []string{"-m", "sideways"}, usage: true},
	}
	for _, c := range cases {
		p, err := parseArgs(lookup(c.cmd), c.words)
		if c.usage {
			if _, ok := err.(*usageError); !ok {
				t.Errorf("%s %q: want a usage error, got %v", c.cmd, c.words, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(p.args, c.args) && len(p.args)+len(c.args) > 0 || !reflect.DeepEqual(p.values, c.vals) {
			t.Errorf("%s %q: got %q %v %v", c.cmd, c.words, p.args, p.values, err)
		}
	}
	for _, bad := range []string{"0", "-1", "x", "99999999999"} {
		if _, err := dupID(bad); err == nil {
			t.Errorf("dup_id %q accepted", bad)
		}
	}
	if id, err := dupID("1700000001"); err != nil || id != 1700000001 {
		t.Errorf("dup_id: %d %v", id, err)
	}
	// The duplication commands are listed under their own group in help.
	var help bytes.Buffer
	lookup("add_dup").writeHelp(&help)
	if !strings.Contains(help.String(), "USAGE: add_dup <app_name> <remote_cluster> [-s|--sst] [-a|--remote_app_name table] [-r|--remote_replica_count n] [-j|--json]") {
		t.Errorf("add_dup help:\n%s", help.String())
	}
}

func dupEntry(id int32, st admintypes.DuplicationStatus, remote string, states map[int32][3]int64) *admintypes.DuplicationEntry {
	e := &admintypes.DuplicationEntry{Dupid: id, Status: st, Remote: remote, CreateTs: 1_700_000_000_000,
		Progress: map[int32]int64{}, PartitionStates: map[int32]*admintypes.DuplicationPartitionState{}}
	for p, s := range states {
		e.Progress[p] = s[0]
		if s[1] >= 0 {
			e.PartitionStates[p] = &admintypes.DuplicationPartitionState{ConfirmedDecree: s[0], LastCommittedDecree: s[1]}
		}
	}
	return e
}

func TestDupProgress(t *testing.T) {
	e := dupEntry(7, admintypes.DuplicationStatus_DS_LOG, "onebox2", map[int32][3]int64{1: {10, 15}, 0: {-1, 4}, 2: {8, -1}})
	lag := int64(2500)
	e.PartitionStates[1].LagMs = &lag
	got := admin.Progress(e)
	want := []admin.DupProgress{
		{Partition: 0, Confirmed: -1, LastCommitted: 4, LagMs: -1},
		{Partition: 1, Confirmed: 10, LastCommitted: 15, LagMs: 2500},
		{Partition: 2, Confirmed: 8, LastCommitted: -1, LagMs: -1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("progress %+v", got)
	}
	if got[0].Gap() != -1 || got[1].Gap() != 5 || got[2].Gap() != -1 {
		t.Errorf("gaps %d %d %d", got[0].Gap(), got[1].Gap(), got[2].Gap())
	}
	var out bytes.Buffer
	progressTable("dup 7 progress", got).render(&out)
	wantText := "[dup 7 progress]\n" +
		"partition_id  confirmed_decree  last_committed_decree  decree_gap  lag_seconds\n" +
		"           0                 -                      4           -            -\n" +
		"           1                10                     15           5          2.5\n" +
		"           2                 8                      -           -            -\n"
	if out.String() != wantText {
		t.Errorf("progress table:\n%s\nwant:\n%s", out.String(), wantText)
	}
	if lagText(1500) != "1.5" || lagText(-1) != "-" || lagText(0) != "0.0" {
		t.Error("lagText")
	}
}

func TestDupsSummary(t *testing.T) {
	a := &admintypes.DuplicationAppState{Appid: 2, AppName: "temp", PartitionCount: 2, Duplications: map[int32]*admintypes.DuplicationEntry{}}
	a.Duplications[11] = dupEntry(11, admintypes.DuplicationStatus_DS_LOG, "onebox2", map[int32][3]int64{0: {9, 9}, 1: {3, 9}})
	b := &admintypes.DuplicationAppState{Appid: 3, AppName: "t2", PartitionCount: 1, Duplications: map[int32]*admintypes.DuplicationEntry{}}
	b.Duplications[12] = dupEntry(12, admintypes.DuplicationStatus_DS_PAUSE, "onebox2", map[int32][3]int64{0: {5, 5}})
	rows := []dupRow{{a, a.Duplications[11]}, {b, b.Duplications[12]}}

	listing, summary, unfinished, j := dupsSections(rows, 3, 0, true)
	if len(listing.rows) != 3 || listing.rows[1][7] != "1" || listing.rows[1][10] != "6" {
		t.Errorf("per-partition listing %q", listing.rows)
	}
	// Partition 1 of temp lags by 6 decrees; t2 is paused: both unfinished.
	if len(unfinished.rows) != 2 || unfinished.rows[0][4] != "1" || unfinished.rows[1][1] != "t2" {
		t.Errorf("unfinished %q", unfinished.rows)
	}
	var out bytes.Buffer
	summary.render(&out)
	for _, line := range []string{"total_app_count", ": 3", "duplicating_app_count", "unfinished_app_count", "duplication_count_by_status(DS_LOG)",
		"duplication_count_by_status(DS_PAUSE)", "duplication_count_by_follower_cluster(onebox2)  : 2", "total_partition_count                           : 3",
		"unfinished_partition_count                      : 2"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("summary lacks %q:\n%s", line, out.String())
		}
	}
	s := j["summary"].(map[string]any)
	if s["unfinished_app_count"] != 2 || s["duplicating_partition_count"] != 3 {
		t.Errorf("json summary %v", s)
	}
	// A gap of 6 is within -g 6: only the paused table stays unfinished.
	_, _, unfinished, _ = dupsSections(rows, 3, 6, false)
	if len(unfinished.rows) != 1 || unfinished.rows[0][1] != "t2" {
		t.Errorf("unfinished with -g 6: %q", unfinished.rows)
	}
}
