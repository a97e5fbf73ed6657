package meta

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Backup policies (docs/backup.md, "Policies"): a named schedule that backs
// up a set of tables every interval, starting at a time of day, and keeps
// the newest N complete backups of each table. This file holds the pure
// part — the record, validation, when a policy is due and which backups
// retention removes; policy_run.go drives it on the leader.

// MinPolicyIntervalSeconds is the shortest backup interval a policy may
// have. Upstream insists on much longer intervals; ours is short so that
// a test can watch a policy run twice.
const MinPolicyIntervalSeconds = 5

// policyRecord is one policy as the store keeps it.
type policyRecord struct {
	Name         string  `json:"policy_name"`
	Provider     string  `json:"backup_provider_type"`
	AppIDs       []int32 `json:"app_ids"`
	IntervalSec  int64   `json:"backup_interval_seconds"`
	StartTime    string  `json:"start_time"` // "H:M", local time of the meta server
	HistoryCount int32   `json:"backup_history_count_to_keep"`
	Disabled     bool    `json:"is_disable"`
	// SinceMs is when the policy was added: its first backup waits for
	// the start time (nextDue).
	SinceMs int64 `json:"since_ms"`
}

func (p *policyRecord) clone() *policyRecord {
	c := *p
	c.AppIDs = append([]int32(nil), p.AppIDs...)
	return &c
}

var policyNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// checkPolicyName refuses names that are empty or not one store path
// component.
func checkPolicyName(name string) error {
	if !policyNameRE.MatchString(name) || name == "." || name == ".." {
		return fmt.Errorf("invalid policy name %q: use letters, digits, '_', '-' and '.'", name)
	}
	return nil
}

// checkInterval refuses intervals below MinPolicyIntervalSeconds.
func checkInterval(sec int64) error {
	if sec < MinPolicyIntervalSeconds {
		return fmt.Errorf("invalid backup interval %ds: the minimum is %ds", sec, MinPolicyIntervalSeconds)
	}
	return nil
}

// checkHistoryCount refuses a history count below one.
func checkHistoryCount(n int32) error {
	if n <= 0 {
		return fmt.Errorf("invalid backup history count %d: keep at least 1", n)
	}
	return nil
}

// parseStartTime reads "H:M" (0 ≤ H ≤ 24, 0 ≤ M < 60, 24:00 the same as
// 0:00) as minutes after midnight.
func parseStartTime(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hour < 0 || hour > 24 || minute < 0 || minute >= 60 || (hour == 24 && minute != 0) {
		return 0, fmt.Errorf("invalid start time %q: want H:M with 0 <= H <= 24 and 0 <= M < 60", s)
	}
	return (hour*60 + minute) % (24 * 60), nil
}

// nextDue says when policy p next starts a backup. lastStartMs is the start
// of the policy's newest backup (0: none). The first backup runs at the
// first start time at or after the minute before p was added (so a policy
// added during its start minute runs at once); every later one an interval
// after the previous one started, so a policy enabled again after a long
// pause runs at once. Times of day are in loc.
func nextDue(p *policyRecord, lastStartMs int64, loc *time.Location) (time.Time, error) {
	if lastStartMs > 0 {
		return time.UnixMilli(lastStartMs).Add(time.Duration(p.IntervalSec) * time.Second), nil
	}
	minutes, err := parseStartTime(p.StartTime)
	if err != nil {
		return time.Time{}, err
	}
	from := time.UnixMilli(p.SinceMs).In(loc).Truncate(time.Minute).Add(-time.Minute)
	y, mo, d := from.Date()
	due := time.Date(y, mo, d, minutes/60, minutes%60, 0, 0, loc)
	if due.Before(from) {
		due = time.Date(y, mo, d+1, minutes/60, minutes%60, 0, 0, loc)
	}
	return due, nil
}

// expiredBackups returns the ids of one table's policy backups that
// retention removes: all but the newest keep complete backups, and any
// finished (complete or failed) backup older than the oldest one kept.
// Running backups are never removed.
func expiredBackups(recs []*backupRecord, keep int) []int64 {
	var complete []*backupRecord
	for _, r := range recs {
		if r.EndTimeMs > 0 && !r.Failed {
			complete = append(complete, r)
		}
	}
	if len(complete) <= keep || keep <= 0 {
		return nil
	}
	sort.Slice(complete, func(i, j int) bool { return complete[i].BackupID > complete[j].BackupID })
	oldestKept := complete[keep-1].BackupID
	var out []int64
	for _, r := range recs {
		if r.finished() && r.BackupID < oldestKept {
			out = append(out, r.BackupID)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
