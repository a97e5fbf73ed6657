package shell

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// This file holds the commands that read the servers' /metrics: app_stat,
// server_stat, and the sampling behind nodes -u/-q.

const defaultSampleInterval = time.Second

// latencyOps are the p99 columns of nodes -q and app_stat, as upstream's
// nodes -q has them.
var latencyOps = []struct{ column, op string }{
	{"get", "get"}, {"mget", "multi_get"}, {"bget", "batch_get"}, {"put", "put"}, {"mput", "multi_put"},
}

func init() {
	register(
		&Command{Name: "app_stat", Group: "tables", Summary: "per-table request rates, latency and storage, sampled from replica servers", JSON: true, Output: true,
			Help: "Reads /metrics of every alive replica server twice, -i ms apart (default 1000), and prints\n" +
				"per table (with -a: per partition of one table) the requests per second of upstream's\n" +
				"columns GET MGET BGET PUT MPUT DEL MDEL INCR CAS CAM SCAN, then (per table only) the p99\n" +
				"latency of get, mget, bget, put and mput in ms over the interval, and a (total:N) row.\n" +
				"Storage columns file_mb, file_num and mem_tbl_mb (summed over all replicas, secondaries\n" +
				"too) appear when the servers expose RocksDB figures. Upstream's mem_idx_mb, RCU/WCU,\n" +
				"expire, filter, abnormal, delay, reject and bloom filter ratios have no source in\n" +
				"pegasus-go and are left out.\n" +
				"JSON: {interval_ms, rows: [{app_name|pidx, app_id, pcount, <column>: qps...,\n" +
				"<op>_p99_ms...}], total: {...}}.",
			Flags: []Flag{
				{Short: "a", Long: "app_name", Value: "table", Kind: KindTable, Help: "one table, per partition"},
				{Short: "q", Long: "only_qps", Help: "only request rates"},
				{Short: "u", Long: "only_usage", Help: "only storage usage"},
				{Short: "i", Long: "sample_interval_ms", Value: "ms", Help: "sampling interval (default 1000)"},
			},
			Run: runAppStat},
		&Command{Name: "server_stat", Group: "cluster", Summary: "show servers' memory, replica counts and request rates", JSON: true,
			Help: "Reads /metrics of each server twice, -i ms apart (default 1000): for every server\n" +
				"virt_mem_mb and res_mem_mb; for replica servers also total_replicas and the replicas by\n" +
				"status (primary, secondary, learning, inactive, error) and read_qps, write_qps. Printed\n" +
				"in remote_command's layout (a key=value line per server); -j gives its JSON envelope\n" +
				"with each server's figures as an object. Exits 1 if a server did not answer.",
			Flags: append(append([]Flag{}, targetFlags...), Flag{Short: "i", Long: "sample_interval_ms", Value: "ms", Help: "sampling interval (default 1000)"}),
			Run:   runServerStat},
	)
}

// sampleInterval reads -i|--sample_interval_ms.
func (c *Call) sampleInterval() (time.Duration, error) {
	ms, err := c.Int("sample_interval_ms", defaultSampleInterval.Milliseconds())
	if err != nil {
		return 0, err
	}
	if ms <= 0 {
		return 0, usagef("sample_interval_ms should be positive")
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// aliveReplicaServers lists the ALIVE replica servers, sorted.
func (c *Call) aliveReplicaServers(ctx context.Context) ([]string, error) {
	nodes, err := c.s.admin.ListNodes(ctx, admintypes.NodeStatus_NS_ALIVE)
	if err != nil {
		return nil, err
	}
	var addrs []string
	for _, n := range nodes {
		addrs = append(addrs, n.Node.String())
	}
	sort.Strings(addrs)
	return addrs, nil
}

// warnUnsampled tells on stderr which servers the figures leave out.
func (c *Call) warnUnsampled(w admin.Window) {
	for _, a := range sortedMapKeys(w.Errors) {
		c.Errf("WARNING: %s left out: %v", a, w.Errors[a])
	}
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func fmt3(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
func fmt2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// usageColumn is one of app_stat's storage columns and the per-replica
// gauge (labels app_id, partition) it sums, scaled (to MB where the name
// says so). Upstream's mem_idx_mb has no source in pegasus-go yet.
type usageColumn struct {
	column, metric string
	scale          float64
}

var (
	fileMB       = usageColumn{"file_mb", "pegasus_rocksdb_sst_bytes", 1 << 20}
	fileNum      = usageColumn{"file_num", "pegasus_rocksdb_sst_files", 1}
	memTableMB   = usageColumn{"mem_tbl_mb", "pegasus_rocksdb_memtable_bytes", 1 << 20}
	usageColumns = []usageColumn{fileMB, fileNum, memTableMB}
)

type statRow struct {
	key   string // app_name or pidx
	appID int32
	parts int
	vals  map[string]float64 // column -> value
}

func runAppStat(c *Call) error {
	onlyQPS, onlyUsage := c.Switch("only_qps"), c.Switch("only_usage")
	if onlyQPS && onlyUsage {
		return usagef("only_qps and only_usage should not be set at the same time")
	}
	interval, err := c.sampleInterval()
	if err != nil {
		return err
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	fail := func(err error) error {
		return failf(err, "ERROR: query app stat from server failed: %s", describe(err))
	}
	tables, err := c.s.admin.ListTables(ctx, layer2.AppStatus_AS_AVAILABLE)
	if err != nil {
		return fail(err)
	}
	one := c.Str("app_name", "")
	var rows []*statRow
	byGroup := map[string]*statRow{}
	for _, t := range tables {
		if one != "" && t.AppName != one {
			continue
		}
		if one == "" {
			r := &statRow{key: t.AppName, appID: t.AppID, parts: int(t.PartitionCount), vals: map[string]float64{}}
			rows = append(rows, r)
			byGroup[strconv.Itoa(int(t.AppID))] = r
			continue
		}
		for p := 0; p < int(t.PartitionCount); p++ {
			r := &statRow{key: strconv.Itoa(p), appID: t.AppID, parts: 1, vals: map[string]float64{}}
			rows = append(rows, r)
			byGroup[fmt.Sprintf("%d.%d", t.AppID, p)] = r
		}
	}
	if one != "" && len(rows) == 0 {
		return failf(nil, "ERROR: table '%s' does not exist (ERR_OBJECT_NOT_FOUND)", one)
	}
	addrs, err := c.aliveReplicaServers(ctx)
	if err != nil {
		return fail(err)
	}
	w, err := admin.SampleWindow(c.ctx, addrs, interval)
	if err != nil {
		return fail(err)
	}
	if len(addrs) > 0 && len(w.After) == 0 {
		return failf(nil, "ERROR: query app stat from server failed: no replica server answered /metrics")
	}
	c.warnUnsampled(w)
	group := func(partitionLabel string) func(string, admin.Sample) (string, bool) {
		return func(_ string, s admin.Sample) (string, bool) {
			if one == "" {
				return s.Labels["app_id"], true
			}
			return s.Labels["app_id"] + "." + s.Labels[partitionLabel], true
		}
	}
	var header []string
	var right []int
	if one == "" {
		header = []string{"app_name", "app_id", "pcount"}
	} else {
		header = []string{"pidx"}
	}
	var cols []string
	if !onlyUsage {
		rates := w.Rate(admin.MetricRequests, func(addr string, s admin.Sample) (string, bool) {
			col, ok := admin.OpColumn(s.Labels["op"])
			if !ok {
				return "", false
			}
			g, _ := group("partition_index")(addr, s)
			return g + "|" + col, true
		})
		for k, v := range rates {
			g, col, _ := strings.Cut(k, "|")
			if r := byGroup[g]; r != nil {
				r.vals[col] += v
			}
		}
		for _, op := range admin.StatOps {
			cols = append(cols, op.Column)
		}
		if one == "" {
			for _, l := range latencyOps {
				col := l.column + "_p99(ms)"
				cols = append(cols, col)
				p99 := w.Quantile(0.99, admin.MetricLatency, func(_ string, s admin.Sample) (string, bool) {
					return s.Labels["app_id"], s.Labels["op"] == l.op
				})
				for g, v := range p99 {
					if r := byGroup[g]; r != nil {
						r.vals[col] = v * 1000
					}
				}
			}
		}
	}
	if !onlyQPS {
		var missing []string
		for _, u := range usageColumns {
			found := false
			for _, s := range w.After {
				for _, x := range s.Find(u.metric, nil) {
					found = true
					g, _ := group("partition")("", x)
					if r := byGroup[g]; r != nil {
						r.vals[u.column] += x.Value / u.scale
					}
				}
			}
			if found {
				cols = append(cols, u.column)
			} else {
				missing = append(missing, u.metric)
			}
		}
		if len(missing) > 0 && onlyUsage {
			c.Errf("NOTE: replica servers do not expose %s: storage columns are left out", strings.Join(missing, ", "))
		}
	}
	total := &statRow{key: fmt.Sprintf("(total:%d)", len(rows)), vals: map[string]float64{}}
	for _, r := range rows {
		total.parts += r.parts
		for k, v := range r.vals {
			if !strings.HasSuffix(k, "(ms)") {
				total.vals[k] += v
			}
		}
	}
	if one == "" {
		for _, l := range latencyOps {
			p99 := w.Quantile(0.99, admin.MetricLatency, func(_ string, s admin.Sample) (string, bool) { return "", s.Labels["op"] == l.op })
			if v, ok := p99[""]; ok {
				total.vals[l.column+"_p99(ms)"] = v * 1000
			}
		}
	}
	t := &table{name: "app_stat", header: append(header, cols...)}
	for i := 1; i < len(t.header); i++ {
		right = append(right, i)
	}
	t.right = right
	jrows := make([]map[string]any, 0, len(rows))
	for _, r := range append(rows, total) {
		cells := []string{r.key}
		j := map[string]any{}
		if one == "" {
			j["app_name"] = r.key
			if r != total {
				cells = append(cells, strconv.Itoa(int(r.appID)))
				j["app_id"] = r.appID
			} else {
				cells = append(cells, "")
			}
			cells = append(cells, strconv.Itoa(r.parts))
			j["pcount"] = r.parts
		} else {
			j["pidx"] = r.key
		}
		for _, col := range cols {
			cells = append(cells, fmt3(r.vals[col]))
			j[jsonColumn(col)] = r.vals[col]
		}
		t.rows = append(t.rows, cells)
		if r != total {
			jrows = append(jrows, j)
		} else {
			delete(j, "pidx")
			delete(j, "app_name")
			return c.Emit(map[string]any{"interval_ms": interval.Milliseconds(), "rows": jrows, "total": j},
				func(w io.Writer) { printSections(w, t) })
		}
	}
	return nil
}

// jsonColumn turns a column name into its JSON key: GET -> get,
// get_p99(ms) -> get_p99_ms.
func jsonColumn(col string) string {
	col = strings.ToLower(col)
	return strings.ReplaceAll(strings.ReplaceAll(col, "(", "_"), ")", "")
}

// readOps are the data operations server_stat counts as reads; the rest
// are writes.
var readOps = map[string]bool{"get": true, "multi_get": true, "batch_get": true, "sortkey_count": true,
	"ttl": true, "get_scanner": true, "scan": true, "clear_scanner": true}

// replicaStatusNames name pegasus_replica_status values as server_stat's
// fields.
var replicaStatusNames = map[float64]string{1: "inactive_replicas", 2: "error_replicas", 3: "primary_replicas",
	4: "secondary_replicas", 5: "learning_replicas"}

func runServerStat(c *Call) error {
	interval, err := c.sampleInterval()
	if err != nil {
		return err
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	targets, err := c.remoteTargets(ctx)
	if err != nil {
		if _, ok := err.(*usageError); ok {
			return err
		}
		return failf(err, "ERROR: list replica servers failed, error=%s", describe(err))
	}
	addrs := make([]string, len(targets))
	for i, t := range targets {
		addrs[i] = t.addr
	}
	w, err := admin.SampleWindow(c.ctx, addrs, interval)
	if err != nil {
		return failf(err, "ERROR: sample server metrics failed: %s", describe(err))
	}
	rates := w.Rate(admin.MetricRequests, func(addr string, s admin.Sample) (string, bool) {
		if readOps[s.Labels["op"]] {
			return addr + "|read_qps", true
		}
		return addr + "|write_qps", true
	})
	type answer struct {
		fields [][2]string // in print order
		err    error
	}
	answers := make([]answer, len(targets))
	for i, t := range targets {
		s := w.After[t.addr]
		if s == nil {
			answers[i].err = w.Errors[t.addr]
			continue
		}
		add := func(k string, v string) { answers[i].fields = append(answers[i].fields, [2]string{k, v}) }
		virt, _ := s.Sum(admin.MetricVirtualMemory, nil)
		res, _ := s.Sum(admin.MetricResidentMemory, nil)
		add("virt_mem_mb", strconv.Itoa(int(virt/(1<<20))))
		add("res_mem_mb", strconv.Itoa(int(res/(1<<20))))
		if !s.Has(admin.MetricReplicaStatus) && !s.Has(admin.MetricRequests) {
			continue // a meta server, or a replica server hosting nothing yet
		}
		counts := map[string]int{}
		total := 0
		for _, x := range s.Find(admin.MetricReplicaStatus, nil) {
			total++
			if n, ok := replicaStatusNames[x.Value]; ok {
				counts[n]++
			}
		}
		add("total_replicas", strconv.Itoa(total))
		for _, n := range []string{"primary_replicas", "secondary_replicas", "learning_replicas", "inactive_replicas", "error_replicas"} {
			add(n, strconv.Itoa(counts[n]))
		}
		add("read_qps", fmt2(rates[t.addr+"|read_qps"]))
		add("write_qps", fmt2(rates[t.addr+"|write_qps"]))
	}
	failed := 0
	for _, a := range answers {
		if a.err != nil {
			failed++
		}
	}
	full := "server-stat"
	if c.JSON() {
		details := map[string]remoteAnswer{}
		for i, t := range targets {
			a := remoteAnswer{Acked: answers[i].err == nil, Role: t.role}
			if answers[i].err != nil {
				a.Message = answers[i].err.Error()
			} else {
				m := map[string]any{}
				for _, f := range answers[i].fields {
					if n, err := strconv.ParseFloat(f[1], 64); err == nil {
						m[f[0]] = n
					}
				}
				a.Message = m
			}
			details[t.addr] = a
		}
		if err := writeJSON(c.out, map[string]any{"command": full, "details": details,
			"succeed_count": len(targets) - failed, "failed_count": failed}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.out, "COMMAND: %s\n\n", full)
		for i, t := range targets {
			if answers[i].err != nil {
				fmt.Fprintf(c.out, "CALL [%s] [%s] failed: %v\n", t.role, t.addr, answers[i].err)
				continue
			}
			parts := make([]string, len(answers[i].fields))
			for j, f := range answers[i].fields {
				parts[j] = f[0] + "=" + f[1]
			}
			fmt.Fprintf(c.out, "CALL [%s] [%s] succeed: %s\n", t.role, t.addr, strings.Join(parts, ", "))
		}
		fmt.Fprintf(c.out, "\nSucceed count: %d\nFailed count: %d\n", len(targets)-failed, failed)
	}
	if failed > 0 {
		return failf(nil, "ERROR: %d of %d servers did not answer", failed, len(targets))
	}
	return nil
}

// nodeLoad samples the alive nodes for nodes -u/-q and returns the extra
// columns and, per address, their cells and JSON values. Nodes that were
// not sampled get "-".
func nodeLoad(c *Call, addrs []string) (header []string, cells map[string][]string, js map[string]map[string]float64, err error) {
	usage, qps := c.Switch("resource_usage"), c.Switch("qps")
	interval, err := c.sampleInterval()
	if err != nil {
		return nil, nil, nil, err
	}
	var w admin.Window
	if qps {
		if w, err = admin.SampleWindow(c.ctx, addrs, interval); err != nil {
			return nil, nil, nil, failf(err, "ERROR: sample node metrics failed: %s", describe(err))
		}
	} else { // gauges only: one scrape
		w.After, w.Errors = admin.ScrapeAll(c.ctx, addrs)
	}
	c.warnUnsampled(w)
	type col struct {
		name  string
		value func(addr string) (float64, bool)
		text  func(float64) string
	}
	var cols []col
	if usage {
		cols = append(cols, col{"memused_res_mb", func(a string) (float64, bool) {
			v, ok := w.After[a].Sum(admin.MetricResidentMemory, nil)
			return v / (1 << 20), ok
		}, func(v float64) string { return strconv.Itoa(int(v)) }})
		// Of the storage gauges only the memtable is a per-node column upstream.
		u := memTableMB
		cols = append(cols, col{u.column, func(a string) (float64, bool) {
			v, ok := w.After[a].Sum(u.metric, nil)
			return v / u.scale, ok
		}, func(v float64) string { return strconv.Itoa(int(v)) }})
	}
	if qps {
		rates := w.Rate(admin.MetricRequests, func(addr string, s admin.Sample) (string, bool) {
			return addr + "|" + s.Labels["op"], true
		})
		for _, l := range latencyOps {
			cols = append(cols, col{l.column + "_qps", func(a string) (float64, bool) { return rates[a+"|"+l.op], true }, fmt2})
		}
		p99 := map[string]float64{}
		for _, l := range latencyOps {
			for g, v := range w.Quantile(0.99, admin.MetricLatency, func(addr string, s admin.Sample) (string, bool) {
				return addr + "|" + l.op, s.Labels["op"] == l.op
			}) {
				p99[g] = v * 1000
			}
		}
		for _, l := range latencyOps {
			cols = append(cols, col{l.column + "_p99(ms)", func(a string) (float64, bool) {
				v, ok := p99[a+"|"+l.op]
				return v, ok || w.After[a] != nil
			}, fmt2})
		}
	}
	cells, js = map[string][]string{}, map[string]map[string]float64{}
	for _, cl := range cols {
		header = append(header, cl.name)
	}
	for _, a := range addrs {
		js[a] = map[string]float64{}
		for _, cl := range cols {
			if w.After[a] == nil {
				cells[a] = append(cells[a], "-")
				continue
			}
			v, ok := cl.value(a)
			if !ok {
				cells[a] = append(cells[a], "-")
				continue
			}
			cells[a] = append(cells[a], cl.text(v))
			js[a][jsonColumn(cl.name)] = v
		}
	}
	return header, cells, js, nil
}
