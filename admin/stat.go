package admin

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Metric names the statistics read (server/metrics, server/replica).
const (
	MetricRequests       = "pegasus_replica_requests_total"
	MetricLatency        = "pegasus_replica_request_duration_seconds"
	MetricReplicaStatus  = "pegasus_replica_status"
	MetricCommitted      = "pegasus_replica_last_committed_decree"
	MetricDurable        = "pegasus_replica_last_durable_decree"
	MetricResidentMemory = "process_resident_memory_bytes"
	MetricVirtualMemory  = "process_virtual_memory_bytes"
	MetricStartTime      = "process_start_time_seconds"
)

// StatOp is one column of upstream's app_stat and nodes -q: its name there
// and the op labels of pegasus_replica_requests_total it sums.
type StatOp struct {
	Column string
	Ops    []string
}

// StatOps are the request columns in upstream's order. SCAN counts both
// opening a scanner and each batch of it.
var StatOps = []StatOp{
	{"GET", []string{"get"}}, {"MGET", []string{"multi_get"}}, {"BGET", []string{"batch_get"}},
	{"PUT", []string{"put"}}, {"MPUT", []string{"multi_put"}}, {"DEL", []string{"remove"}},
	{"MDEL", []string{"multi_remove"}}, {"INCR", []string{"incr"}}, {"CAS", []string{"check_and_set"}},
	{"CAM", []string{"check_and_mutate"}}, {"SCAN", []string{"get_scanner", "scan"}},
}

// Window is two scrapes of the same servers some time apart, from which
// rates and latency quantiles over that time are computed.
type Window struct {
	Before, After map[string]*Scrape // by server address
	Errors        map[string]error   // servers that did not answer either scrape
}

// SampleWindow scrapes every server, waits interval, and scrapes again.
// A server that fails either scrape is left out and listed in Errors.
func SampleWindow(ctx context.Context, addrs []string, interval time.Duration) (Window, error) {
	w := OpenWindow(ctx, addrs)
	t := time.NewTimer(interval)
	select {
	case <-ctx.Done():
		t.Stop()
		return w, fmt.Errorf("sample metrics: %w", ctx.Err())
	case <-t.C:
	}
	w.End(ctx)
	return w, nil
}

// OpenWindow scrapes every server: the start of a window that End closes
// (for a window around some work rather than a fixed interval).
func OpenWindow(ctx context.Context, addrs []string) Window {
	w := Window{Errors: map[string]error{}}
	w.Before = scrapeAll(ctx, addrs, w.Errors)
	return w
}

// End scrapes again every server that answered the first scrape.
func (w *Window) End(ctx context.Context) {
	again := make([]string, 0, len(w.Before))
	for a := range w.Before {
		again = append(again, a)
	}
	w.After = scrapeAll(ctx, again, w.Errors)
}

// ScrapeAll scrapes every server once, in parallel; failures go to errs.
func ScrapeAll(ctx context.Context, addrs []string) (map[string]*Scrape, map[string]error) {
	errs := map[string]error{}
	return scrapeAll(ctx, addrs, errs), errs
}

func scrapeAll(ctx context.Context, addrs []string, errs map[string]error) map[string]*Scrape {
	out := make(map[string]*Scrape, len(addrs))
	var mu sync.Mutex // guards out and errs
	var wg sync.WaitGroup
	for _, a := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := ScrapeMetrics(ctx, a)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[a] = err
				return
			}
			out[a] = s
		}()
	}
	wg.Wait()
	return out
}

// Grouper names the group a sample counts for, or returns false to skip it.
type Grouper func(addr string, s Sample) (group string, ok bool)

// Rate sums, per group, the per-second increase of a counter over the
// window (a counter that went down was reset: its new value counts).
func (w Window) Rate(name string, group Grouper) map[string]float64 {
	return w.increase(name, group, true)
}

// Increase sums, per group, how much a counter grew over the window (a
// counter that went down was reset: its new value counts).
func (w Window) Increase(name string, group Grouper) map[string]float64 {
	return w.increase(name, group, false)
}

func (w Window) increase(name string, group Grouper, perSecond bool) map[string]float64 {
	out := map[string]float64{}
	for addr, after := range w.After {
		before := w.Before[addr]
		if before == nil {
			continue
		}
		secs := after.Received.Sub(before.Received).Seconds()
		if secs <= 0 {
			continue
		}
		prev := indexSamples(before, name)
		for _, s := range after.Find(name, nil) {
			g, ok := group(addr, s)
			if !ok {
				continue
			}
			d := s.Value - prev[labelKey(s.Labels, "")]
			if d < 0 {
				d = s.Value
			}
			if perSecond {
				d /= secs
			}
			out[g] += d
		}
	}
	return out
}

// Quantile estimates, per group, the q-quantile (0 < q < 1) of a
// histogram's observations within the window, interpolating linearly
// inside the bucket as Prometheus's histogram_quantile does. Groups
// without observations are absent.
func (w Window) Quantile(q float64, histogram string, group Grouper) map[string]float64 {
	name := histogram + "_bucket"
	buckets := map[string]map[float64]float64{} // group -> upper bound -> count
	for addr, after := range w.After {
		prev := indexSamples(w.Before[addr], name)
		for _, s := range after.Find(name, nil) {
			le, err := parseValue(s.Labels["le"])
			if err != nil {
				continue
			}
			g, ok := group(addr, s)
			if !ok {
				continue
			}
			d := s.Value - prev[labelKey(s.Labels, "")]
			if d < 0 {
				d = s.Value
			}
			if buckets[g] == nil {
				buckets[g] = map[float64]float64{}
			}
			buckets[g][le] += d
		}
	}
	out := map[string]float64{}
	for g, b := range buckets {
		if v, ok := bucketQuantile(q, b); ok {
			out[g] = v
		}
	}
	return out
}

// bucketQuantile computes a quantile from cumulative bucket counts.
func bucketQuantile(q float64, b map[float64]float64) (float64, bool) {
	bounds := make([]float64, 0, len(b))
	for le := range b {
		bounds = append(bounds, le)
	}
	sort.Float64s(bounds)
	if len(bounds) == 0 {
		return 0, false
	}
	total := b[bounds[len(bounds)-1]]
	if total <= 0 {
		return 0, false
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for _, le := range bounds {
		c := b[le]
		if c >= rank {
			if math.IsInf(le, 1) {
				return lower, true // beyond the last finite bucket: its bound
			}
			if c == below {
				return le, true
			}
			return lower + (le-lower)*(rank-below)/(c-below), true
		}
		lower, below = le, c
	}
	return lower, true
}

// indexSamples maps a metric's samples by their labels.
func indexSamples(s *Scrape, name string) map[string]float64 {
	out := map[string]float64{}
	if s == nil {
		return out
	}
	for _, x := range s.Find(name, nil) {
		out[labelKey(x.Labels, "")] = x.Value
	}
	return out
}

// labelKey is a canonical text of labels, leaving out the one named skip.
func labelKey(l map[string]string, skip string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		if k != skip {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(l[k]))
		b.WriteByte(',')
	}
	return b.String()
}

// OpColumn returns the StatOps column an op label belongs to.
func OpColumn(op string) (string, bool) {
	for _, c := range StatOps {
		for _, o := range c.Ops {
			if o == op {
				return c.Column, true
			}
		}
	}
	return "", false
}
