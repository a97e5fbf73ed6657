package shell

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// query_dup and dups: a table's duplications, and every duplication of
// the cluster with per-partition progress.

func init() {
	register(
		&Command{Name: "query_dup", Group: "duplication", Summary: "show a table's duplications and their progress",
			Help: "Lists the table's duplications (dup_id, status, remote cluster, create time) and, for\n" +
				"each, its partitions: the decree the follower confirmed, the last decree committed\n" +
				"here, the gap between them and the lag: how long the oldest write not yet confirmed\n" +
				"has waited, in seconds (\"-\" until the primaries report).\n" +
				"-d prints the whole response. JSON: {app_name, appid, duplications: [...]}.",
			Args:  []Arg{dupTableArg},
			Flags: []Flag{{Short: "d", Long: "detail", Help: "print the whole response"}},
			JSON:  true, Output: true, Run: runQueryDup},
		&Command{Name: "dups", Group: "duplication", Summary: "list the cluster's duplications",
			Help: "Lists the duplications of the tables that match, a summary, and with -u the\n" +
				"partitions not caught up (gap above -g, or the duplication not shipping its log).",
			Flags: []Flag{
				{Short: "a", Long: "app_name_pattern", Value: "str", Help: "table name pattern"},
				{Short: "m", Long: "match_type", Value: "type", Choices: []string{"all", "exact", "anywhere", "prefix", "postfix"}, Help: "how the pattern matches"},
				{Short: "p", Long: "list_partitions", Help: "one row per partition"},
				{Short: "g", Long: "progress_gap", Value: "n", Help: "a partition with a larger decree gap is unfinished (default 0)"},
				{Short: "u", Long: "show_unfinishd", Help: "list the unfinished partitions"},
			},
			JSON: true, Output: true, Run: runDups},
	)
}

// dupPartitionJSON is one partition's progress in JSON.
type dupPartitionJSON struct {
	Partition     int32  `json:"partition_id"`
	Confirmed     int64  `json:"confirmed_decree"`
	LastCommitted int64  `json:"last_committed_decree"`
	Gap           int64  `json:"decree_gap"`
	LagMs         *int64 `json:"lag_ms"`
}

// dupJSON is one duplication in JSON.
type dupJSON struct {
	DupID              int32              `json:"dupid"`
	Status             string             `json:"status"`
	Remote             string             `json:"remote"`
	RemoteAppName      string             `json:"remote_app_name"`
	RemoteReplicaCount int32              `json:"remote_replica_count"`
	FailMode           string             `json:"fail_mode"`
	CreateTime         string             `json:"create_time"`
	CreateTs           int64              `json:"create_ts"`
	Partitions         []dupPartitionJSON `json:"partitions"`
}

func dupEntryJSON(e *admintypes.DuplicationEntry, table string) dupJSON {
	j := dupJSON{DupID: e.Dupid, Status: e.Status.String(), Remote: e.Remote, RemoteAppName: e.GetRemoteAppName(),
		RemoteReplicaCount: e.GetRemoteReplicaCount(), FailMode: e.GetFailMode().String(),
		CreateTime: msTimeText(e.CreateTs), CreateTs: e.CreateTs, Partitions: []dupPartitionJSON{}}
	if j.RemoteAppName == "" {
		j.RemoteAppName = table
	}
	for _, p := range admin.Progress(e) {
		pj := dupPartitionJSON{Partition: p.Partition, Confirmed: p.Confirmed, LastCommitted: p.LastCommitted, Gap: p.Gap()}
		if p.LagMs >= 0 {
			lag := p.LagMs
			pj.LagMs = &lag
		}
		j.Partitions = append(j.Partitions, pj)
	}
	return j
}

// msTimeText prints Unix milliseconds as upstream prints times.
func msTimeText(ms int64) string {
	if ms <= 0 {
		return "-"
	}
	return time.UnixMilli(ms).Format("2006-01-02_15:04:05")
}

// lagText prints a lag in seconds with a decimal, "-" when unknown.
func lagText(ms int64) string {
	if ms < 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(ms)/1000, 'f', 1, 64)
}

func decreeText(d int64) string {
	if d < 0 {
		return "-"
	}
	return strconv.FormatInt(d, 10)
}

// progressTable is a duplication's partitions as a table section.
func progressTable(name string, ps []admin.DupProgress) *table {
	t := &table{name: name, header: []string{"partition_id", "confirmed_decree", "last_committed_decree", "decree_gap", "lag_seconds"},
		right: []int{0, 1, 2, 3, 4}}
	for _, p := range ps {
		t.rows = append(t.rows, []string{itoa(p.Partition), decreeText(p.Confirmed), decreeText(p.LastCommitted), decreeText(p.Gap()), lagText(p.LagMs)})
	}
	return t
}

func runQueryDup(c *Call) error {
	name := c.args[0]
	if name == "" {
		return usagef("app_name must not be empty")
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	appID, entries, err := c.s.admin.QueryDuplication(ctx, name)
	if err != nil {
		return failf(err, "ERROR: querying duplications of app [%s] failed, error=%s", name, describe(err))
	}
	out := struct {
		AppName      string    `json:"app_name"`
		AppID        int32     `json:"appid"`
		Duplications []dupJSON `json:"duplications"`
	}{AppName: name, AppID: appID, Duplications: []dupJSON{}}
	for _, e := range entries {
		out.Duplications = append(out.Duplications, dupEntryJSON(e, name))
	}
	if c.Switch("detail") && !c.JSON() {
		fmt.Fprintf(c.out, "duplications of app [%s] in detail:\n", name)
		return writeJSON(c.out, out)
	}
	return c.Emit(out, func(w io.Writer) {
		fmt.Fprintf(w, "duplications of app [%s] are listed as below:\n", name)
		list := &table{name: "duplications", header: []string{"dup_id", "status", "remote cluster", "create time"}}
		for _, e := range entries {
			list.rows = append(list.rows, []string{itoa(e.Dupid), e.Status.String(), e.Remote, msTimeText(e.CreateTs)})
		}
		secs := []section{list}
		for _, e := range entries {
			secs = append(secs, progressTable(fmt.Sprintf("dup %d progress", e.Dupid), admin.Progress(e)))
		}
		printSections(w, secs...)
	})
}

// dupRow is one duplication of one table in the dups listing.
type dupRow struct {
	app   *admintypes.DuplicationAppState
	entry *admintypes.DuplicationEntry
}

func runDups(c *Call) error {
	match := admintypes.PatternMatchType_PMT_MATCH_ALL
	if m := c.Str("match_type", "all"); m != "all" {
		match, _ = admintypes.PatternMatchTypeFromString("PMT_MATCH_" + strings.ToUpper(m))
	}
	pattern := c.Str("app_name_pattern", "")
	if pattern != "" && !c.Has("match_type") {
		match = admintypes.PatternMatchType_PMT_MATCH_ANYWHERE
	}
	gap, err := c.Int("progress_gap", 0)
	if err != nil {
		return err
	}
	if gap < 0 {
		return usagef("invalid progress_gap %d: want 0 or more", gap)
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	states, err := c.s.admin.ListDuplications(ctx, pattern, match)
	if err != nil {
		return failf(err, "ERROR: listing duplications failed, error=%s", describe(err))
	}
	var rows []dupRow
	apps := make([]*admintypes.DuplicationAppState, 0, len(states))
	for _, st := range states {
		apps = append(apps, st)
	}
	sort.Slice(apps, func(i, j int) bool { return apps[i].Appid < apps[j].Appid })
	for _, st := range apps {
		ids := make([]int32, 0, len(st.Duplications))
		for id := range st.Duplications {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		for _, id := range ids {
			rows = append(rows, dupRow{app: st, entry: st.Duplications[id]})
		}
	}
	listing, summary, unfinished, j := dupsSections(rows, len(apps), gap, c.Switch("list_partitions"))
	return c.Emit(j, func(w io.Writer) {
		secs := []section{listing, summary}
		if c.Switch("show_unfinishd") {
			secs = append(secs, unfinished)
		}
		printSections(w, secs...)
	})
}

// unfinishedPartition reports whether a partition has not caught up: its
// duplication is not shipping its log, or the gap is above limit or
// unknown.
func unfinishedPartition(e *admintypes.DuplicationEntry, p admin.DupProgress, limit int64) bool {
	return e.Status != admintypes.DuplicationStatus_DS_LOG || p.Gap() < 0 || p.Gap() > limit
}

// dupsSections builds the [duplications], [summary] and [unfinished]
// sections of dups, and the JSON.
func dupsSections(rows []dupRow, totalApps int, gap int64, perPartition bool) (*table, *kvTable, *table, map[string]any) {
	header := []string{"app_id", "app_name", "dup_id", "create_time", "status", "follower_cluster", "follower_app_name"}
	if perPartition {
		header = append(header, "partition_id", "confirmed_decree", "last_committed_decree", "decree_gap", "lag_seconds")
	}
	listing := &table{name: "duplications", header: header, right: []int{6}}
	unfinished := &table{name: "unfinished", header: []string{"app_id", "app_name", "dup_id", "status", "partition_id",
		"confirmed_decree", "last_committed_decree", "decree_gap"}}
	byStatus, byFollower := map[string]int{}, map[string]int{}
	duplicatingApps, unfinishedApps := map[int32]bool{}, map[int32]bool{}
	partitions := map[int32]int32{}
	dupParts, unfinishedParts := 0, 0
	var list []map[string]any
	for _, r := range rows {
		e, st := r.entry, r.app
		partitions[st.Appid] = st.PartitionCount
		follower := e.GetRemoteAppName()
		if follower == "" {
			follower = st.AppName
		}
		byStatus[e.Status.String()]++
		byFollower[e.Remote]++
		if e.Status != admintypes.DuplicationStatus_DS_REMOVED {
			duplicatingApps[st.Appid] = true
		}
		base := []string{itoa(st.Appid), st.AppName, itoa(e.Dupid), msTimeText(e.CreateTs), e.Status.String(), e.Remote, follower}
		prog := admin.Progress(e)
		dj := dupEntryJSON(e, st.AppName)
		list = append(list, map[string]any{"app_id": st.Appid, "app_name": st.AppName, "duplication": dj})
		if !perPartition {
			listing.rows = append(listing.rows, base)
		}
		for _, p := range prog {
			if perPartition {
				listing.rows = append(listing.rows, append(append([]string{}, base...),
					itoa(p.Partition), decreeText(p.Confirmed), decreeText(p.LastCommitted), decreeText(p.Gap()), lagText(p.LagMs)))
			}
			dupParts++
			if unfinishedPartition(e, p, gap) {
				unfinishedParts++
				unfinishedApps[st.Appid] = true
				unfinished.rows = append(unfinished.rows, []string{itoa(st.Appid), st.AppName, itoa(e.Dupid), e.Status.String(),
					itoa(p.Partition), decreeText(p.Confirmed), decreeText(p.LastCommitted), decreeText(p.Gap())})
			}
		}
		if len(prog) == 0 && e.Status != admintypes.DuplicationStatus_DS_LOG {
			unfinishedApps[st.Appid] = true
		}
	}
	totalParts := 0
	for _, n := range partitions {
		totalParts += int(n)
	}
	summary := &kvTable{name: "summary"}
	summary.add("total_app_count", totalApps)
	summary.add("duplicating_app_count", len(duplicatingApps))
	summary.add("unfinished_app_count", len(unfinishedApps))
	summary.add("total_duplication_count", len(rows))
	js := map[string]any{"total_app_count": totalApps, "duplicating_app_count": len(duplicatingApps),
		"unfinished_app_count": len(unfinishedApps), "total_duplication_count": len(rows)}
	for _, k := range sortedKeys(byStatus) {
		summary.add("duplication_count_by_status("+k+")", byStatus[k])
	}
	for _, k := range sortedKeys(byFollower) {
		summary.add("duplication_count_by_follower_cluster("+k+")", byFollower[k])
	}
	summary.add("total_partition_count", totalParts)
	summary.add("duplicating_partition_count", dupParts)
	summary.add("unfinished_partition_count", unfinishedParts)
	js["duplication_count_by_status"], js["duplication_count_by_follower_cluster"] = byStatus, byFollower
	js["total_partition_count"], js["duplicating_partition_count"], js["unfinished_partition_count"] = totalParts, dupParts, unfinishedParts
	if list == nil {
		list = []map[string]any{}
	}
	return listing, summary, unfinished, map[string]any{"duplications": list, "summary": js}
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
