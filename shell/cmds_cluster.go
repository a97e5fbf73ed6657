package shell

import (
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/pegasus-go/pegasus/admin"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
)

var metaLevelNames = []string{"stopped", "blind", "freezed", "steady", "lively"}

func init() {
	register(
		&Command{Name: "cluster_info", Group: "cluster", Summary: "show the meta server's view of the cluster", JSON: true, Output: true,
			Help: "Prints the key/value pairs the meta server returns (meta_servers, primary_meta_server,\n" +
				"meta_function_level, cluster_name, ...), in its order. JSON: an object of them.",
			Flags: []Flag{resolveFlag},
			Run:   runClusterInfo},
		&Command{Name: "nodes", Group: "cluster", Summary: "list replica servers", JSON: true, Output: true,
			Help: "Lists replica servers and their status; -d adds how many replicas, primaries and\n" +
				"secondaries each serves. -u adds memused_res_mb (and mem_tbl_mb where exposed) from the\n" +
				"servers' /metrics; -q samples them twice, -i ms apart (default 1000), and adds\n" +
				"get_qps mget_qps bget_qps put_qps mput_qps and the p99 latency of those ops in ms.\n" +
				"JSON: an array of objects with address, status, with -d replica_count, primary_count,\n" +
				"secondary_count, and with -u/-q load: {column: value}.",
			Flags: []Flag{
				detailedFlag, resolveFlag,
				{Short: "s", Long: "status", Value: "status", Choices: []string{"all", "alive", "unalive"}, Help: "only nodes in this status"},
				{Short: "u", Long: "resource_usage", Help: "memory usage from the servers' metrics"},
				{Short: "q", Long: "qps", Help: "request rates and p99 latencies from the servers' metrics"},
				{Short: "i", Long: "sample_interval_ms", Value: "ms", Help: "sampling interval of -q"},
			},
			Run: runNodes},
		&Command{Name: "get_meta_level", Group: "cluster", Summary: "show the meta server's function level", JSON: true,
			Help: "Levels: stopped, blind, freezed, steady (cure only: normal), lively (cure and balance).",
			Run:  runGetMetaLevel},
		&Command{Name: "set_meta_level", Group: "cluster", Summary: "change the meta server's function level", JSON: true,
			Help: "Levels: stopped (meta does nothing), blind (no cure), freezed (no new assignments),\n" +
				"steady (cure only: normal), lively (cure and load balancing). Setting lively asks for\n" +
				"confirmation on a terminal; scripts pass -f|--yes.",
			Args:  []Arg{{Name: "stopped|blind|freezed|steady|lively", Kind: KindMetaLevel}},
			Flags: []Flag{{Short: "f", Long: "yes", Alias: "force", Help: "do not ask for confirmation"}},
			Run:   runSetMetaLevel},
	)
}

func runClusterInfo(c *Call) error {
	ctx, cancel := c.adminCtx()
	defer cancel()
	info, err := c.s.admin.ClusterInfo(ctx)
	if err != nil {
		return failf(err, "get cluster info failed, error=%s", describe(err))
	}
	kv := &kvTable{name: "cluster_info"}
	m := map[string]string{}
	for _, p := range info {
		kv.add(p[0], p[1])
		m[p[0]] = p[1]
	}
	return c.Emit(m, func(w io.Writer) { printSections(w, kv) })
}

type nodeJSON struct {
	Address        string `json:"address"`
	Status         string `json:"status"`
	ReplicaCount   *int   `json:"replica_count,omitempty"`
	PrimaryCount   *int   `json:"primary_count,omitempty"`
	SecondaryCount *int   `json:"secondary_count,omitempty"`
	// Load holds -u/-q's figures, keyed as their columns (get_p99_ms for
	// get_p99(ms)).
	Load map[string]float64 `json:"load,omitempty"`
}

func runNodes(c *Call) error {
	status := admintypes.NodeStatus_NS_INVALID
	if v := c.Str("status", "all"); v != "all" {
		status, _ = admintypes.NodeStatusFromString("NS_" + strings.ToUpper(v))
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	nodes, err := c.s.admin.ListNodes(ctx, status)
	if err != nil {
		return failf(err, "list nodes failed, error=%s", describe(err))
	}
	detailed := c.Switch("detailed")
	var counts map[string]admin.NodeReplicas
	if detailed {
		if counts, err = c.s.admin.ReplicasPerNode(ctx); err != nil {
			return failf(err, "list nodes failed, error=%s", describe(err))
		}
	}
	type row struct{ addr, status string }
	rows := make([]row, 0, len(nodes))
	for _, n := range nodes {
		rows = append(rows, row{n.Node.String(), strings.TrimPrefix(n.Status.String(), "NS_")})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].addr < rows[j].addr })
	details := &table{name: "details", header: []string{"address", "status"}}
	if detailed {
		details.header = append(details.header, "replica_count", "primary_count", "secondary_count")
		details.right = []int{2, 3, 4}
	}
	var loadCells map[string][]string
	var loadJSON map[string]map[string]float64
	if c.Switch("resource_usage") || c.Switch("qps") { // cmds_stat.go
		var alive []string
		for _, r := range rows {
			if r.status == "ALIVE" {
				alive = append(alive, r.addr)
			}
		}
		var header []string
		if header, loadCells, loadJSON, err = nodeLoad(c, alive); err != nil {
			return err
		}
		for _, h := range header {
			details.right = append(details.right, len(details.header))
			details.header = append(details.header, h)
		}
	}
	out := make([]nodeJSON, 0, len(rows))
	alive := 0
	for _, r := range rows {
		if r.status == "ALIVE" {
			alive++
		}
		j := nodeJSON{Address: r.addr, Status: r.status}
		cells := []string{r.addr, r.status}
		if detailed {
			nc := counts[r.addr]
			total := nc.Primary + nc.Secondary
			j.ReplicaCount, j.PrimaryCount, j.SecondaryCount = &total, &nc.Primary, &nc.Secondary
			cells = append(cells, strconv.Itoa(total), strconv.Itoa(nc.Primary), strconv.Itoa(nc.Secondary))
		}
		if loadCells != nil {
			lc := loadCells[r.addr]
			for len(lc) < len(details.header)-len(cells) {
				lc = append(lc, "-") // not alive: not sampled
			}
			cells = append(cells, lc...)
			j.Load = loadJSON[r.addr]
		}
		details.rows = append(details.rows, cells)
		out = append(out, j)
	}
	var secs []section
	if c.Has("status") || c.Has("output") {
		params := &kvTable{name: "parameters"}
		params.add("status", c.Str("status", "all"))
		if c.Has("output") {
			params.add("out_file", c.Str("output", ""))
		}
		secs = append(secs, params)
	}
	summary := &kvTable{name: "summary"}
	summary.add("total_node_count", len(rows))
	summary.add("alive_node_count", alive)
	summary.add("unalive_node_count", len(rows)-alive)
	secs = append(secs, details, summary)
	return c.Emit(out, func(w io.Writer) { printSections(w, secs...) })
}

func levelName(l admintypes.MetaFunctionLevel) string { return l.String() }

func runGetMetaLevel(c *Call) error {
	ctx, cancel := c.adminCtx()
	defer cancel()
	l, err := c.s.admin.MetaLevel(ctx)
	if err != nil {
		return failf(err, "get meta level got error %s", describe(err))
	}
	return c.Done(map[string]string{"meta_level": levelName(l)}, "current meta level is %s", levelName(l))
}

func runSetMetaLevel(c *Call) error {
	name := strings.ToLower(strings.TrimPrefix(strings.ToLower(c.args[0]), "fl_"))
	level, err := admintypes.MetaFunctionLevelFromString("fl_" + name)
	if err != nil || level == admintypes.MetaFunctionLevel_fl_invalid {
		return usagef("parse %s as meta function level failed", c.args[0])
	}
	if level == admintypes.MetaFunctionLevel_fl_lively && !c.Switch("yes") {
		ok, err := c.s.confirm("Set the meta level to lively? The meta server will start moving replicas to balance the cluster", "-f|--yes", false)
		if err != nil {
			return err
		}
		if !ok {
			return failf(nil, "control meta level cancelled")
		}
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	old, err := c.s.admin.SetMetaLevel(ctx, level)
	if err != nil {
		return failf(err, "control meta level got error %s", describe(err))
	}
	return c.Done(map[string]string{"old_meta_level": levelName(old), "meta_level": levelName(level)},
		"control meta level ok, the old level is %s", levelName(old))
}
