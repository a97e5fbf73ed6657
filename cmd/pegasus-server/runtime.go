package main

import (
	"os"
	"runtime"
	"runtime/debug"

	"github.com/pegasus-go/pegasus/server/config"
)

// tuneRuntime applies the [debug] runtime settings.
func tuneRuntime(d config.Debug) {
	if os.Getenv("GOGC") == "" && d.GCPercent > 0 {
		debug.SetGCPercent(d.GCPercent)
	}
	if os.Getenv("GOMAXPROCS") == "" && d.MaxProcs > 0 {
		runtime.GOMAXPROCS(d.MaxProcs)
	}
}
