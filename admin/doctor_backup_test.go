package admin

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheckBackupPolicies(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	day := 24 * time.Hour
	tests := []struct {
		name    string
		p       PolicyHealth
		want    string // substring of the finding's message, "" for none
		skipped bool
	}{
		{name: "healthy", p: PolicyHealth{Name: "p", Enabled: true, Interval: day, LastCompleted: now.Add(-2 * time.Hour), FirstStarted: now.Add(-3 * day)}},
		{name: "newest failed", p: PolicyHealth{Name: "p", Enabled: true, Interval: day, LastFailed: "partition 3: disk full", FirstStarted: now.Add(-3 * day)},
			want: "failed: partition 3: disk full"},
		{name: "stale", p: PolicyHealth{Name: "p", Enabled: true, Interval: day, LastCompleted: now.Add(-3 * day), FirstStarted: now.Add(-9 * day)},
			want: "no recent backup"},
		{name: "never completed", p: PolicyHealth{Name: "p", Enabled: true, Interval: time.Hour, FirstStarted: now.Add(-5 * time.Hour)},
			want: "none completed"},
		{name: "new policy", p: PolicyHealth{Name: "p", Enabled: true, Interval: day}},
		{name: "disabled and failing", p: PolicyHealth{Name: "p", Enabled: false, Interval: day, LastFailed: "x"}},
		{name: "meta did not answer", skipped: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := ClusterState{Now: now, Policies: []PolicyHealth{tc.p}}
			if tc.skipped {
				st = ClusterState{Now: now, PolicyErr: errors.New("ERR_TIMEOUT")}
			}
			f, s := checkBackupPolicies(st)
			if tc.skipped != (len(s) == 1) {
				t.Fatalf("skipped %v", s)
			}
			switch {
			case tc.want == "" && len(f) != 0:
				t.Fatalf("findings %+v", f)
			case tc.want != "" && (len(f) != 1 || f[0].Severity != Warning || !strings.Contains(f[0].Message, tc.want)):
				t.Fatalf("findings %+v, want a warning with %q", f, tc.want)
			}
		})
	}
}
