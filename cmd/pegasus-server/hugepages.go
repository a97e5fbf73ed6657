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
// GLIBC_TUNABLES (see withSetting).
func hugePagesEnv(env []string) ([]string, bool) {
	return withSetting(env, "GLIBC_TUNABLES", ":", hugetlbTunable, "1")
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
