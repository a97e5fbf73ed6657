package main

import (
	"slices"
	"testing"
)

func TestSysmonAwakeEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     []string
		want    []string
		changed bool
	}{
		{"no GODEBUG", []string{"A=1"}, []string{"A=1", "GODEBUG=schedtrace=2147483647"}, true},
		{"other settings kept", []string{"GODEBUG=gctrace=1", "A=1"}, []string{"A=1", "GODEBUG=gctrace=1,schedtrace=2147483647"}, true},
		{"operator's period wins", []string{"GODEBUG=schedtrace=1000,scheddetail=1"}, []string{"GODEBUG=schedtrace=1000,scheddetail=1"}, false},
		{"operator turned it off", []string{"A=1", "GODEBUG=gctrace=1, schedtrace=0"}, []string{"A=1", "GODEBUG=gctrace=1, schedtrace=0"}, false},
		{"a similar name is not it", []string{"GODEBUG=schedtracex=1"}, []string{"GODEBUG=schedtracex=1,schedtrace=2147483647"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := sysmonAwakeEnv(slices.Clone(tc.env))
			if changed != tc.changed || !slices.Equal(got, tc.want) {
				t.Errorf("sysmonAwakeEnv(%q) = %q, %v; want %q, %v", tc.env, got, changed, tc.want, tc.changed)
			}
		})
	}
}
