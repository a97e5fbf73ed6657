package storage

import (
	"log/slog"
	"testing"
)

func TestParseEnvs(t *testing.T) {
	prev := envState{defaultTTL: 7, validateHash: true}
	tests := []struct {
		envs map[string]string
		want envState
	}{
		{map[string]string{}, envState{}},
		{map[string]string{EnvDefaultTTL: "100"}, envState{defaultTTL: 100}},
		{map[string]string{EnvDefaultTTL: "0x10"}, envState{defaultTTL: 16}},
		{map[string]string{EnvDefaultTTL: "-1"}, envState{defaultTTL: 7}},
		{map[string]string{EnvDefaultTTL: "2147483648"}, envState{defaultTTL: 7}},
		{map[string]string{EnvDefaultTTL: "x"}, envState{defaultTTL: 7}},
		{map[string]string{EnvValidatePartitionHash: "TRUE"}, envState{validateHash: true}},
		{map[string]string{EnvValidatePartitionHash: "false"}, envState{}},
		{map[string]string{EnvValidatePartitionHash: "yes"}, envState{validateHash: true}},
	}
	for _, tt := range tests {
		if got := parseEnvs(tt.envs, prev, slog.Default()); got != tt.want {
			t.Errorf("parseEnvs(%v) = %+v, want %+v", tt.envs, got, tt.want)
		}
	}
}
