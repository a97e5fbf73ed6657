package meta

import (
	"encoding/json"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// envCheck validates one env value; nil accepts anything.
type envCheck func(v string) bool

func intIn(lo, hi int64) envCheck {
	return func(v string) bool {
		n, err := strconv.ParseInt(v, 10, 64)
		return err == nil && lo <= n && n <= hi
	}
}

func oneOf(vals ...string) envCheck {
	return func(v string) bool { return slices.Contains(vals, v) }
}

func matching(re string) envCheck { return regexp.MustCompile(`^(?:` + re + `)$`).MatchString }

var (
	isBool      = oneOf("true", "false")
	throttling  = matching(`\d+[KM]?\*(delay|reject)\*\d+(,\d+[KM]?\*(delay|reject)\*\d+)*`)
	denyRequest = matching(`(timeout|reconfig)\*(all|read|write)`)
	clockTimes  = matching(`\d{1,2}:\d{2}(,\d{1,2}:\d{2})*`)
	bottommost  = oneOf("skip", "force")
	validJSON   = func(v string) bool { return json.Valid([]byte(v)) }
)

// knownEnvs are the table env keys of design notes §10 with what a value
// must look like. Keys not listed here (outside envPrefixes) are refused.
var knownEnvs = map[string]envCheck{
	"default_ttl":                                         intIn(0, math.MaxInt32),
	"replica.deny_client_request":                         denyRequest,
	"replica.write_throttling":                            throttling,
	"replica.read_throttling":                             throttling,
	"replica.write_throttling_by_size":                    throttling,
	"replica.read_throttling_by_size":                     throttling,
	"replica.backup_request_throttling":                   throttling,
	"replica.slow_query_threshold":                        intIn(20, math.MaxInt64),
	"replica.rocksdb_iteration_threshold_time_ms":         intIn(0, math.MaxInt64),
	"replica.rocksdb_block_cache_enabled":                 isBool,
	"replica.split.validate_partition_hash":               isBool,
	"replica_access_controller.allowed_users":             nil,
	"replica_access_controller.ranger_policies":           nil,
	"rocksdb.usage_scenario":                              oneOf("normal", "prefer_write", "bulk_load"),
	"rocksdb.checkpoint.reserve_min_count":                intIn(1, math.MaxInt32),
	"rocksdb.checkpoint.reserve_time_seconds":             intIn(0, math.MaxInt64),
	"rocksdb.allow_ingest_behind":                         isBool,
	"rocksdb.write_buffer_size":                           intIn(16<<20, 512<<20),
	"rocksdb.num_levels":                                  intIn(1, 10),
	"manual_compact.disabled":                             isBool,
	"manual_compact.max_concurrent_running_count":         intIn(0, math.MaxInt32),
	"manual_compact.once.trigger_time":                    intIn(0, math.MaxInt64),
	"manual_compact.once.target_level":                    intIn(-1, 10),
	"manual_compact.once.bottommost_level_compaction":     bottommost,
	"manual_compact.periodic.trigger_time":                clockTimes,
	"manual_compact.periodic.target_level":                intIn(-1, 10),
	"manual_compact.periodic.bottommost_level_compaction": bottommost,
	"user_specified_compaction":                           validJSON,
	"business.info":                                       nil,
	"max_replica_count.update":                            nil,
	"duplication.master_cluster":                          nil,
	"duplication.master_metas":                            nil,
	"duplication.master_app_name":                         nil,
	"duplication.follower_app_status":                     nil,
}

// envPrefixes are key families whose members are free-form.
var envPrefixes = []string{"restore."}

// validateEnv checks one key and value.
func validateEnv(k, v string) error {
	check, ok := knownEnvs[k]
	if !ok {
		for _, p := range envPrefixes {
			if strings.HasPrefix(k, p) {
				return nil
			}
		}
		return refuse(base.ERR_INVALID_PARAMETERS, "unknown env key %q", k)
	}
	if check != nil && !check(v) {
		return refuse(base.ERR_INVALID_PARAMETERS, "invalid value %q for env %s", v, k)
	}
	return nil
}

func validateEnvs(envs map[string]string) error {
	keys := slices.Sorted(maps.Keys(envs))
	for _, k := range keys {
		if err := validateEnv(k, envs[k]); err != nil {
			return err
		}
	}
	return nil
}

// EnvUpdate is RPC_CM_UPDATE_APP_ENV's request.
type EnvUpdate struct {
	App         string
	Op          admin.AppEnvOperation
	Keys        []string
	Values      []string
	ClearPrefix string
}

// UpdateEnvs sets, deletes or clears envs of an available table and
// returns the change and a hint describing what was done.
func (s *State) UpdateEnvs(u EnvUpdate) (Change, string, error) {
	t, ok := s.availableTable(u.App)
	if !ok {
		return Change{}, "", refuse(base.ERR_APP_NOT_EXIST, "no table %q", u.App)
	}
	app := t.app.Clone()
	var hint string
	switch u.Op {
	case admin.AppEnvOperation_APP_ENV_OP_SET:
		if len(u.Keys) == 0 || len(u.Keys) != len(u.Values) {
			return Change{}, "", refuse(base.ERR_INVALID_PARAMETERS, "set needs as many values as keys (%d keys, %d values)",
				len(u.Keys), len(u.Values))
		}
		for i, k := range u.Keys {
			if err := validateEnv(k, u.Values[i]); err != nil {
				return Change{}, "", err
			}
		}
		for i, k := range u.Keys {
			app.Envs[k] = u.Values[i]
		}
	case admin.AppEnvOperation_APP_ENV_OP_DEL:
		if len(u.Keys) == 0 {
			return Change{}, "", refuse(base.ERR_INVALID_PARAMETERS, "del needs keys")
		}
		var gone []string
		for _, k := range u.Keys {
			if _, ok := app.Envs[k]; ok {
				delete(app.Envs, k)
				gone = append(gone, k)
			}
		}
		hint = "deleted: " + strings.Join(gone, ",")
	case admin.AppEnvOperation_APP_ENV_OP_CLEAR:
		var gone []string
		for _, k := range slices.Sorted(maps.Keys(app.Envs)) {
			if u.ClearPrefix == "" || strings.HasPrefix(k, u.ClearPrefix+".") {
				delete(app.Envs, k)
				gone = append(gone, k)
			}
		}
		hint = "cleared: " + strings.Join(gone, ",")
	default:
		return Change{}, "", refuse(base.ERR_INVALID_PARAMETERS, "unknown env operation %v", u.Op)
	}
	return Change{Apps: []App{app}}, hint, nil
}
