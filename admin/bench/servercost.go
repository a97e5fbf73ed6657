package bench

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// What a run cost the replica servers: with Config.ServerCost the bench
// reads every alive replica server's /metrics just before the load starts
// and just after it ends, and divides what the servers spent in between by
// the operations acknowledged. Everything the servers did in that time
// counts — background flushes and compactions, and other clients' load if
// there is any — so the figures are a cluster's cost per operation on a
// quiet cluster, not a profile. Only pegasus-go servers serve /metrics on
// their RPC port; upstream Pegasus servers are not asked.

// Metric names the cost is computed from.
const (
	metricCPU        = "process_cpu_seconds_total"
	metricCPUWait    = "pegasus_process_cpu_wait_seconds_total"
	metricAlloc      = "go_memstats_alloc_bytes_total"
	metricLogSyncs   = "pegasus_mlog_syncs_total"
	metricLogEntries = "pegasus_mlog_entries_total"
	metricLogSyncSec = "pegasus_mlog_sync_seconds_total"
	metricAckSum     = "pegasus_replica_prepare_ack_seconds_sum"
	metricAckCount   = "pegasus_replica_prepare_ack_seconds_count"
)

// ServerCost is the replica servers' cost of a run, per acknowledged
// operation, summed over every server that answered both scrapes.
type ServerCost struct {
	Servers int `json:"servers"`
	// CPUMicrosPerOp is the servers' CPU time (user and system).
	CPUMicrosPerOp float64 `json:"cpu_us_per_op"`
	// CPUWaitMicrosPerOp is the time the servers' threads were runnable
	// but waited for a CPU: on a machine short of CPUs (the bench on the
	// servers' box), much of a request's latency; absent where the servers
	// do not report it.
	CPUWaitMicrosPerOp float64 `json:"cpu_wait_us_per_op,omitempty"`
	// AllocBytesPerOp is the servers' Go heap allocation.
	AllocBytesPerOp float64 `json:"go_alloc_bytes_per_op"`
	// LogSyncsPerSet counts mutation log syncs (every member of a
	// partition syncs its own log) per acknowledged set; absent without
	// sets.
	LogSyncsPerSet float64 `json:"log_syncs_per_set,omitempty"`
	// LogEntriesPerSync is how many mutations one log sync carried on
	// average (group commit across partitions); absent without syncs.
	LogEntriesPerSync float64 `json:"log_entries_per_sync,omitempty"`
	// LogSyncMillis is the mean time of one log sync; absent without syncs.
	LogSyncMillis float64 `json:"log_sync_ms,omitempty"`
	// PrepareAckMillis is the mean time a secondary took to ack a prepare,
	// as its primary measured it; absent without replicated writes.
	PrepareAckMillis float64 `json:"prepare_ack_ms,omitempty"`
	// Missing lists servers left out because a scrape failed, with why.
	Missing []string `json:"missing,omitempty"`
}

// startCost lists the alive replica servers and opens a metrics window on
// them, which the caller ends when the load stops.
func startCost(ctx context.Context, metas []string) (*admin.Window, error) {
	ac := admin.New(metas)
	defer ac.Close()
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	nodes, err := ac.ListNodes(lctx, admintypes.NodeStatus_NS_ALIVE)
	if err != nil {
		return nil, fmt.Errorf("bench: list replica servers for -server-cost: %w", err)
	}
	var addrs []string
	for _, n := range nodes {
		if n.Node != nil {
			addrs = append(addrs, n.Node.String())
		}
	}
	w := admin.OpenWindow(ctx, addrs)
	return &w, nil
}

// costOf divides the window's counter increases by the operations, acked
// in all and sets of them sets.
func costOf(w admin.Window, acked, sets uint64) *ServerCost {
	all := func(string, admin.Sample) (string, bool) { return "", true }
	total := func(name string) float64 { return w.Increase(name, all)[""] }
	c := &ServerCost{Servers: len(w.After)}
	for a, err := range w.Errors {
		c.Missing = append(c.Missing, fmt.Sprintf("%s: %v", a, err))
	}
	sort.Strings(c.Missing)
	if acked > 0 {
		c.CPUMicrosPerOp = total(metricCPU) * 1e6 / float64(acked)
		c.CPUWaitMicrosPerOp = total(metricCPUWait) * 1e6 / float64(acked)
		c.AllocBytesPerOp = total(metricAlloc) / float64(acked)
	}
	syncs := total(metricLogSyncs)
	if sets > 0 {
		c.LogSyncsPerSet = syncs / float64(sets)
	}
	if syncs > 0 {
		c.LogEntriesPerSync = total(metricLogEntries) / syncs
		c.LogSyncMillis = total(metricLogSyncSec) * 1e3 / syncs
	}
	if acks := total(metricAckCount); acks > 0 {
		c.PrepareAckMillis = total(metricAckSum) * 1e3 / acks
	}
	return c
}

// print writes the cost as one text line (and the missing servers).
func (c *ServerCost) print(w io.Writer) {
	fmt.Fprintf(w, "servers: %d replica servers spent %.0f µs CPU and %.1f KB Go allocation per op", c.Servers, c.CPUMicrosPerOp, c.AllocBytesPerOp/1024)
	if c.CPUWaitMicrosPerOp > 0 {
		fmt.Fprintf(w, ", and waited %.0f µs for a CPU", c.CPUWaitMicrosPerOp)
	}
	if c.LogSyncsPerSet > 0 {
		fmt.Fprintf(w, "; %.3f log syncs per set, %.2f log entries per sync", c.LogSyncsPerSet, c.LogEntriesPerSync)
	}
	if c.LogSyncMillis > 0 {
		fmt.Fprintf(w, "; log sync %.2f ms", c.LogSyncMillis)
	}
	if c.PrepareAckMillis > 0 {
		fmt.Fprintf(w, "; prepare acked in %.2f ms", c.PrepareAckMillis)
	}
	fmt.Fprintln(w)
	for _, m := range c.Missing {
		fmt.Fprintf(w, "servers: left out %s\n", m)
	}
}
