package main

import (
	"github.com/pegasus-go/pegasus/server/config"
)

// Go's scheduler monitor (sysmon) is a thread that wakes every 20 µs to
// 10 ms to take the scheduler slot (P) back from long system and cgo
// calls. When every P of the process is idle it goes into a deep sleep,
// and the next system call — a socket read right after the process wakes
// up — wakes it and resets it to its fastest pace, 20 µs, for at least
// fifty rounds. A replica server with one P (the onebox) idles between
// rounds of replication many times a second, so its monitor spent most
// of its time starting over at full pace: a nanosleep and a thread switch
// every few tens of microseconds, 40% of the server's thread switches on
// the onebox under load. With the deep sleep off the monitor only speeds
// up when it does take a P back, and slows to 10 ms when it does not.
//
// The runtime offers one switch for that: GODEBUG's schedtrace, which
// keeps the monitor out of deep sleep so that it can print a scheduler
// summary every period. The server sets the longest period it takes,
// 2^31-1 ms (24.8 days), so the summary — one line on standard error —
// appears once per period of machine uptime at most; a fatal runtime error
// also prints the scheduler's state then, which helps more than it hurts.
// The runtime reads GODEBUG only at start, so the server starts itself
// again with it set (see restartTuned).

const sysmonSetting = "schedtrace"

// sysmonAwakeEnv returns env with schedtrace=2147483647 added to GODEBUG
// (see withSetting).
func sysmonAwakeEnv(env []string) ([]string, bool) {
	return withSetting(env, "GODEBUG", ",", sysmonSetting, "2147483647")
}

// wantSysmonAwake reports whether [debug] sysmon_awake (default true) asks
// for the monitor to stay out of deep sleep.
func wantSysmonAwake(d config.Debug) bool {
	return d.SysmonAwake == nil || *d.SysmonAwake
}
