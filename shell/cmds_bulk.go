package shell

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/client"
)

var bulkFlags = []Flag{
	{Short: "p", Long: "partition", Value: "num", Help: "only this partition"},
	{Short: "b", Long: "max_batch_count", Value: "num", Help: "rows per batch (default 500)"},
	{Short: "t", Long: "timeout_ms", Value: "ms", Help: "timeout of each round trip (default: the session timeout)"},
}

func bulk(c *Command) *Command {
	c.Group = "bulk"
	return data(c)
}

func init() {
	register(
		bulk(&Command{Name: "count_data", Summary: "count the rows of the current table",
			Help: "Scans every partition and counts the rows matching the filters; -d also counts distinct\n" +
				"hash keys, -r stops after that many seconds. Upstream's estimate (no -c) needs replica\n" +
				"metrics, which are not served yet, so the count is always precise. Progress: a bar on a\n" +
				"terminal, a line a second otherwise. JSON: rows, hash_keys (with -d), partitions\n" +
				"(pidx, rows), timed_out.",
			Flags: append(append([]Flag{{Short: "c", Long: "precise", Help: "count precisely (always, see above)"}}, bulkFlags...),
				append(append([]Flag{}, tableFilterFlags...),
					Flag{Short: "d", Long: "diff_hash_key", Help: "also count distinct hash keys"},
					Flag{Short: "r", Long: "run_seconds", Value: "num", Help: "stop after this many seconds"},
					Flag{Short: "a", Long: "stat_size", Help: "size statistics (not supported yet)"},
					Flag{Short: "n", Long: "top_count", Value: "num", Help: "largest rows with -a (not supported yet)"},
				)...),
			Run: runCountData}),
		bulk(&Command{Name: "clear_data", Summary: "delete every row (or those matching filters) of the current table",
			Help: "Scans and deletes in batches. Needs -f|--force (a terminal is asked to confirm instead).",
			Flags: append(append(append([]Flag{}, bulkFlags...), tableFilterFlags...),
				Flag{Short: "f", Long: "force", Alias: "yes", Help: "really delete"}),
			Run: runClearData}),
		bulk(&Command{Name: "copy_data", Summary: "copy the current table's rows into another table",
			Help: "Copies every row (matching the filters) into target_app_name of cluster\n" +
				"target_cluster_name (a name from the config, or a meta list). TTLs are not copied yet\n" +
				"(the scanner does not return them): copied rows never expire.",
			Flags: append(append([]Flag{
				{Short: "c", Long: "target_cluster_name", Value: "cluster", Kind: KindCluster, Required: true, Help: "target cluster"},
				{Short: "a", Long: "target_app_name", Value: "table", Kind: KindTable, Required: true, Help: "target table"},
			}, bulkFlags...), append(append([]Flag{}, tableFilterFlags...),
				Flag{Short: "m", Long: "max_multi_set_concurrency", Value: "num", Help: "writes in flight per partition (default 20)"},
				Flag{Short: "o", Long: "scan_option_batch_size", Value: "num", Help: "rows per scan round trip"},
				Flag{Short: "e", Long: "no_ttl", Help: "do not copy TTLs (always, see above)"},
				Flag{Short: "n", Long: "no_overwrite", Help: "keep rows that exist in the target"},
				Flag{Short: "i", Long: "no_value", Help: "copy keys with empty values"},
				Flag{Short: "g", Long: "geo_data", Help: "geo index (not supported)"},
				Flag{Short: "u", Long: "use_multi_set", Help: "accepted; rows are written one by one"},
			)...),
			Run: runCopyData}),
	)
}

// scanJob reads the flags shared by the bulk commands.
func (c *Call) scanJob(t *client.Table) (admin.ScanJob, error) {
	part, err := c.Int("partition", -1)
	if err != nil {
		return admin.ScanJob{}, err
	}
	if c.Has("partition") && (part < 0 || int(part) >= t.PartitionCount()) {
		return admin.ScanJob{}, failf(nil, "ERROR: partition %d out of range, should be in range of [0,%d]", part, t.PartitionCount()-1)
	}
	timeout, err := c.timeoutFlag()
	if err != nil {
		return admin.ScanJob{}, err
	}
	return admin.ScanJob{Table: t, Partition: int(part), Filter: c.rowFilter(), Timeout: timeout, Parallel: 4}, nil
}

func (c *Call) bulkProgress(job *admin.ScanJob, title string) *progress {
	n := job.Table.PartitionCount()
	if job.Partition >= 0 {
		n = 1
	}
	p := c.s.startProgress(title, n, "rows", scanLine("processed"))
	job.Progress = func(sp admin.ScanProgress) { p.update(sp.SplitsDone, sp.Rows) }
	return p
}

type splitJSON struct {
	Pidx int   `json:"pidx"`
	Rows int64 `json:"rows"`
}

func splits(per map[int]int64) []splitJSON {
	out := make([]splitJSON, 0, len(per))
	for p, n := range per {
		out = append(out, splitJSON{p, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pidx < out[j].Pidx })
	return out
}

func total(per map[int]int64) int64 {
	var n int64
	for _, v := range per {
		n += v
	}
	return n
}

func runCountData(c *Call) error {
	if c.Switch("stat_size") || c.Has("top_count") {
		return failf(nil, "ERROR: -a|--stat_size and -n|--top_count are not supported yet")
	}
	if !c.Switch("precise") {
		c.Errf("INFO: estimates need replica metrics, which are not served yet; counting precisely")
	}
	t, err := c.opened()
	if err != nil {
		return err
	}
	job, err := c.scanJob(t)
	if err != nil {
		return err
	}
	runFor, err := c.Int("run_seconds", 0)
	if err != nil {
		return err
	}
	distinct := c.Switch("diff_hash_key")
	if distinct {
		job.Parallel = 1 // a hash key's rows then arrive together
	}
	prog := c.bulkProgress(&job, "count_data")
	res, err := admin.CountData(c.ctx, job, distinct, time.Duration(runFor)*time.Second)
	prog.finish()
	if err != nil {
		return failf(err, "ERROR: %s\nCount terminated as error occurred.", describe(err))
	}
	j := map[string]any{"rows": res.Rows, "partitions": splits(res.PerSplit), "timed_out": res.TimedOut}
	if distinct {
		j["hash_keys"] = res.HashKeys
	}
	return c.Emit(j, func(w io.Writer) {
		for _, s := range splits(res.PerSplit) {
			fmt.Fprintf(c.s.stderr, "INFO: split[%d]: %d rows\n", s.Pidx, s.Rows)
		}
		if res.TimedOut {
			fmt.Fprintln(w, "Count terminated as run time used out.")
		}
		if distinct {
			fmt.Fprintf(w, "Count done, total %d rows (%d hash keys).\n", res.Rows, res.HashKeys)
		} else {
			fmt.Fprintf(w, "Count done, total %d rows.\n", res.Rows)
		}
	})
}

func runClearData(c *Call) error {
	batch, err := c.Int("max_batch_count", 500)
	if err != nil {
		return err
	}
	if batch <= 1 {
		return usagef("max_batch_count should be greater than 1")
	}
	t, err := c.opened()
	if err != nil {
		return err
	}
	job, err := c.scanJob(t)
	if err != nil {
		return err
	}
	c.Errf("INFO: app_name = %s", c.s.table)
	c.Errf("INFO: partition = %s", c.Str("partition", "all"))
	c.Errf("INFO: max_batch_count = %d", batch)
	if !c.Switch("force") {
		ok, err := c.s.confirm(fmt.Sprintf("Delete the rows of table %s?", c.s.table), "-f|--force", false)
		if err != nil {
			return err
		}
		if !ok {
			return failf(nil, "Clear cancelled.")
		}
	}
	prog := c.bulkProgress(&job, "clear_data")
	per, err := admin.ClearData(c.ctx, job, int(batch))
	prog.finish()
	if err != nil {
		return failf(err, "ERROR: %s\nClear terminated, %d rows deleted.", describe(err), total(per))
	}
	return c.Emit(map[string]any{"rows": total(per), "partitions": splits(per)}, func(w io.Writer) {
		for _, s := range splits(per) {
			fmt.Fprintf(c.s.stderr, "INFO: split[%d]: %d rows\n", s.Pidx, s.Rows)
		}
		fmt.Fprintf(w, "Clear done, total %d rows.\n", total(per))
	})
}

func runCopyData(c *Call) error {
	if c.Switch("geo_data") {
		return failf(nil, "ERROR: -g|--geo_data is not supported")
	}
	if c.Switch("no_overwrite") && c.Switch("use_multi_set") {
		return usagef("no_overwrite and use_multi_set should not be set at the same time")
	}
	conc, err := c.Int("max_multi_set_concurrency", 20)
	if err != nil {
		return err
	}
	batchSize, err := c.Int("scan_option_batch_size", 0)
	if err != nil {
		return err
	}
	targetCluster, targetTable := c.Str("target_cluster_name", ""), c.Str("target_app_name", "")
	tname, tmetas, err := c.s.cfg.Resolve(targetCluster)
	if err != nil {
		return failf(err, "ERROR: %v", err)
	}
	if tname == c.s.cluster && targetTable == c.s.table && fmt.Sprint(tmetas) == fmt.Sprint(c.s.metas) {
		return failf(nil, "ERROR: source app and target app is the same")
	}
	src, err := c.opened()
	if err != nil {
		return err
	}
	job, err := c.scanJob(src)
	if err != nil {
		return err
	}
	job.Batch = int(batchSize)
	job.NoValue = c.Switch("no_value")
	tc := client.New(client.Config{MetaServers: tmetas})
	defer tc.Close()
	ctx, cancel := c.adminCtx()
	dst, err := tc.OpenTable(ctx, targetTable)
	cancel()
	if err != nil {
		return failf(err, "ERROR: open target app %s of cluster %s failed: %s", targetTable, tname, describe(err))
	}
	for _, kv := range [][2]string{
		{"source_cluster_name", c.s.cluster}, {"source_app_name", c.s.table},
		{"target_cluster_name", tname}, {"target_app_name", targetTable},
		{"partition", c.Str("partition", "all")}, {"max_multi_set_concurrency", fmt.Sprint(conc)},
		{"no_overwrite", fmt.Sprint(c.Switch("no_overwrite"))}, {"no_value", fmt.Sprint(c.Switch("no_value"))},
	} {
		c.Errf("INFO: %s = %s", kv[0], kv[1])
	}
	c.Errf("INFO: open source app scanner succeed, partition_count = %d", src.PartitionCount())
	prog := c.bulkProgress(&job, "copy_data")
	per, err := admin.CopyData(c.ctx, job, admin.CopyOptions{Target: dst, NoOverwrite: c.Switch("no_overwrite"), Concurrency: int(conc)})
	prog.finish()
	if err != nil {
		return failf(err, "ERROR: error occurred, processing terminated: %s\nCopy terminated, %d rows copied.", describe(err), total(per))
	}
	return c.Emit(map[string]any{"rows": total(per), "partitions": splits(per)}, func(w io.Writer) {
		for _, s := range splits(per) {
			fmt.Fprintf(c.s.stderr, "INFO: split[%d]: %d rows\n", s.Pidx, s.Rows)
		}
		fmt.Fprintf(w, "Copy done, total %d rows.\n", total(per))
	})
}
