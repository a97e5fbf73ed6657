package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pegasus-go/pegasus/admin/onebox"
)

// checkStartupTuning checks that every replica server of b runs, under
// the pid the onebox recorded, with what it restarts itself for at start
// (both settings default to true): glibc's malloc told to use transparent
// huge pages whenever the kernel offers them (and without the tunable when
// it does not), and GODEBUG keeping Go's scheduler monitor out of deep
// sleep.
func checkStartupTuning(t *testing.T, b *onebox.Box) {
	t.Helper()
	raw, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	thp := err == nil && !strings.Contains(string(raw), "[never]")
	pidFiles, _ := filepath.Glob(filepath.Join(b.Dir, "replica*", "pid"))
	if len(pidFiles) == 0 {
		t.Fatalf("no replica pid files under %s", b.Dir)
	}
	for _, pf := range pidFiles {
		p, err := os.ReadFile(pf)
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(p)))
		if err != nil {
			t.Fatalf("%s: %v", pf, err)
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			t.Fatalf("replica server %s (pid %d): %v", pf, pid, err)
		}
		tunables, godebug := "", ""
		for _, kv := range strings.Split(string(env), "\x00") {
			if v, ok := strings.CutPrefix(kv, "GLIBC_TUNABLES="); ok {
				tunables = v
			}
			if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
				godebug = v
			}
		}
		if !strings.Contains(godebug, "schedtrace=2147483647") {
			t.Errorf("replica server pid %d: GODEBUG=%q, want schedtrace=2147483647 (sysmon_awake)", pid, godebug)
		}
		if on := strings.Contains(tunables, "glibc.malloc.hugetlb=1"); on != thp {
			t.Errorf("replica server pid %d: GLIBC_TUNABLES=%q with transparent huge pages available=%v", pid, tunables, thp)
		}
	}
}
