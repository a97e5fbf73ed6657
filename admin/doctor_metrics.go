package admin

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// The checks that read the servers' /metrics.
const (
	CheckLearningLong       = "learning_long"
	CheckMlogNotCollected   = "mlog_not_collected"
	CheckClockSkew          = "clock_skew"
	CheckUnbalancedReplicas = "unbalanced_replicas"
	CheckNodeRestarted      = "node_restarted"
	CheckMetricsUnavailable = "metrics_unavailable"
	CheckDiskSpace          = "disk_space"
)

// Metrics some checks need and the servers may not expose; without them
// the check is skipped with a note.
const (
	// MetricStatusSeconds is how long a replica has been in its status.
	MetricStatusSeconds = "pegasus_replica_status_seconds"
	// MetricMlogSize is the mutation log's size on disk.
	MetricMlogSize = "pegasus_mlog_size_bytes"
	// MetricMlogMax is the mutation log's size bound (log_max_bytes).
	MetricMlogMax = "pegasus_mlog_max_bytes"
	// MetricDiskCapacity and MetricDiskAvailable describe the filesystem
	// of a server's data directory.
	MetricDiskCapacity  = "pegasus_disk_capacity_bytes"
	MetricDiskAvailable = "pegasus_disk_available_bytes"
)

// Limits of the metric checks.
var (
	// LearningTooLong is how long a replica may stay a potential
	// secondary (learning) before the doctor warns.
	LearningTooLong = 10 * time.Minute
	// MlogDecreeGap is how many committed decrees a replica may hold that
	// are not yet durable in RocksDB: the shared log cannot drop segments
	// holding them, so a growing gap is a log growing without GC.
	MlogDecreeGap int64 = 5_000_000
	// MlogTooBig is the mutation log size on disk the doctor warns about.
	MlogTooBig float64 = 16 << 30
	// MlogOverBound is how far past its own bound (log_max_bytes) a
	// server's mutation log may be before the doctor warns: the bound is
	// enforced every 10 s, and a busy log grows meanwhile.
	MlogOverBound = 1.25
	// ClockSkewLimit is the largest clock difference between two servers
	// the doctor accepts (HTTP Date headers have one-second precision).
	ClockSkewLimit = 5 * time.Second
	// RecentRestart is how recent a replica server's start must be for
	// the doctor to mention it (when it started well after the meta).
	RecentRestart = 10 * time.Minute
	// DiskWarnFree and DiskCriticalFree are the fractions of a data
	// directory's filesystem left free below which the doctor warns, and
	// calls it critical (RocksDB stops writing when the disk fills).
	DiskWarnFree     = 0.15
	DiskCriticalFree = 0.05
)

// statusPotentialSecondary is partition_status PS_POTENTIAL_SECONDARY: a
// learner.
const statusPotentialSecondary = 5

// Skipped is a check the doctor could not run, and why.
type Skipped struct {
	Check  string `json:"check"`
	Reason string `json:"reason"`
}

// Report is the doctor's whole answer.
type Report struct {
	Findings []Finding `json:"findings"`
	Skipped  []Skipped `json:"skipped"`
}

// gatherMetrics scrapes every alive replica server and every meta server
// into st.
func (c *Client) gatherMetrics(ctx context.Context, st *ClusterState) {
	st.MetaServers = c.MetaServers()
	addrs := append([]string(nil), st.MetaServers...)
	for _, n := range st.Nodes {
		if n.Alive {
			addrs = append(addrs, n.Address)
		}
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st.Metrics, st.MetricErrors = ScrapeAll(sctx, addrs)
}

// DiagnoseReport runs every check, the metric ones included, and lists
// the checks it had to skip.
func DiagnoseReport(st ClusterState) Report {
	r := Report{Findings: Diagnose(st)}
	var more []Finding
	for _, check := range []func(ClusterState) ([]Finding, []Skipped){
		checkMetricsReachable, checkLearning, checkMutationLog, checkClockSkew, checkReplicaBalance, checkRestarts, checkDiskSpace, checkBackupPolicies,
	} {
		f, s := check(st)
		more = append(more, f...)
		r.Skipped = append(r.Skipped, s...)
	}
	r.Findings = append(r.Findings, more...)
	sort.SliceStable(r.Findings, func(i, j int) bool { return r.Findings[i].Severity > r.Findings[j].Severity })
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	if r.Skipped == nil {
		r.Skipped = []Skipped{}
	}
	return r
}

// replicaScrapes returns the alive replica servers' scrapes by address.
func (st ClusterState) replicaScrapes() map[string]*Scrape {
	out := map[string]*Scrape{}
	for _, n := range st.Nodes {
		if s := st.Metrics[n.Address]; n.Alive && s != nil {
			out[n.Address] = s
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func checkMetricsReachable(st ClusterState) ([]Finding, []Skipped) {
	var out []Finding
	for _, addr := range sortedKeys(st.MetricErrors) {
		out = append(out, Finding{Info, CheckMetricsUnavailable, addr,
			fmt.Sprintf("/metrics did not answer (%v): the metric checks leave this server out", st.MetricErrors[addr]),
			"`curl http://" + addr + "/metrics`; if the process is hung, restart it"})
	}
	return out, nil
}

// checkLearning warns of replicas that stay learners for long. It needs
// how long each replica has been in its status; without that metric it
// notes how many learners there are and skips.
func checkLearning(st ClusterState) ([]Finding, []Skipped) {
	var out []Finding
	learners := 0
	missing := false
	for _, addr := range sortedKeys(st.replicaScrapes()) {
		s := st.Metrics[addr]
		secs := map[string]float64{}
		for _, x := range s.Find(MetricStatusSeconds, nil) {
			secs[x.Labels["app_id"]+"."+x.Labels["partition"]] = x.Value
		}
		if !s.Has(MetricStatusSeconds) {
			missing = true
		}
		var long []string
		for _, x := range s.Find(MetricReplicaStatus, nil) {
			if x.Value != statusPotentialSecondary {
				continue
			}
			learners++
			gpid := x.Labels["app_id"] + "." + x.Labels["partition"]
			if d, ok := secs[gpid]; ok && time.Duration(d*float64(time.Second)) > LearningTooLong {
				long = append(long, fmt.Sprintf("%s for %s", gpid, (time.Duration(d)*time.Second).Round(time.Second)))
			}
		}
		if len(long) > 0 {
			out = append(out, Finding{Warning, CheckLearningLong, addr,
				fmt.Sprintf("%d replicas have been learning for more than %s: %s", len(long), LearningTooLong, strings.Join(long, ", ")),
				"look for learn errors in this server's log (grep learn); check disk space and the network to the primary"})
		}
	}
	if missing {
		return out, []Skipped{{CheckLearningLong, fmt.Sprintf(
			"servers do not expose %s, so how long replicas learn is unknown (%d learning now; `server_stat` counts them)",
			MetricStatusSeconds, learners)}}
	}
	return out, nil
}

// checkMutationLog warns of mutation logs that cannot be collected: a
// replica whose committed decrees run far ahead of the decrees flushed to
// RocksDB pins the shared log's segments, and a log bigger than
// MlogTooBig where the size is exposed.
func checkMutationLog(st ClusterState) ([]Finding, []Skipped) {
	var out []Finding
	var skipped []Skipped
	sizeMissing := false
	for _, addr := range sortedKeys(st.replicaScrapes()) {
		s := st.Metrics[addr]
		if size, ok := s.Sum(MetricMlogSize, nil); ok {
			bound, bounded := s.Sum(MetricMlogMax, nil)
			switch {
			case bounded && bound > 0 && size > bound*MlogOverBound:
				out = append(out, Finding{Warning, CheckMlogNotCollected, addr,
					fmt.Sprintf("the mutation log holds %.1f GiB on disk, over its bound of %.1f GiB: its oldest segment is held by entries a flush cannot free",
						size/(1<<30), bound/(1<<30)),
					"the server's log names the replicas (\"held by entries a flush cannot free\"): a duplication that does not ship, a replica that does not apply, or a replica closed on disk"})
			case size > MlogTooBig:
				out = append(out, Finding{Warning, CheckMlogNotCollected, addr,
					fmt.Sprintf("the mutation log holds %.1f GiB on disk (more than %.0f GiB)", size/(1<<30), MlogTooBig/(1<<30)),
					"check that replicas flush (pegasus_replica_last_durable_decree moves) and that no replica is stuck"})
			}
		} else {
			sizeMissing = true
		}
		durable := map[string]float64{}
		for _, x := range s.Find(MetricDurable, nil) {
			durable[x.Labels["app_id"]+"."+x.Labels["partition"]] = x.Value
		}
		worst, worstGap := "", int64(0)
		for _, x := range s.Find(MetricCommitted, nil) {
			gpid := x.Labels["app_id"] + "." + x.Labels["partition"]
			d, ok := durable[gpid]
			if !ok {
				continue
			}
			if gap := int64(x.Value - d); gap > worstGap {
				worst, worstGap = gpid, gap
			}
		}
		if worstGap > MlogDecreeGap {
			out = append(out, Finding{Warning, CheckMlogNotCollected, addr,
				fmt.Sprintf("replica %s has %d committed decrees not yet flushed to RocksDB (limit %d): the mutation log cannot drop them",
					worst, worstGap, MlogDecreeGap),
				"look for flush or rocksdb errors in this server's log; a restart replays the log, which takes longer the bigger it is"})
		}
	}
	if sizeMissing {
		skipped = append(skipped, Skipped{CheckMlogNotCollected, fmt.Sprintf(
			"servers do not expose %s: only the gap between committed and durable decrees is checked", MetricMlogSize)})
	}
	return out, skipped
}

// checkClockSkew compares every server's clock (the Date of its /metrics
// answer) with the median of all of them.
func checkClockSkew(st ClusterState) ([]Finding, []Skipped) {
	offsets := map[string]time.Duration{}
	for addr, s := range st.Metrics {
		if off, ok := s.ClockOffset(); ok {
			offsets[addr] = off
		}
	}
	if len(offsets) < 2 {
		return nil, []Skipped{{CheckClockSkew, "fewer than two servers told their time"}}
	}
	sorted := make([]time.Duration, 0, len(offsets))
	for _, o := range offsets {
		sorted = append(sorted, o)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	median := sorted[len(sorted)/2]
	var out []Finding
	for _, addr := range sortedKeys(offsets) {
		skew := offsets[addr] - median
		if skew > ClockSkewLimit || -skew > ClockSkewLimit {
			out = append(out, Finding{Warning, CheckClockSkew, addr,
				fmt.Sprintf("clock differs from the other servers' by %s (limit %s): TTLs, leases and logs disagree", skew.Round(time.Second), ClockSkewLimit),
				"synchronise the clock with NTP (chronyc tracking / timedatectl)"})
		}
	}
	return out, nil
}

// checkReplicaBalance compares how many replicas (primaries and
// secondaries, over all tables) each alive node serves.
func checkReplicaBalance(st ClusterState) ([]Finding, []Skipped) {
	count := map[string]int{}
	for _, n := range st.Nodes {
		if n.Alive {
			count[n.Address] = 0
		}
	}
	if len(count) < 2 {
		return nil, nil
	}
	total := 0
	for _, t := range st.Tables {
		for _, p := range t.Partitions {
			for _, m := range append([]string{p.Primary}, p.Secondaries...) {
				if _, ok := count[m]; ok {
					count[m]++
					total++
				}
			}
		}
	}
	lo, hi := -1, -1
	var loNode, hiNode string
	for _, a := range sortedKeys(count) {
		if c := count[a]; lo < 0 || c < lo {
			lo, loNode = c, a
		}
		if c := count[a]; c > hi {
			hi, hiNode = c, a
		}
	}
	mean := float64(total) / float64(len(count))
	if float64(hi-lo) <= max(2, mean/10) {
		return nil, nil
	}
	return []Finding{{Info, CheckUnbalancedReplicas, "cluster",
		fmt.Sprintf("replicas are unbalanced across %d alive nodes: %d on %s, %d on %s (mean %.1f)", len(count), hi, hiNode, lo, loNode, mean),
		"`set_meta_level lively` lets the meta server move replicas; `nodes -d` shows the counts"}}, nil
}

// checkRestarts mentions replica servers that started recently, well
// after the meta server: a node that restarts again and again (flapping)
// shows up here each time. The meta server keeps no history of nodes
// going down and up, so flapping itself is not counted.
func checkRestarts(st ClusterState) ([]Finding, []Skipped) {
	skipped := []Skipped{{"node_flapping", "the meta server keeps no history of nodes going down and up; node_restarted shows recent restarts instead"}}
	var metaStart float64
	for _, m := range st.MetaServers {
		if s := st.Metrics[m]; s != nil {
			if v, ok := s.Sum(MetricStartTime, nil); ok && v > metaStart {
				metaStart = v
			}
		}
	}
	if metaStart == 0 {
		return nil, skipped
	}
	var out []Finding
	for _, addr := range sortedKeys(st.replicaScrapes()) {
		v, ok := st.Metrics[addr].Sum(MetricStartTime, nil)
		if !ok {
			continue
		}
		started := time.Unix(int64(v), 0)
		if st.Now.Sub(started) < RecentRestart && v-metaStart > 60 {
			out = append(out, Finding{Info, CheckNodeRestarted, addr,
				fmt.Sprintf("replica server started %s ago, after the rest of the cluster", st.Now.Sub(started).Round(time.Second)),
				"if it was not restarted on purpose, look for a crash at the end of its previous log; repeated restarts mean it is flapping"})
		}
	}
	return out, skipped
}

// checkDiskSpace looks at the free space of every server's data directory.
func checkDiskSpace(st ClusterState) ([]Finding, []Skipped) {
	var out []Finding
	missing := 0
	for _, addr := range sortedKeys(st.Metrics) {
		s := st.Metrics[addr]
		if s == nil {
			continue
		}
		caps := s.Find(MetricDiskCapacity, nil)
		if len(caps) == 0 {
			missing++
			continue
		}
		avail := map[string]float64{}
		for _, x := range s.Find(MetricDiskAvailable, nil) {
			avail[x.Labels["dir"]] = x.Value
		}
		for _, c := range caps {
			a, ok := avail[c.Labels["dir"]]
			if !ok || c.Value <= 0 {
				continue
			}
			free := a / c.Value
			sev := Info
			switch {
			case free < DiskCriticalFree:
				sev = Critical
			case free < DiskWarnFree:
				sev = Warning
			default:
				continue
			}
			out = append(out, Finding{sev, CheckDiskSpace, addr,
				fmt.Sprintf("%s has %.1f GiB free of %.1f GiB (%.0f%%)", c.Labels["dir"], a/(1<<30), c.Value/(1<<30), free*100),
				"free space (old backups, logs) or add disk; `flush-log` lets the mutation log shrink; move replicas off with `nodes_migrator`"})
		}
	}
	var skipped []Skipped
	if missing > 0 && len(st.Metrics) == missing {
		skipped = append(skipped, Skipped{CheckDiskSpace, "servers do not expose " + MetricDiskCapacity})
	}
	return out, skipped
}
