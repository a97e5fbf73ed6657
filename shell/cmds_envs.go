package shell

import (
	"io"
	"sort"
)

// knownEnvKeys are the table envs DBAs set most; the REPL completes them
// (the meta server validates every key and value).
var knownEnvKeys = []string{
	"default_ttl", "rocksdb.usage_scenario", "replica.deny_client_request", "replica.write_throttling",
	"replica.write_throttling_by_size", "replica.read_throttling", "replica.read_throttling_by_size",
	"replica.backup_request_throttling", "replica.slow_query_threshold",
	"replica.rocksdb_iteration_threshold_time_ms", "replica.rocksdb_block_cache_enabled",
	"replica.split.validate_partition_hash", "rocksdb.checkpoint.reserve_min_count",
	"rocksdb.checkpoint.reserve_time_seconds", "rocksdb.write_buffer_size", "rocksdb.num_levels",
	"rocksdb.allow_ingest_behind", "business.info", "user_specified_compaction", "manual_compact.disabled",
	"manual_compact.max_concurrent_running_count", "manual_compact.once.trigger_time",
	"manual_compact.once.target_level", "manual_compact.once.bottommost_level_compaction",
	"manual_compact.periodic.trigger_time", "manual_compact.periodic.target_level",
	"manual_compact.periodic.bottommost_level_compaction", "replica_access_controller.allowed_users",
	"replica_access_controller.ranger_policies",
}

func init() {
	register(
		&Command{Name: "get_app_envs", Group: "envs", Summary: "show the current table's envs", JSON: true, NeedsTable: true,
			Help: "JSON: an object of env key to value.",
			Run:  runGetAppEnvs},
		&Command{Name: "set_app_envs", Group: "envs", Summary: "set envs of the current table", NeedsTable: true, JSON: true,
			Help: "Sets one or more key/value pairs; the meta server checks keys and values.",
			Args: []Arg{{Name: "key", Kind: KindEnvKey}, {Name: "value"}, {Name: "key value", Optional: true, Repeated: true}},
			Run:  runSetAppEnvs},
		&Command{Name: "del_app_envs", Group: "envs", Summary: "delete envs of the current table", NeedsTable: true, JSON: true,
			Args: []Arg{{Name: "key", Repeated: true, Kind: KindEnvKey}},
			Run:  runDelAppEnvs},
		&Command{Name: "clear_app_envs", Group: "envs", Summary: "delete all envs, or those with a prefix, of the current table", NeedsTable: true, JSON: true,
			Flags: []Flag{
				{Short: "a", Long: "all", Help: "delete every env"},
				{Short: "p", Long: "prefix", Value: "str", Help: "delete the envs whose key starts with str"},
			},
			Run: runClearAppEnvs},
	)
}

func runGetAppEnvs(c *Call) error {
	ctx, cancel := c.adminCtx()
	defer cancel()
	envs, err := c.s.admin.TableEnvs(ctx, c.s.table)
	if err != nil {
		return failf(err, "get app env failed with err = %s", describe(err))
	}
	keys := make([]string, 0, len(envs))
	for k := range envs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	kv := &kvTable{name: "app_envs"}
	for _, k := range keys {
		kv.add(k, envs[k])
	}
	return c.Emit(envs, func(w io.Writer) { printSections(w, kv) })
}

func hintBlock(c *Call, hint string) {
	if hint != "" && !c.JSON() {
		c.Printf("=============================")
		c.Printf("%s", hint)
		c.Printf("=============================")
	}
}

func runSetAppEnvs(c *Call) error {
	if len(c.args)%2 != 0 {
		return usagef("need speficy the value for key = %s", c.args[len(c.args)-1])
	}
	var keys, values []string
	for i := 0; i < len(c.args); i += 2 {
		keys, values = append(keys, c.args[i]), append(values, c.args[i+1])
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	hint, err := c.s.admin.SetEnvs(ctx, c.s.table, keys, values)
	if err != nil {
		return failf(err, "set app envs failed with error %s!", describe(err))
	}
	c.s.live.invalidate(KindEnvKey)
	if err := c.Done(map[string]any{"app_name": c.s.table, "set": keys, "hint": hint}, "set app envs succeed"); err != nil {
		return err
	}
	hintBlock(c, hint)
	return nil
}

func runDelAppEnvs(c *Call) error {
	ctx, cancel := c.adminCtx()
	defer cancel()
	hint, err := c.s.admin.DelEnvs(ctx, c.s.table, c.args)
	if err != nil {
		return failf(err, "del app env failed with err = %s", describe(err))
	}
	c.s.live.invalidate(KindEnvKey)
	if err := c.Done(map[string]any{"app_name": c.s.table, "deleted": c.args, "hint": hint}, "del app envs succeed"); err != nil {
		return err
	}
	hintBlock(c, hint)
	return nil
}

func runClearAppEnvs(c *Call) error {
	all, prefix := c.Switch("all"), c.Str("prefix", "")
	if all == c.Has("prefix") {
		return usagef("must specify one of --all and --prefix options")
	}
	if all {
		prefix = ""
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	hint, err := c.s.admin.ClearEnvs(ctx, c.s.table, prefix)
	if err != nil {
		return failf(err, "clear app envs failed with err = %s", describe(err))
	}
	c.s.live.invalidate(KindEnvKey)
	if err := c.Done(map[string]any{"app_name": c.s.table, "prefix": prefix, "hint": hint}, "clear app envs succeed"); err != nil {
		return err
	}
	hintBlock(c, hint)
	return nil
}
