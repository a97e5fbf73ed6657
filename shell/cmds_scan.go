package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/client"
)

var scanOutputFlags = []Flag{
	{Short: "n", Long: "max_count", Value: "num", Help: "stop after num rows (default: all)"},
	{Short: "t", Long: "timeout_ms", Value: "ms", Help: "timeout of each round trip (default: the session timeout)"},
	{Short: "d", Long: "detailed", Help: "add each row's app_id, partition_index and server"},
	{Short: "i", Long: "no_value", Help: "keys only"},
}

func init() {
	register(
		data(&Command{Name: "hash_scan", Summary: "scan a sort key range of a hash key",
			Help: "Prints the rows of hash_key between start_sort_key and stop_sort_key (\"\" is unbounded),\n" +
				"as \"hash_key\" : \"sort_key\" => \"value\", then the count. JSON: an array of objects\n" +
				"with hash_key, sort_key, value (and app_id, partition_index, server with -d).",
			Args: []Arg{{Name: "hash_key"}, {Name: "start_sort_key"}, {Name: "stop_sort_key"}},
			Flags: append(append(append([]Flag{startInclusiveFlag, stopInclusiveFlag}, sortFilterFlags...), valueFilterFlags...),
				scanOutputFlags...),
			Output: true,
			Run:    runHashScan}),
		data(&Command{Name: "full_scan", Summary: "scan the whole table, partition by partition",
			Help: "Prints every row (matching the filters) of the current table, partition after partition;\n" +
				"-p scans one partition. With -o, rows go to the file and a progress bar (or, without a\n" +
				"terminal, a line a second) reports on standard error. JSON: as hash_scan.",
			Flags: append(append(append([]Flag{}, tableFilterFlags...), scanOutputFlags...),
				Flag{Short: "p", Long: "partition", Value: "num", Help: "scan only this partition"},
				Flag{Long: "batch_size", Value: "num", Help: "rows per scan round trip (default 1000; smaller loads the servers less)"}),
			Output: true,
			Run:    runFullScan}),
	)
}

// rowPrinter prints scan rows as text or as a streamed JSON array.
type rowPrinter struct {
	c        *Call
	w        io.Writer
	json     bool
	noValue  bool
	detailed bool
	route    *routeInfo
	n        int64
	mu       sync.Mutex // guards n and w
}

type rowJSON struct {
	HashKey        string  `json:"hash_key"`
	SortKey        string  `json:"sort_key"`
	Value          *string `json:"value,omitempty"`
	AppID          *int32  `json:"app_id,omitempty"`
	PartitionIndex *int    `json:"partition_index,omitempty"`
	Server         *string `json:"server,omitempty"`
}

func (c *Call) newRowPrinter() *rowPrinter {
	p := &rowPrinter{c: c, w: c.out, json: c.JSON(), noValue: c.Switch("no_value"), detailed: c.Switch("detailed")}
	if p.detailed {
		ctx, cancel := c.adminCtx()
		p.route, _ = c.s.route(ctx, c.s.table, true)
		cancel()
	}
	if p.json {
		fmt.Fprint(p.w, "[")
	}
	return p
}

func (p *rowPrinter) row(partition int, hk, sk, v []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.c
	if p.json {
		r := rowJSON{HashKey: c.esc(hk), SortKey: c.esc(sk)}
		if !p.noValue {
			s := c.esc(v)
			r.Value = &s
		}
		if p.detailed && p.route != nil {
			server := p.route.server(partition)
			r.AppID, r.PartitionIndex, r.Server = &p.route.appID, &partition, &server
		}
		sep := ",\n  "
		if p.n == 0 {
			sep = "\n  "
		}
		b, _ := jsonMarshal(r)
		fmt.Fprintf(p.w, "%s%s", sep, b)
		p.n++
		return
	}
	line := fmt.Sprintf("\"%s\" : \"%s\"", c.esc(hk), c.esc(sk))
	if !p.noValue {
		line += fmt.Sprintf(" => \"%s\"", c.esc(v))
	}
	if p.detailed && p.route != nil {
		line += fmt.Sprintf(" {app_id=%d, partition_index=%d, server=%s}", p.route.appID, partition, p.route.server(partition))
	}
	fmt.Fprintln(p.w, line)
	p.n++
}

// end closes the JSON array and prints the count line.
func (p *rowPrinter) end() {
	if p.json {
		if p.n > 0 {
			fmt.Fprint(p.w, "\n")
		}
		fmt.Fprintln(p.w, "]")
		p.c.Errf("%d key-value pairs got.", p.n)
		return
	}
	out := p.c.s.stdout
	if p.w == out && p.n > 0 {
		fmt.Fprintln(out)
	}
	fmt.Fprintf(out, "%d key-value pairs got.\n", p.n)
}

func (c *Call) scanEcho(extra ...[2]string) ([][2]string, error) {
	if c.Switch("no_value") && c.Has("value_filter_type") {
		return nil, usagef("no_value should not be set when value_filter_type is set")
	}
	var echo [][2]string
	echo = append(echo, extra...)
	for _, f := range []string{"sort_key_filter_type", "value_filter_type"} {
		echo = append(echo, pair(f, filterName(c.Str(f, ""))))
		if c.Has(f) {
			pf := f[:len(f)-len("type")] + "pattern"
			echo = append(echo, pair(pf, "\""+escape([]byte(c.Str(pf, "")))+"\""))
		}
	}
	return echo, nil
}

func runHashScan(c *Call) error {
	start, err := c.BoolValue("start_inclusive", true)
	if err != nil {
		return err
	}
	stop, err := c.BoolValue("stop_inclusive", false)
	if err != nil {
		return err
	}
	maxCount, err := c.Int("max_count", -1)
	if err != nil {
		return err
	}
	timeout, err := c.timeoutFlag()
	if err != nil {
		return err
	}
	hk := []byte(c.args[0])
	echo, err := c.scanEcho(
		pair("hash_key", "\""+escape(hk)+"\""),
		pair("start_sort_key", "\""+escape([]byte(c.args[1]))+"\""),
		pair("start_inclusive", strconv.FormatBool(start)),
		pair("stop_sort_key", "\""+escape([]byte(c.args[2]))+"\""),
		pair("stop_inclusive", strconv.FormatBool(stop)))
	if err != nil {
		return err
	}
	c.echo(append(echo, pair("max_count", strconv.FormatInt(maxCount, 10)), pair("timout_ms", strconv.FormatInt(timeout.Milliseconds(), 10)),
		pair("detailed", strconv.FormatBool(c.Switch("detailed"))), pair("no_value", strconv.FormatBool(c.Switch("no_value"))))...)
	t, err := c.opened()
	if err != nil {
		return err
	}
	vm, vp := c.valueFilter()
	opts := client.DefaultScanOptions()
	opts.StartInclusive, opts.StopInclusive = start, stop
	opts.SortKeyFilter = c.keyFilter("sort_key_filter_type", "sort_key_filter_pattern")
	opts.NoValue = c.Switch("no_value")
	sc, err := t.GetScanner(c.ctx, hk, []byte(c.args[1]), []byte(c.args[2]), &opts)
	if err != nil {
		return failf(err, "ERROR: get scanner failed: %s", describe(err))
	}
	defer sc.Close()
	pidx := -1
	if loc := c.locationOf(hk); loc != nil {
		pidx = int(loc.PartitionIndex)
	}
	p := c.newRowPrinter()
	for maxCount <= 0 || p.n < maxCount {
		ctx, cancel := context.WithTimeout(c.ctx, timeout)
		done, rhk, sk, v, err := sc.Next(ctx)
		cancel()
		if err != nil {
			p.end()
			return failf(err, "ERROR: scan data failed: %s", describe(err))
		}
		if done {
			break
		}
		if admin.MatchValue(vm, vp, v) {
			p.row(pidx, rhk, sk, v)
		}
	}
	p.end()
	return nil
}

// errEnough stops a scan that has printed -n rows.
var errEnough = errors.New("enough rows")

func runFullScan(c *Call) error {
	maxCount, err := c.Int("max_count", -1)
	if err != nil {
		return err
	}
	timeout, err := c.timeoutFlag()
	if err != nil {
		return err
	}
	part, err := c.Int("partition", -1)
	if err != nil {
		return err
	}
	partName := "all"
	if c.Has("partition") {
		partName = strconv.FormatInt(part, 10)
	}
	echo, err := c.scanEcho(pair("partition", partName),
		pair("hash_key_filter_type", filterName(c.Str("hash_key_filter_type", ""))))
	if err != nil {
		return err
	}
	if c.Has("hash_key_filter_type") {
		echo = append(echo[:2], append([][2]string{pair("hash_key_filter_pattern", "\""+escape([]byte(c.Str("hash_key_filter_pattern", "")))+"\"")}, echo[2:]...)...)
	}
	c.echo(append(echo, pair("max_count", strconv.FormatInt(maxCount, 10)), pair("timout_ms", strconv.FormatInt(timeout.Milliseconds(), 10)),
		pair("detailed", strconv.FormatBool(c.Switch("detailed"))), pair("no_value", strconv.FormatBool(c.Switch("no_value"))))...)
	t, err := c.opened()
	if err != nil {
		return err
	}
	if c.Has("partition") && (part < 0 || int(part) >= t.PartitionCount()) {
		return failf(nil, "ERROR: partition %d out of range, should be in range of [0,%d]", part, t.PartitionCount()-1)
	}
	batch, err := c.Int("batch_size", 0)
	if err != nil {
		return err
	}
	p := c.newRowPrinter()
	job := admin.ScanJob{Table: t, Partition: int(part), Filter: c.rowFilter(), Timeout: timeout, NoValue: c.Switch("no_value"),
		Parallel: 1, Batch: int(batch)}
	var prog *progress
	if c.out != c.s.stdout {
		n := t.PartitionCount()
		if part >= 0 {
			n = 1
		}
		prog = c.s.startProgress("full_scan", n, "rows", scanLine("processed"))
		job.Progress = func(sp admin.ScanProgress) { prog.update(sp.SplitsDone, sp.Rows) }
	}
	_, err = job.Run(c.ctx, func(_ context.Context, r admin.Row) error {
		if maxCount > 0 && p.n >= maxCount {
			return errEnough
		}
		p.row(r.Partition, r.HashKey, r.SortKey, r.Value)
		return nil
	})
	if prog != nil {
		prog.finish()
	}
	p.end()
	if err != nil && !errors.Is(err, errEnough) {
		return failf(err, "ERROR: scan data failed: %s", describe(err))
	}
	return nil
}

// scanLine formats upstream's once-a-second progress line of scans.
func scanLine(verb string) func(progressState) string {
	return func(st progressState) string {
		return fmt.Sprintf("INFO: %s for %d seconds, (%d/%d) splits, total %d rows, last second %d rows",
			verb, int(st.Elapsed.Seconds()), st.Done, st.Total, st.Rows, st.LastSecond)
	}
}
