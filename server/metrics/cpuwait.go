package metrics

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// cpuWait exports how long the process's threads were runnable but waited
// for a CPU (Linux's scheduler run delay, /proc/self/task/*/schedstat). A
// server on a machine with more runnable threads than CPUs spends this on
// top of every request's own work; on a small shared box it can exceed
// the CPU time itself, which CPU figures alone do not show.
//
// The kernel keeps the delay per thread and forgets it when the thread
// exits, so the collector remembers each thread's last reading and keeps a
// thread's total after it is gone: the counter never goes down. (What a
// thread waited between its last scrape and its exit is not counted; Go
// rarely ends threads.)
type cpuWait struct {
	desc    *prometheus.Desc
	taskDir string // /proc/self/task, or a test's stand-in

	mu   sync.Mutex       // serialises scrapes; guards the fields below
	last map[string]int64 // thread id -> its delay at the last scrape, ns
	gone int64            // summed last delays of threads that have exited, ns
}

// newCPUWait returns the collector, or nil where the kernel does not keep
// schedstat (not Linux, or built without it).
func newCPUWait(taskDir string) *cpuWait {
	c := &cpuWait{
		desc: prometheus.NewDesc("pegasus_process_cpu_wait_seconds_total",
			"Time the process's threads were runnable but waiting for a CPU (scheduler run delay, summed over threads).", nil, nil),
		taskDir: taskDir,
		last:    map[string]int64{},
	}
	if _, err := c.total(); err != nil {
		return nil
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *cpuWait) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *cpuWait) Collect(ch chan<- prometheus.Metric) {
	ns, err := c.total()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(ns)/1e9)
}

// total reads every live thread's run delay and returns the process's
// total in nanoseconds, exited threads included.
func (c *cpuWait) total() (int64, error) {
	// One scrape at a time: a listing older than the last one would take
	// the threads started in between for exited ones.
	c.mu.Lock()
	defer c.mu.Unlock()
	ents, err := os.ReadDir(c.taskDir)
	if err != nil {
		return 0, fmt.Errorf("cpu wait: %w", err)
	}
	now := make(map[string]int64, len(ents))
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(c.taskDir, e.Name(), "schedstat"))
		if err != nil {
			if os.IsNotExist(err) {
				continue // the thread exited after the listing
			}
			return 0, fmt.Errorf("cpu wait: %w", err)
		}
		ns, err := runDelay(b)
		if err != nil {
			return 0, fmt.Errorf("cpu wait: thread %s: %w", e.Name(), err)
		}
		now[e.Name()] = ns
	}
	for tid, ns := range c.last {
		if _, alive := now[tid]; !alive {
			c.gone += ns
		}
	}
	sum := c.gone
	for tid, ns := range now {
		// A reading behind the last one is a new thread that reused an
		// exited one's id: it counts once it has waited longer.
		if prev := c.last[tid]; ns < prev {
			now[tid] = prev
			ns = prev
		}
		sum += ns
	}
	c.last = now
	return sum, nil
}

// runDelay parses a schedstat line ("<run ns> <wait ns> <slices>") and
// returns its second field.
func runDelay(b []byte) (int64, error) {
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, fmt.Errorf("schedstat %q: want at least 2 fields", b)
	}
	ns, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("schedstat %q: %w", b, err)
	}
	return ns, nil
}
