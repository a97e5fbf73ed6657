package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/pegasus-go/pegasus/server/config"
)

// restartTuned replaces the process image — same pid, arguments and
// environment — with the environment settings that glibc and the Go
// runtime read only at process start and that [debug] asks for: glibc's
// malloc on huge pages (hugepages.go) and Go's scheduler monitor kept out
// of deep sleep (sysmon.go). It returns only when it does not restart:
// nothing to change (the variables already say what is wanted, or the
// operator set them otherwise), or a failed exec, whose error names what
// the server then runs without.
func restartTuned(d config.Debug) error {
	env := os.Environ()
	var what []string
	if wantHugePages(d) {
		var changed bool
		if env, changed = hugePagesEnv(env); changed {
			what = append(what, "malloc huge pages")
		}
	}
	if wantSysmonAwake(d) {
		var changed bool
		if env, changed = sysmonAwakeEnv(env); changed {
			what = append(what, "sysmon kept awake")
		}
	}
	if len(what) == 0 {
		return nil
	}
	exe, err := os.Executable()
	if err == nil {
		err = syscall.Exec(exe, os.Args, env)
	}
	return fmt.Errorf("restart with %s: %w", strings.Join(what, " and "), err)
}

// withSetting returns env with name=value added to the list variable
// (items separated by sep; its other items kept), and false when the
// variable names name already, with any value: the operator's setting
// wins.
func withSetting(env []string, variable, sep, name, value string) ([]string, bool) {
	out := make([]string, 0, len(env)+1)
	items := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, variable+"="); ok {
			items = v
			continue
		}
		out = append(out, kv)
	}
	for _, it := range strings.Split(items, sep) {
		if n, _, _ := strings.Cut(strings.TrimSpace(it), "="); n == name {
			return env, false
		}
	}
	v := name + "=" + value
	if items != "" {
		v = items + sep + v
	}
	return append(out, variable+"="+v), true
}
