package main

import (
	"os"
	"strings"

	"github.com/pegasus-go/pegasus/server/config"
)

// A replica server's C memory — RocksDB's memtables above all — comes from
// glibc's malloc, which backs it with 4 KiB pages unless told otherwise: a
// memtable filling up then takes a page fault per 4 KiB written, and on
// a virtual machine a fault is expensive (measured on the onebox with 3
// replicas: 27% less server CPU per write and 28% more sets/s with huge
// pages). glibc reads its tunables once, when the process starts, so the
// server starts itself again with the tunable set, before it opens
// anything.

const hugetlbTunable = "glibc.malloc.hugetlb"

// hugePagesEnv returns env with glibc.malloc.hugetlb=1 added to
// GLIBC_TUNABLES (other tunables kept), and false when env names that
// tunable already, with any value: the operator's setting wins.
func hugePagesEnv(env []string) ([]string, bool) {
	out := make([]string, 0, len(env)+1)
	tunables := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GLIBC_TUNABLES="); ok {
			tunables = v
			continue
		}
		out = append(out, kv)
	}
	for _, t := range strings.Split(tunables, ":") {
		if name, _, _ := strings.Cut(t, "="); name == hugetlbTunable {
			return env, false
		}
	}
	v := hugetlbTunable + "=1"
	if tunables != "" {
		v = tunables + ":" + v
	}
	return append(out, "GLIBC_TUNABLES="+v), true
}

// transparentHugePages reports whether the kernel gives transparent huge
// pages to memory that asks for them (mode "always" or "madvise").
func transparentHugePages() bool {
	raw, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	return err == nil && !strings.Contains(string(raw), "[never]")
}

// wantHugePages reports whether [debug] malloc_huge_pages (default true)
// asks for the tunable and the kernel can honour it.
func wantHugePages(d config.Debug) bool {
	return (d.MallocHugePages == nil || *d.MallocHugePages) && transparentHugePages()
}
