package shell

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pegasus-go/pegasus/admin"
)

// Backup policies (docs/backup.md, "Policies"): upstream's six commands.

var policyNameFlag = Flag{Short: "p", Long: "policy_name", Value: "name", Help: "the policy", Required: true}

func init() {
	register(
		&Command{Name: "add_backup_policy", Group: "backup", Summary: "add a periodic backup policy",
			Help: "Adds a policy that backs up the tables every interval, the first time at the start\n" +
				"time (H:M, the meta server's local time), keeping the newest N complete backups of\n" +
				"each table. The shortest interval is 5 seconds. JSON: {policy_name}.",
			Flags: []Flag{
				policyNameFlag,
				{Short: "b", Long: "backup_provider_type", Value: "provider", Help: "block service (local_service)", Required: true},
				{Short: "a", Long: "app_ids", Value: "id,id,...", Help: "the tables' ids", Required: true},
				{Short: "i", Long: "backup_interval_seconds", Value: "n", Help: "seconds between backups", Required: true},
				{Short: "s", Long: "start_time", Value: "HH:MM", Help: "time of day of the first backup", Required: true},
				{Short: "c", Long: "backup_history_cnt", Value: "n", Help: "complete backups kept per table", Required: true},
			},
			JSON: true, Run: runAddBackupPolicy},
		&Command{Name: "ls_backup_policy", Group: "backup", Summary: "list the backup policies",
			JSON: true, Output: true, Run: runLsBackupPolicy},
		&Command{Name: "query_backup_policy", Group: "backup", Summary: "show policies with their newest backups",
			Flags: []Flag{
				{Short: "p", Long: "policy_name", Value: "p1,p2,...", Help: "the policies", Required: true},
				{Short: "b", Long: "backup_info_cnt", Value: "n", Help: "newest backups shown per policy (default 3)"},
			},
			JSON: true, Output: true, Run: runQueryBackupPolicy},
		&Command{Name: "modify_backup_policy", Group: "backup", Summary: "change a backup policy",
			Flags: []Flag{
				policyNameFlag,
				{Short: "a", Long: "add_app", Value: "ids", Help: "table ids to add"},
				{Short: "r", Long: "remove_app", Value: "ids", Help: "table ids to remove"},
				{Short: "i", Long: "backup_interval_seconds", Value: "n", Help: "seconds between backups"},
				{Short: "c", Long: "backup_history_count", Value: "n", Help: "complete backups kept per table"},
				{Short: "s", Long: "start_time", Value: "HH:MM", Help: "time of day of the first backup"},
			},
			JSON: true, Run: runModifyBackupPolicy},
		&Command{Name: "disable_backup_policy", Group: "backup", Summary: "stop a policy's backups",
			Help: "Stops new backups of the policy; refused while one of its backups runs, unless -f\n" +
				"(a running backup then still completes).",
			Flags: []Flag{policyNameFlag, {Short: "f", Long: "force", Help: "disable even while a backup runs"}},
			JSON:  true, Run: runDisableBackupPolicy},
		&Command{Name: "enable_backup_policy", Group: "backup", Summary: "resume a policy's backups",
			Flags: []Flag{policyNameFlag},
			JSON:  true, Run: runEnableBackupPolicy},
	)
}

// parseIDList reads "1,2,3" as table ids (each > 0).
func parseIDList(flag, s string) ([]int32, error) {
	var out []int32
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 32)
		if err != nil || n <= 0 {
			return nil, usagef("invalid %s %q: want table ids > 0, separated by commas", flag, f)
		}
		out = append(out, int32(n))
	}
	if len(out) == 0 {
		return nil, usagef("%s: no table ids", flag)
	}
	return out, nil
}

// checkStartTime is the shell's own check of H:M, as upstream does it.
func checkStartTime(s string) error {
	h, m, ok := strings.Cut(s, ":")
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hour < 0 || hour > 24 || minute < 0 || minute >= 60 || (hour == 24 && minute != 0) {
		return usagef("invalid start_time %q: want HH:MM", s)
	}
	return nil
}

func runAddBackupPolicy(c *Call) error {
	p := admin.BackupPolicy{Name: c.Str("policy_name", ""), Provider: c.Str("backup_provider_type", ""), StartTime: c.Str("start_time", "")}
	if p.Name == "" || p.Provider == "" {
		return usagef("policy_name and backup_provider_type must not be empty")
	}
	var err error
	if p.AppIDs, err = parseIDList("app_ids", c.Str("app_ids", "")); err != nil {
		return err
	}
	if p.IntervalSeconds, err = c.Int("backup_interval_seconds", 0); err != nil {
		return err
	}
	cnt, err := c.Int("backup_history_cnt", 0)
	if err != nil {
		return err
	}
	if p.IntervalSeconds <= 0 || cnt <= 0 || cnt > 1<<31-1 {
		return usagef("backup_interval_seconds and backup_history_cnt must be positive")
	}
	p.HistoryCount = int32(cnt)
	if err := checkStartTime(p.StartTime); err != nil {
		return err
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	if err := c.s.admin.AddBackupPolicy(ctx, p); err != nil {
		if !c.JSON() {
			c.Printf("add backup policy failed: %s", hintText(err))
		}
		return failf(err, "add backup policy failed, err = %s", errnoText(err))
	}
	return c.Done(map[string]string{"policy_name": p.Name}, "add backup policy succeed, policy_name = %s", p.Name)
}

// hintText is the meta's hint of a refused request, or the error.
func hintText(err error) string {
	var oe *admin.OpError
	if errors.As(err, &oe) && oe.Hint != "" {
		return oe.Hint
	}
	return describe(err)
}

// errnoText is the error code name of a refused request, or the error.
func errnoText(err error) string {
	var oe *admin.OpError
	if errors.As(err, &oe) {
		return string(oe.Errno)
	}
	return describe(err)
}

// policyTable is a policy's key/value section and its JSON object.
func policyTable(p admin.PolicyInfo) (*kvTable, map[string]string) {
	ids := make([]string, len(p.AppIds))
	sorted := append([]int32(nil), p.AppIds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	for i, id := range sorted {
		ids[i] = itoa(id)
	}
	status := "enabled"
	if p.IsDisable {
		status = "disabled"
	}
	kv := &kvTable{name: p.PolicyName}
	j := map[string]string{}
	for _, f := range [][2]string{
		{"backup_provider_type", p.BackupProviderType},
		{"backup_interval", p.BackupIntervalSeconds + "s"},
		{"app_ids", "{" + strings.Join(ids, ", ") + "}"},
		{"start_time", p.StartTime},
		{"status", status},
		{"backup_history_count", itoa(p.BackupHistoryCountToKeep)},
	} {
		kv.add(f[0], f[1])
		j[f[0]] = f[1]
	}
	return kv, j
}

func runLsBackupPolicy(c *Call) error {
	ctx, cancel := c.adminCtx()
	defer cancel()
	pols, err := c.s.admin.QueryBackupPolicies(ctx, nil, 0)
	if err != nil {
		return failf(err, "ls backup policy failed: %s", describe(err))
	}
	out := map[string]any{}
	var secs []section
	for _, p := range pols {
		kv, j := policyTable(p)
		secs = append(secs, kv)
		out[p.PolicyName] = j
	}
	return c.Emit(out, func(w io.Writer) { printSections(w, secs...) })
}

func msText(ms int64) string {
	if ms <= 0 {
		return "-"
	}
	return time.UnixMilli(ms).Format("2006-01-02 15:04:05")
}

func runQueryBackupPolicy(c *Call) error {
	var names []string
	seen := map[string]bool{}
	for _, n := range strings.Split(c.Str("policy_name", ""), ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			return usagef("empty policy name")
		}
		if seen[n] {
			return usagef("duplicate policy name %s", n)
		}
		seen[n] = true
		names = append(names, n)
	}
	cnt, err := c.Int("backup_info_cnt", 3)
	if err != nil {
		return err
	}
	if cnt <= 0 || cnt > 1<<31-1 {
		return usagef("backup_info_cnt must be positive")
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	pols, err := c.s.admin.QueryBackupPolicies(ctx, names, int32(cnt))
	if err != nil {
		return failf(err, "query backup policy failed: %s", describe(err))
	}
	out := map[string]any{}
	var secs []section
	for _, p := range pols {
		kv, j := policyTable(p)
		out[p.PolicyName] = j
		infos := &table{name: p.PolicyName + "_backup_info", header: []string{"id", "start_time", "end_time", "app_ids", "status"}}
		rows := map[string]any{}
		for _, b := range p.Backups {
			ids := make([]string, len(b.AppIds))
			for i, id := range b.AppIds {
				ids[i] = itoa(id)
			}
			end := msText(b.EndTimeMs)
			if b.Status == "running" {
				end = "-"
			}
			row := []string{itoa(b.BackupID), msText(b.StartTimeMs), end, "{" + strings.Join(ids, ", ") + "}", b.Status}
			infos.rows = append(infos.rows, row)
			r := map[string]string{}
			for i, h := range infos.header {
				r[h] = row[i]
			}
			if b.Hint != "" {
				r["hint"] = b.Hint
			}
			rows[row[0]] = r
		}
		out[infos.name] = rows
		secs = append(secs, kv, infos)
	}
	return c.Emit(out, func(w io.Writer) { printSections(w, secs...) })
}

// modifyResult prints "<what> result: ERR_OK" and the meta's hint.
func modifyResult(c *Call, what, name, hint string) error {
	return c.Emit(map[string]string{"policy_name": name, "result": "ERR_OK", "hint": hint}, func(w io.Writer) {
		fmt.Fprintf(w, "%s result: ERR_OK\n", what)
		if hint != "" {
			fmt.Fprintln(w, hint)
		}
	})
}

func runModifyBackupPolicy(c *Call) error {
	name := c.Str("policy_name", "")
	var ch admin.PolicyChange
	var err error
	if c.Has("add_app") {
		if ch.AddAppIDs, err = parseIDList("add_app", c.Str("add_app", "")); err != nil {
			return err
		}
	}
	if c.Has("remove_app") {
		if ch.RemoveAppIDs, err = parseIDList("remove_app", c.Str("remove_app", "")); err != nil {
			return err
		}
	}
	iv, err := c.Int("backup_interval_seconds", 0)
	if err != nil {
		return err
	}
	if iv < 0 {
		return usagef("backup_interval_seconds must be positive")
	}
	if iv > 0 {
		ch.IntervalSeconds = &iv
	}
	hc, err := c.Int("backup_history_count", 0)
	if err != nil {
		return err
	}
	if hc < 0 || hc > 1<<31-1 {
		return usagef("backup_history_count must be positive")
	}
	if hc > 0 {
		n := int32(hc)
		ch.HistoryCount = &n
	}
	if c.Has("start_time") {
		st := c.Str("start_time", "")
		if err := checkStartTime(st); err != nil {
			return err
		}
		ch.StartTime = &st
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	hint, err := c.s.admin.ModifyBackupPolicy(ctx, name, ch)
	if err != nil {
		return failf(err, "modify backup policy failed: %s", hintText(err))
	}
	return modifyResult(c, "Modify policy", name, hint)
}

func setPolicyDisabled(c *Call, disable bool) error {
	name := c.Str("policy_name", "")
	ch := admin.PolicyChange{Disable: &disable, ForceDisable: disable && c.Switch("force")}
	ctx, cancel := c.adminCtx()
	defer cancel()
	hint, err := c.s.admin.ModifyBackupPolicy(ctx, name, ch)
	what := "enable"
	if disable {
		what = "disable"
	}
	if err != nil {
		return failf(err, "%s backup policy failed: %s", what, hintText(err))
	}
	return modifyResult(c, what+" policy", name, hint)
}

func runDisableBackupPolicy(c *Call) error { return setPolicyDisabled(c, true) }

func runEnableBackupPolicy(c *Call) error { return setPolicyDisabled(c, false) }
