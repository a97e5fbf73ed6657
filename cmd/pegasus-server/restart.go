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
