package shell

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

var (
	appStatusChoices = []string{"all", "available", "creating", "create_failed", "dropping", "drop_failed", "dropped", "recalling"}
	matchChoices     = []string{"all", "exact", "anywhere", "prefix", "postfix"}
	resolveFlag      = Flag{Short: "r", Long: "resolve_ip", Help: "print addresses as ip:port (they already are: accepted for upstream's scripts)"}
	detailedFlag     = Flag{Short: "d", Long: "detailed", Help: "show details"}
)

func init() {
	register(
		&Command{Name: "ls", Group: "tables", Summary: "list tables", JSON: true, Output: true,
			Help: "Lists the available tables (-a or -s for others). -d adds the health of each table's\n" +
				"partitions. JSON: an array of objects with app_id, name, status, app_type,\n" +
				"partition_count, replica_count, is_stateful, create_time, drop_time, drop_expire,\n" +
				"envs_count, atomic_idempotent, and with -d fully_healthy, unhealthy,\n" +
				"write_unhealthy, read_unhealthy.",
			Flags: []Flag{
				{Short: "a", Long: "all", Help: "list tables in every status"},
				detailedFlag,
				{Short: "s", Long: "status", Value: "status", Choices: appStatusChoices, Help: "list tables in this status"},
				{Short: "p", Long: "app_name_pattern", Value: "str", Help: "table name pattern, matched as -m says"},
				{Short: "m", Long: "match_type", Value: "type", Choices: matchChoices, Help: "how -p matches (default all: ignore -p)"},
			},
			Run: runLs},
		&Command{Name: "app", Group: "tables", Summary: "show a table's partitions", JSON: true, Output: true,
			Help: "Shows a table's id, partition count and max replica count; -d adds every partition's\n" +
				"ballot, primary, secondaries and last committed decree (as its primary last reported it),\n" +
				"the replicas per node and the partition health.\n" +
				"JSON: an object with app_name, app_id, partition_count, max_replica_count and with -d\n" +
				"partitions (pidx, ballot, replica_count, max_replica_count, primary, secondaries,\n" +
				"last_committed_decree),\n" +
				"nodes (node, primary, secondary, total) and healthy.",
			Args:  []Arg{{Name: "app_name", Kind: KindTable}},
			Flags: []Flag{detailedFlag, resolveFlag},
			Run:   runApp},
		&Command{Name: "create", Group: "tables", Summary: "create a table and wait until it is served",
			Help: "Creates a table (4 partitions, 3 replicas unless told otherwise; an existing table of\n" +
				"that name is success unless -f) and waits until every partition has a primary. The\n" +
				"partition count must be a power of two.",
			Args: []Arg{{Name: "app_name"}},
			Flags: []Flag{
				{Short: "p", Long: "partition_count", Value: "num", Help: "number of partitions (default 4)"},
				{Short: "r", Long: "replica_count", Value: "num", Help: "max replicas per partition (default 3)"},
				{Short: "f", Long: "fail_if_exist", Help: "fail if the table exists"},
				{Short: "i", Long: "atomic_idempotent", Help: "make incr, check_and_set and check_and_mutate idempotent"},
				{Short: "e", Long: "envs", Value: "k1=v1,k2=v2", Help: "table envs to set at creation"},
				{Long: "no_wait", Help: "return once the meta server accepted the table"},
			},
			JSON: true,
			Run:  runCreate},
		&Command{Name: "drop", Group: "tables", Summary: "drop a table (recallable until its reserve ends)",
			Help: "Soft-deletes a table: it becomes DROPPED (see `ls -a`) and can be brought back with\n" +
				"`recall <app_id>` until the reserve ends (default: the meta server's hold period,\n" +
				"7 days). Asks for confirmation on a terminal; scripts pass -f|--yes.",
			Args: []Arg{{Name: "app_name", Kind: KindTable}},
			Flags: []Flag{
				{Short: "r", Long: "reserve_seconds", Value: "num", Help: "keep the dropped table this long (0: the meta server's default)"},
				{Short: "f", Long: "yes", Alias: "force", Help: "do not ask for confirmation"},
			},
			JSON: true,
			Run:  runDrop},
		&Command{Name: "recall", Group: "tables", Summary: "bring back a dropped table",
			Help: "Recalls a dropped table by its app id (see `ls -a`), under its old name or a new one,\n" +
				"and waits until every partition has a primary.",
			Args:  []Arg{{Name: "app_id"}, {Name: "new_app_name", Optional: true}},
			Flags: []Flag{{Long: "no_wait", Help: "return once the meta server accepted the recall"}},
			JSON:  true,
			Run:   runRecall},
		&Command{Name: "rename", Group: "tables", Summary: "rename a table",
			Args: []Arg{{Name: "old_app_name", Kind: KindTable}, {Name: "new_app_name"}},
			JSON: true,
			Run:  runRename},
	)
}

var tableNameRE = regexp.MustCompile(`^[0-9A-Za-z._:]+$`)

// tableJSON is one table in `ls --json`.
type tableJSON struct {
	AppID            int32  `json:"app_id"`
	Name             string `json:"name"`
	Status           string `json:"status"`
	AppType          string `json:"app_type"`
	PartitionCount   int32  `json:"partition_count"`
	ReplicaCount     int32  `json:"replica_count"`
	IsStateful       bool   `json:"is_stateful"`
	CreateTime       string `json:"create_time,omitempty"`
	DropTime         string `json:"drop_time,omitempty"`
	DropExpire       string `json:"drop_expire,omitempty"`
	EnvsCount        int    `json:"envs_count"`
	AtomicIdempotent bool   `json:"atomic_idempotent"`
	FullyHealthy     *int   `json:"fully_healthy,omitempty"`
	Unhealthy        *int   `json:"unhealthy,omitempty"`
	WriteUnhealthy   *int   `json:"write_unhealthy,omitempty"`
	ReadUnhealthy    *int   `json:"read_unhealthy,omitempty"`
}

func statusName(s layer2.AppStatus) string { return strings.TrimPrefix(s.String(), "AS_") }

func runLs(c *Call) error {
	status := layer2.AppStatus_AS_AVAILABLE
	if c.Switch("all") {
		status = layer2.AppStatus_AS_INVALID
	}
	if v := c.Str("status", ""); v != "" {
		status = layer2.AppStatus_AS_INVALID
		if v != "all" {
			st, err := layer2.AppStatusFromString("AS_" + strings.ToUpper(v))
			if err != nil {
				return usagef("invalid status %s", v)
			}
			status = st
		}
	}
	match := admintypes.PatternMatchType_PMT_MATCH_ALL
	if m := c.Str("match_type", "all"); m != "all" {
		match, _ = admintypes.PatternMatchTypeFromString("PMT_MATCH_" + strings.ToUpper(m))
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	apps, err := c.s.admin.ListTablesMatching(ctx, status, c.Str("app_name_pattern", ""), match)
	if err != nil {
		return failf(err, "list apps failed, error=%s", describe(err))
	}
	sort.Slice(apps, func(i, j int) bool { return apps[i].AppID < apps[j].AppID })
	detailed := c.Switch("detailed")
	health := map[int32]admin.Health{}
	if detailed {
		for _, a := range apps {
			if a.Status != layer2.AppStatus_AS_AVAILABLE {
				continue
			}
			_, parts, err := c.s.admin.TablePartitions(ctx, a.AppName)
			if err != nil {
				return failf(err, "list apps failed, error=%s", describe(err))
			}
			health[a.AppID] = admin.TableHealth(parts)
		}
	}
	out := make([]tableJSON, 0, len(apps))
	general := &table{name: "general_info", header: []string{"app_id", "status", "app_name", "app_type", "partition_count",
		"replica_count", "is_stateful", "create_time", "drop_time", "drop_expire", "envs_count", "atomic_idempotent"}}
	healthy := &table{name: "healthy_info", header: []string{"app_id", "app_name", "partition_count", "fully_healthy",
		"unhealthy", "write_unhealthy", "read_unhealthy"}}
	summary := &kvTable{name: "summary"}
	var avail, fully, unhealthy, wu, ru int
	for _, a := range apps {
		dropTime, expire := "-", "-"
		j := tableJSON{AppID: a.AppID, Name: a.AppName, Status: statusName(a.Status), AppType: a.AppType,
			PartitionCount: a.PartitionCount, ReplicaCount: a.MaxReplicaCount, IsStateful: a.IsStateful,
			CreateTime: timeJSON(a.CreateSecond), EnvsCount: len(a.Envs), AtomicIdempotent: a.GetAtomicIdempotent()}
		if a.Status == layer2.AppStatus_AS_DROPPED && a.ExpireSecond > 0 {
			dropTime, expire = timeText(a.DropSecond), timeText(a.ExpireSecond)
			j.DropTime, j.DropExpire = timeJSON(a.DropSecond), timeJSON(a.ExpireSecond)
		}
		general.rows = append(general.rows, []string{itoa(a.AppID), j.Status, a.AppName, a.AppType, itoa(a.PartitionCount),
			itoa(a.MaxReplicaCount), strconv.FormatBool(a.IsStateful), timeText(a.CreateSecond), dropTime, expire,
			strconv.Itoa(len(a.Envs)), strconv.FormatBool(j.AtomicIdempotent)})
		if a.Status == layer2.AppStatus_AS_AVAILABLE {
			avail++
		}
		if h, ok := health[a.AppID]; ok {
			j.FullyHealthy, j.Unhealthy, j.WriteUnhealthy, j.ReadUnhealthy = &h.FullyHealthy, &h.Unhealthy, &h.WriteUnhealthy, &h.ReadUnhealthy
			healthy.rows = append(healthy.rows, []string{itoa(a.AppID), a.AppName, itoa(a.PartitionCount), strconv.Itoa(h.FullyHealthy),
				strconv.Itoa(h.Unhealthy), strconv.Itoa(h.WriteUnhealthy), strconv.Itoa(h.ReadUnhealthy)})
			switch {
			case h.FullyHealthy == h.Partitions:
				fully++
			default:
				unhealthy++
			}
			if h.WriteUnhealthy > 0 {
				wu++
			}
			if h.ReadUnhealthy > 0 {
				ru++
			}
		}
		out = append(out, j)
	}
	summary.add("total_app_count", avail)
	secs := []section{general}
	if detailed && len(health) > 0 {
		secs = append(secs, healthy)
		summary.add("fully_healthy_app_count", fully)
		summary.add("unhealthy_app_count", unhealthy)
		summary.add("write_unhealthy_app_count", wu)
		summary.add("read_unhealthy_app_count", ru)
	}
	secs = append(secs, summary)
	return c.Emit(out, func(w io.Writer) { printSections(w, secs...) })
}

// pollInterval spaces the configuration queries of create and recall.
const pollInterval = 200 * time.Millisecond

func secondsDuration(n int64) time.Duration { return time.Duration(n) * time.Second }

func itoa[T ~int32 | ~int64 | ~int](n T) string { return strconv.FormatInt(int64(n), 10) }

// partitionJSON is one partition in `app -d --json`.
type partitionJSON struct {
	Pidx            int32    `json:"pidx"`
	Ballot          int64    `json:"ballot"`
	ReplicaCount    int      `json:"replica_count"`
	MaxReplicaCount int32    `json:"max_replica_count"`
	Primary         string   `json:"primary"`
	Secondaries     []string `json:"secondaries"`
	LastCommitted   int64    `json:"last_committed_decree"`
}

type nodeCountJSON struct {
	Node      string `json:"node"`
	Primary   int    `json:"primary"`
	Secondary int    `json:"secondary"`
	Total     int    `json:"total"`
}

type healthJSON struct {
	FullyHealthy   int `json:"fully_healthy_partition_count"`
	Unhealthy      int `json:"unhealthy_partition_count"`
	WriteUnhealthy int `json:"write_unhealthy_partition_count"`
	ReadUnhealthy  int `json:"read_unhealthy_partition_count"`
}

type appJSON struct {
	AppName         string          `json:"app_name"`
	AppID           int32           `json:"app_id"`
	PartitionCount  int             `json:"partition_count"`
	MaxReplicaCount int32           `json:"max_replica_count"`
	Partitions      []partitionJSON `json:"partitions,omitempty"`
	Nodes           []nodeCountJSON `json:"nodes,omitempty"`
	Healthy         *healthJSON     `json:"healthy,omitempty"`
}

func runApp(c *Call) error {
	name := c.args[0]
	ctx, cancel := c.adminCtx()
	defer cancel()
	id, parts, err := c.s.admin.TablePartitions(ctx, name)
	if err != nil {
		return failf(err, "query app %s failed, error=%s", name, describe(err))
	}
	detailed := c.Switch("detailed")
	j := appJSON{AppName: name, AppID: id, PartitionCount: len(parts)}
	if len(parts) > 0 {
		j.MaxReplicaCount = parts[0].MaxReplicas
	}
	params := &kvTable{name: "parameters"}
	params.add("app_name", name)
	if f := c.Str("output", ""); f != "" {
		params.add("out_file", f)
	}
	params.add("detailed", detailed)
	general := &kvTable{name: "general"}
	general.add("app_name", name)
	general.add("app_id", id)
	general.add("partition_count", len(parts))
	general.add("max_replica_count", j.MaxReplicaCount)
	secs := []section{params, general}
	if detailed {
		replicas := &table{name: "replicas", header: []string{"pidx", "ballot", "replica_count", "primary", "secondaries", "last_committed"}}
		counts := map[string]*nodeCountJSON{}
		node := func(a string) *nodeCountJSON {
			if counts[a] == nil {
				counts[a] = &nodeCountJSON{Node: a}
			}
			return counts[a]
		}
		for _, p := range parts {
			primary := p.Primary
			if primary == "" {
				primary = "-"
			} else {
				node(p.Primary).Primary++
			}
			for _, s := range p.Secondaries {
				node(s).Secondary++
			}
			secs := p.Secondaries
			if secs == nil {
				secs = []string{}
			}
			j.Partitions = append(j.Partitions, partitionJSON{Pidx: p.Index, Ballot: p.Ballot, ReplicaCount: p.Replicas(),
				MaxReplicaCount: p.MaxReplicas, Primary: p.Primary, Secondaries: secs, LastCommitted: p.LastCommitted})
			replicas.rows = append(replicas.rows, []string{itoa(p.Index), itoa(p.Ballot),
				fmt.Sprintf("%d/%d", p.Replicas(), p.MaxReplicas), primary, "[" + strings.Join(p.Secondaries, ",") + "]",
				itoa(p.LastCommitted)})
		}
		nodes := &table{name: "nodes", header: []string{"node", "primary", "secondary", "total"}, right: []int{1, 2, 3}}
		names := make([]string, 0, len(counts))
		for n := range counts {
			names = append(names, n)
		}
		sort.Strings(names)
		var tp, ts int
		for _, n := range names {
			nc := counts[n]
			nc.Total = nc.Primary + nc.Secondary
			tp, ts = tp+nc.Primary, ts+nc.Secondary
			j.Nodes = append(j.Nodes, *nc)
			nodes.rows = append(nodes.rows, []string{n, strconv.Itoa(nc.Primary), strconv.Itoa(nc.Secondary), strconv.Itoa(nc.Total)})
		}
		nodes.rows = append(nodes.rows, []string{"", strconv.Itoa(tp), strconv.Itoa(ts), strconv.Itoa(tp + ts)})
		h := admin.TableHealth(parts)
		j.Healthy = &healthJSON{h.FullyHealthy, h.Unhealthy, h.WriteUnhealthy, h.ReadUnhealthy}
		healthy := &kvTable{name: "healthy"}
		healthy.add("fully_healthy_partition_count", h.FullyHealthy)
		healthy.add("unhealthy_partition_count", h.Unhealthy)
		healthy.add("write_unhealthy_partition_count", h.WriteUnhealthy)
		healthy.add("read_unhealthy_partition_count", h.ReadUnhealthy)
		secs = append(secs, replicas, nodes, healthy)
	}
	return c.Emit(j, func(w io.Writer) { printSections(w, secs...) })
}

// parseEnvs parses -e k1=v1,k2=v2.
func parseEnvs(s string) (map[string]string, error) {
	envs := map[string]string{}
	if s == "" {
		return envs, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("invalid kvs")
		}
		envs[k] = v
	}
	return envs, nil
}

// waitReady waits for every partition of table to have a primary, with
// progress, printing upstream's lines.
func (c *Call) waitReady(table string) error {
	var p *progress
	lastReady, total := -1, 0
	err := c.s.admin.WaitReady(c.ctx, table, pollInterval, func(ready, n int) {
		if p == nil {
			total = n
			p = c.s.startProgress(table+": partitions with a primary", n, "", func(st progressState) string {
				return fmt.Sprintf("%s not ready yet, still waiting... (%d/%d)", table, st.Done, st.Total)
			})
		}
		lastReady = ready
		p.update(ready, int64(ready))
	})
	if p != nil {
		p.finish()
	}
	if err != nil {
		return err
	}
	c.Errf("%s is ready now: (%d/%d)", table, lastReady, total)
	c.Errf("%s is ready now!", table)
	return nil
}

func runCreate(c *Call) error {
	name := c.args[0]
	if !tableNameRE.MatchString(name) {
		return usagef("invalid app name '%s', should only contain 0-9, A-Z, a-z, '.', '_' and ':'", name)
	}
	pc, err := c.Int("partition_count", 4)
	if err != nil {
		return err
	}
	rc, err := c.Int("replica_count", 3)
	if err != nil {
		return err
	}
	if pc < 1 || pc > 1<<20 {
		return usagef("partition_count should be at least 1")
	}
	if rc < 1 || rc > 100 {
		return usagef("replica_count should be at least 1")
	}
	envs, err := parseEnvs(c.Str("envs", ""))
	if err != nil {
		return err
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	id, err := c.s.admin.CreateTableWith(ctx, name, admin.CreateOptions{Partitions: int32(pc), Replicas: int32(rc), Envs: envs,
		FailIfExist: c.Switch("fail_if_exist"), AtomicIdempotent: c.Switch("atomic_idempotent")})
	if err != nil {
		return failf(err, "create app \"%s\" failed, error = %s", name, describe(err))
	}
	c.s.live.invalidate(KindTable)
	if !c.JSON() {
		c.Printf("create app %s succeed, waiting for app ready", name)
	}
	if !c.Switch("no_wait") {
		if err := c.waitReady(name); err != nil {
			return failf(err, "create app \"%s\" failed, error = %s", name, describe(err))
		}
	}
	return c.Done(map[string]any{"app_id": id, "app_name": name, "partition_count": pc, "replica_count": rc, "ready": !c.Switch("no_wait")},
		"create app \"%s\" succeed", name)
}

func runDrop(c *Call) error {
	name := c.args[0]
	reserve, err := c.Int("reserve_seconds", 0)
	if err != nil {
		return err
	}
	if reserve < 0 {
		return usagef("reserve_seconds should not be negative")
	}
	c.Errf("reserve_seconds = %d", reserve)
	if !c.Switch("yes") {
		ok, err := c.s.confirm(fmt.Sprintf("Drop table %s? It can be recalled until its reserve ends", name), "-f|--yes", false)
		if err != nil {
			return err
		}
		if !ok {
			return failf(nil, "drop app %s cancelled", name)
		}
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	if err := c.s.admin.DropTable(ctx, name, secondsDuration(reserve)); err != nil {
		return failf(err, "drop app %s failed, error=%s", name, describe(err))
	}
	c.s.live.invalidate(KindTable)
	return c.Done(map[string]any{"app_name": name, "dropped": true}, "drop app %s succeed", name)
}

func runRecall(c *Call) error {
	id, err := strconv.ParseInt(c.args[0], 10, 32)
	if err != nil {
		return usagef("parse %s as id failed", c.args[0])
	}
	newName := ""
	if len(c.args) > 1 {
		newName = c.args[1]
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	info, err := c.s.admin.RecallTable(ctx, int32(id), newName)
	if err != nil {
		return failf(err, "recall app %d failed, error=%s", id, describe(err))
	}
	c.s.live.invalidate(KindTable)
	name := newName
	if info != nil {
		name = info.AppName
	}
	if !c.JSON() {
		c.Printf("recall app ok, id(%d), name(%s), partition_count(%d), wait it ready", id, name, info.GetPartitionCount())
	}
	if !c.Switch("no_wait") {
		if err := c.waitReady(name); err != nil {
			return failf(err, "recall app %d failed, error=%s", id, describe(err))
		}
	}
	return c.Done(map[string]any{"app_id": id, "app_name": name, "partition_count": info.GetPartitionCount()}, "recall app %d succeed", id)
}

func runRename(c *Call) error {
	oldName, newName := c.args[0], c.args[1]
	ctx, cancel := c.adminCtx()
	defer cancel()
	if err := c.s.admin.RenameTable(ctx, oldName, newName); err != nil {
		return failf(err, "rename app failed, old_app_name(%s), new_app_name(%s), failed: %s", oldName, newName, describe(err))
	}
	c.s.live.invalidate(KindTable)
	if c.s.table == oldName {
		c.s.table = newName
	}
	delete(c.s.routes, oldName)
	delete(c.s.tables, oldName)
	return c.Done(map[string]string{"old_app_name": oldName, "new_app_name": newName},
		"rename app ok, old_app_name(%s), new_app_name(%s)", oldName, newName)
}
