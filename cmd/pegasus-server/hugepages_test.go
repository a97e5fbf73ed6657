package main

import (
	"slices"
	"testing"
)

func TestHugePagesEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     []string
		want    []string
		changed bool
	}{
		{"no tunables", []string{"A=1", "HOME=/root"}, []string{"A=1", "HOME=/root", "GLIBC_TUNABLES=glibc.malloc.hugetlb=1"}, true},
		{"other tunables kept", []string{"GLIBC_TUNABLES=glibc.malloc.arena_max=2", "A=1"}, []string{"A=1", "GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"}, true},
		{"already on", []string{"GLIBC_TUNABLES=glibc.malloc.hugetlb=1"}, []string{"GLIBC_TUNABLES=glibc.malloc.hugetlb=1"}, false},
		{"operator turned it off", []string{"A=1", "GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0"}, []string{"A=1", "GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0"}, false},
		{"a similar name is not it", []string{"GLIBC_TUNABLES=glibc.malloc.hugetlbx=1"}, []string{"GLIBC_TUNABLES=glibc.malloc.hugetlbx=1:glibc.malloc.hugetlb=1"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := hugePagesEnv(slices.Clone(tc.env))
			if changed != tc.changed || !slices.Equal(got, tc.want) {
				t.Errorf("hugePagesEnv(%q) = %q, %v; want %q, %v", tc.env, got, changed, tc.want, tc.changed)
			}
		})
	}
}
