package storage

import (
	"log/slog"
	"math"
	"strings"
)

// Table environment variables the storage layer reacts to (§5.11).
const (
	EnvDefaultTTL            = "default_ttl"
	EnvValidatePartitionHash = "replica.split.validate_partition_hash"
)

// envState is an immutable snapshot of the env-driven settings; the
// partition swaps whole snapshots atomically.
type envState struct {
	defaultTTL   uint32 // seconds; 0 = none
	validateHash bool
}

// parseEnvs derives the settings from a full env map. A malformed value
// keeps the previous setting, as upstream does; an absent key resets it.
func parseEnvs(envs map[string]string, prev envState, log *slog.Logger) envState {
	next := envState{}
	if v, ok := envs[EnvDefaultTTL]; ok {
		// Upstream parses env integers with strtoll base 0.
		ttl, ok := parseInt64([]byte(v))
		if !ok || ttl < 0 || ttl > math.MaxInt32 {
			log.Warn("ignoring invalid table env", "key", EnvDefaultTTL, "value", v)
			next.defaultTTL = prev.defaultTTL
		} else {
			next.defaultTTL = uint32(ttl)
		}
	}
	if v, ok := envs[EnvValidatePartitionHash]; ok {
		switch strings.ToLower(v) {
		case "true":
			next.validateHash = true
		case "false":
		default:
			log.Warn("ignoring invalid table env", "key", EnvValidatePartitionHash, "value", v)
			next.validateHash = prev.validateHash
		}
	}
	return next
}
