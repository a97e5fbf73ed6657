package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// What the bench's own machine did during a run, from the kernel's CPU
// counters (/proc/stat) read just before the load and just after it. On a
// virtual machine the steal figure is the share of CPU time the hypervisor
// gave to other guests while this one had work to run: on the 2-vCPU
// machines this project is measured on it varies from nothing to 40% from
// one minute to the next, and latency follows it. A figure taken with much
// steal says more about the host than about the cluster; the line lets a
// reader tell the two apart. With the bench on the servers' machine (the
// onebox) it covers the servers too.

// procStat is where Linux publishes the CPU counters.
const procStat = "/proc/stat"

// MachineCPU is how this machine's CPUs spent a run, in percent of all
// CPU time (CPUs × run time).
type MachineCPU struct {
	CPUs int `json:"cpus"`
	// BusyPct is user, nice, system, irq and softirq time.
	BusyPct float64 `json:"busy_pct"`
	// IOWaitPct is idle time with I/O outstanding.
	IOWaitPct float64 `json:"iowait_pct"`
	// StealPct is time the hypervisor ran another guest on a CPU this one
	// wanted.
	StealPct float64 `json:"steal_pct"`
	// IdlePct is the rest: idle with nothing outstanding.
	IdlePct float64 `json:"idle_pct"`
}

// cpuTimes is the aggregate "cpu" line of /proc/stat, in clock ticks.
type cpuTimes struct {
	cpus                      int
	busy, idle, iowait, steal uint64
}

// readCPUTimes reads the counters; ok is false where there are none (not
// Linux, or a restricted /proc).
func readCPUTimes() (cpuTimes, bool) {
	f, err := os.Open(procStat)
	if err != nil {
		return cpuTimes{}, false
	}
	defer f.Close()
	t, err := parseCPUTimes(f)
	return t, err == nil
}

// parseCPUTimes reads the "cpu" line and counts the "cpuN" lines. Fields
// in order: user nice system idle iowait irq softirq steal guest
// guest_nice; guest time is already inside user and nice, so it is not
// added again.
func parseCPUTimes(r io.Reader) (cpuTimes, error) {
	var t cpuTimes
	found := false
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || !strings.HasPrefix(fields[0], "cpu") {
			continue
		}
		if fields[0] != "cpu" {
			t.cpus++
			continue
		}
		if len(fields) < 9 {
			return t, fmt.Errorf("%s: cpu line has %d fields, want at least 9", procStat, len(fields))
		}
		var v [8]uint64
		for i := range v {
			n, err := strconv.ParseUint(fields[i+1], 10, 64)
			if err != nil {
				return t, fmt.Errorf("%s: cpu field %d: %w", procStat, i+1, err)
			}
			v[i] = n
		}
		t.busy = v[0] + v[1] + v[2] + v[5] + v[6]
		t.idle, t.iowait, t.steal = v[3], v[4], v[7]
		found = true
	}
	if err := sc.Err(); err != nil {
		return t, fmt.Errorf("read %s: %w", procStat, err)
	}
	if !found {
		return t, fmt.Errorf("%s: no cpu line", procStat)
	}
	return t, nil
}

// machineBetween turns two readings into shares of the time between them;
// nil if no time passed.
func machineBetween(before, after cpuTimes) *MachineCPU {
	d := func(a, b uint64) float64 {
		if b < a {
			return 0
		}
		return float64(b - a)
	}
	busy, idle, iowait, steal := d(before.busy, after.busy), d(before.idle, after.idle), d(before.iowait, after.iowait), d(before.steal, after.steal)
	all := busy + idle + iowait + steal
	if all == 0 {
		return nil
	}
	pct := func(x float64) float64 { return 100 * x / all }
	return &MachineCPU{CPUs: after.cpus, BusyPct: pct(busy), IOWaitPct: pct(iowait), StealPct: pct(steal), IdlePct: pct(idle)}
}

// print writes the shares as one text line.
func (m *MachineCPU) print(w io.Writer) {
	fmt.Fprintf(w, "this machine: %d CPUs, %.0f%% busy, %.0f%% idle waiting for I/O, %.0f%% stolen by the hypervisor, %.0f%% idle\n",
		m.CPUs, m.BusyPct, m.IOWaitPct, m.StealPct, m.IdlePct)
}
