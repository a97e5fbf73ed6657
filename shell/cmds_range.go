package shell

import (
	"fmt"
	"strconv"

	"github.com/pegasus-go/pegasus/client"
)

func init() {
	register(
		data(&Command{Name: "multi_get_range", Summary: "read a sort key range of a hash key",
			Help: "Reads (start_sort_key, stop_sort_key) of hash_key; \"\" is unbounded. Echoes the\n" +
				"effective options on standard error first. JSON: as multi_get.",
			Args: []Arg{{Name: "hash_key"}, {Name: "start_sort_key"}, {Name: "stop_sort_key"}},
			Flags: append(append([]Flag{startInclusiveFlag, stopInclusiveFlag}, sortFilterFlags...),
				Flag{Short: "n", Long: "max_count", Value: "num", Help: "return at most num records (default: the server's limit)"},
				Flag{Short: "i", Long: "no_value", Help: "sort keys only"},
				Flag{Short: "r", Long: "reverse", Help: "read from the stop end, so that limits keep the last records"},
			),
			Run: runMultiGetRange}),
		data(&Command{Name: "multi_del_range", Summary: "delete a sort key range of a hash key",
			Help: "Scans the range and deletes what it finds in batches of 100 sort keys, printing\n" +
				"Deleted: \"<sort_key>\" per key (to -o's file if given; -i for none).",
			Args: []Arg{{Name: "hash_key"}, {Name: "start_sort_key"}, {Name: "stop_sort_key"}},
			Flags: append(append([]Flag{startInclusiveFlag, stopInclusiveFlag}, sortFilterFlags...),
				Flag{Short: "i", Long: "silent", Help: "do not list the deleted sort keys"},
			),
			Output: true,
			Run:    runMultiDelRange}),
	)
}

// rangeOptions reads the options shared by the range commands and echoes
// them.
func (c *Call) rangeOptions(extra ...[2]string) (start, stop bool, filter client.Filter, err error) {
	if start, err = c.BoolValue("start_inclusive", true); err != nil {
		return
	}
	if stop, err = c.BoolValue("stop_inclusive", false); err != nil {
		return
	}
	filter = c.keyFilter("sort_key_filter_type", "sort_key_filter_pattern")
	echo := []([2]string){
		pair("hash_key", "\""+escape([]byte(c.args[0]))+"\""),
		pair("start_sort_key", "\""+escape([]byte(c.args[1]))+"\""),
		pair("start_inclusive", strconv.FormatBool(start)),
		pair("stop_sort_key", "\""+escape([]byte(c.args[2]))+"\""),
		pair("stop_inclusive", strconv.FormatBool(stop)),
		pair("sort_key_filter_type", filterName(c.Str("sort_key_filter_type", ""))),
	}
	if filter.Type != client.FilterTypeNoFilter {
		echo = append(echo, pair("sort_key_filter_pattern", "\""+escape(filter.Pattern)+"\""))
	}
	c.echo(append(echo, extra...)...)
	return
}

func filterName(t string) string {
	if t == "" {
		return "no_filter"
	}
	return "match_" + t
}

func runMultiGetRange(c *Call) error {
	maxCount, err := c.Int("max_count", -1)
	if err != nil {
		return err
	}
	start, stop, filter, err := c.rangeOptions(
		pair("max_count", strconv.FormatInt(maxCount, 10)),
		pair("no_value", strconv.FormatBool(c.Switch("no_value"))),
		pair("reverse", strconv.FormatBool(c.Switch("reverse"))))
	if err != nil {
		return err
	}
	hk := []byte(c.args[0])
	t, err := c.opened()
	if err != nil {
		return err
	}
	ctx, cancel := c.dataCtx()
	defer cancel()
	kvs, complete, err := t.MultiGetRangeOpt(ctx, hk, []byte(c.args[1]), []byte(c.args[2]), &client.MultiGetOptions{
		StartInclusive: start, StopInclusive: stop, SortKeyFilter: filter, MaxFetchCount: int(maxCount),
		MaxFetchSize: -1, Reverse: c.Switch("reverse"), NoValue: c.Switch("no_value"),
	})
	if err != nil {
		return err
	}
	if err := c.printKVs(hk, kvs, complete, c.Switch("no_value")); err != nil {
		return err
	}
	c.footer(c.locationOf(hk))
	return nil
}

func runMultiDelRange(c *Call) error {
	start, stop, filter, err := c.rangeOptions(pair("silent", strconv.FormatBool(c.Switch("silent"))))
	if err != nil {
		return err
	}
	hk := []byte(c.args[0])
	t, err := c.opened()
	if err != nil {
		return err
	}
	opts := client.DefaultScanOptions()
	opts.StartInclusive, opts.StopInclusive, opts.SortKeyFilter, opts.NoValue = start, stop, filter, true
	sc, err := t.GetScanner(c.ctx, hk, []byte(c.args[1]), []byte(c.args[2]), &opts)
	if err != nil {
		return failf(err, "ERROR: get scanner failed: %s", describe(err))
	}
	defer sc.Close()
	deleted := 0
	var batch [][]byte
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		ctx, cancel := c.dataCtx()
		defer cancel()
		if err := t.MultiDel(ctx, hk, batch); err != nil {
			return failf(err, "ERROR: delete data failed: %s\nTerminated for error, %d sort keys deleted.", describe(err), deleted)
		}
		if !c.Switch("silent") {
			for _, sk := range batch {
				fmt.Fprintf(c.out, "Deleted: \"%s\"\n", c.esc(sk))
			}
		}
		deleted += len(batch)
		batch = nil
		return nil
	}
	for {
		ctx, cancel := c.dataCtx()
		done, _, sk, _, err := sc.Next(ctx)
		cancel()
		if err != nil {
			return failf(err, "ERROR: scan data failed: %s\nTerminated for error, %d sort keys deleted.", describe(err), deleted)
		}
		if done {
			break
		}
		batch = append(batch, sk)
		if len(batch) >= 100 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if c.JSON() {
		return writeJSON(c.s.stdout, map[string]any{"deleted": deleted})
	}
	fmt.Fprintf(c.s.stdout, "OK, %d sort keys deleted.\n", deleted)
	return nil
}
