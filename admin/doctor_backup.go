package admin

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// CheckBackupPolicy is the doctor's check of backup policies.
const CheckBackupPolicy = "backup_policy"

// PolicyHealth is what the doctor looks at in one backup policy.
type PolicyHealth struct {
	Name     string
	Enabled  bool
	Interval time.Duration
	// LastFailed is the hint of the newest finished backup when it failed.
	LastFailed string
	// LastCompleted is when the newest completed backup ended (zero: none
	// among those the meta reported).
	LastCompleted time.Time
	// FirstStarted is when the oldest reported backup started (zero: none).
	FirstStarted time.Time
}

// policyHealth reads every policy and its newest backups.
func (c *Client) policyHealth(ctx context.Context) ([]PolicyHealth, error) {
	infos, err := c.QueryBackupPolicies(ctx, nil, 5)
	if err != nil {
		return nil, err
	}
	var out []PolicyHealth
	for _, in := range infos {
		if in.PolicyEntry == nil {
			continue
		}
		secs, _ := strconv.ParseInt(in.BackupIntervalSeconds, 10, 64)
		h := PolicyHealth{Name: in.PolicyName, Enabled: !in.IsDisable, Interval: time.Duration(secs) * time.Second}
		finishedSeen := false
		for _, b := range in.Backups { // newest first
			if b.BackupEntry == nil {
				continue
			}
			h.FirstStarted = time.UnixMilli(b.StartTimeMs)
			switch b.Status {
			case "failed":
				if !finishedSeen {
					h.LastFailed = b.Hint
					if h.LastFailed == "" {
						h.LastFailed = "no reason given"
					}
				}
				finishedSeen = true
			case "completed":
				if h.LastCompleted.IsZero() {
					h.LastCompleted = time.UnixMilli(b.EndTimeMs)
				}
				finishedSeen = true
			}
		}
		out = append(out, h)
	}
	return out, nil
}

// checkBackupPolicies warns of an enabled policy whose newest finished
// backup failed, or whose newest completed backup is older than two of
// its intervals (plus ten minutes of slack) while backups have been tried.
func checkBackupPolicies(st ClusterState) ([]Finding, []Skipped) {
	if st.PolicyErr != nil {
		return nil, []Skipped{{CheckBackupPolicy, fmt.Sprintf("the meta did not list backup policies: %v", st.PolicyErr)}}
	}
	var out []Finding
	for _, p := range st.Policies {
		if !p.Enabled {
			continue
		}
		switch {
		case p.LastFailed != "":
			out = append(out, Finding{Warning, CheckBackupPolicy, p.Name,
				"the newest backup of this policy failed: " + p.LastFailed,
				fmt.Sprintf("`query_backup_policy -p %s` shows its backups; `query_backup_status` the failed one; fix the cause (provider space, dead nodes) — the next run retries", p.Name)})
		case p.Interval > 0 && !p.FirstStarted.IsZero() && st.Now.Sub(p.FirstStarted) > 2*p.Interval+10*time.Minute &&
			(p.LastCompleted.IsZero() || st.Now.Sub(p.LastCompleted) > 2*p.Interval+10*time.Minute):
			last := "none completed"
			if !p.LastCompleted.IsZero() {
				last = "the last completed " + st.Now.Sub(p.LastCompleted).Round(time.Minute).String() + " ago"
			}
			out = append(out, Finding{Warning, CheckBackupPolicy, p.Name,
				fmt.Sprintf("no recent backup (every %v; %s)", p.Interval, last),
				fmt.Sprintf("`query_backup_policy -p %s`; check that the meta leader is steady and the provider reachable", p.Name)})
		}
	}
	return out, nil
}
