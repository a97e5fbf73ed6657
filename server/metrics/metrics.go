// Package metrics holds a server's Prometheus metrics: one registry per
// process with the Go runtime's collectors and the process's CPU wait,
// plus the replica server's data operation counters and latency histograms
// per table and partition.
package metrics

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry is a process's metrics.
type Registry struct {
	reg *prometheus.Registry
}

// New returns a registry with the Go runtime and process collectors, and
// the process's CPU wait where the kernel reports it.
func New() *Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if c := newCPUWait("/proc/self/task"); c != nil {
		reg.MustRegister(c)
	}
	return &Registry{reg: reg}
}

// Handler serves the registry in the Prometheus text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{})
}

// Register adds collectors (e.g. a role's own gauges).
func (r *Registry) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := r.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// DataOps counts and times data operations on a replica server.
type DataOps struct {
	requests *prometheus.CounterVec   // app_id, partition_index, op, result
	latency  *prometheus.HistogramVec // app_id, op
	started  time.Time
	// own holds just the two metrics above, so Summary can read them back.
	own *prometheus.Registry
	// handles caches the labelled children: a request then costs one map
	// lookup instead of formatting and hashing label values twice.
	handles sync.Map // opKey -> *opHandles
}

type opKey struct {
	app, partition int32
	op, result     string
}

type opHandles struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

// NewDataOps registers the data-operation metrics on r.
func NewDataOps(r *Registry) *DataOps {
	d := &DataOps{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "pegasus", Subsystem: "replica", Name: "requests_total",
			Help: "Data requests served, by table (app_id), partition, operation and result (ok or the error name).",
		}, []string{"app_id", "partition_index", "op", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "pegasus", Subsystem: "replica", Name: "request_duration_seconds",
			Help:    "Time from a data request's arrival to its reply, by table and operation.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 16), // 50µs .. 1.6s
		}, []string{"app_id", "op"}),
		started: time.Now(),
		own:     prometheus.NewRegistry(),
	}
	r.reg.MustRegister(d.requests, d.latency)
	d.own.MustRegister(d.requests, d.latency)
	return d
}

// Observe records one request.
func (d *DataOps) Observe(appID, partition int32, op, result string, took time.Duration) {
	if d == nil {
		return
	}
	k := opKey{appID, partition, op, result}
	v, ok := d.handles.Load(k)
	if !ok {
		app := strconv.Itoa(int(appID))
		v, _ = d.handles.LoadOrStore(k, &opHandles{
			count:   d.requests.WithLabelValues(app, strconv.Itoa(int(partition)), op, result),
			latency: d.latency.WithLabelValues(app, op),
		})
	}
	h := v.(*opHandles)
	h.count.Inc()
	h.latency.Observe(took.Seconds())
}

// Summary is server-stat's text: per operation, requests, errors, average
// rate and mean latency since the server started, read back from the
// metrics themselves.
func (d *DataOps) Summary() string {
	if d == nil {
		return "no data operations are served here"
	}
	up := time.Since(d.started)
	type total struct {
		count, errors, latCount float64
		latSum                  float64
	}
	totals := map[string]*total{}
	get := func(op string) *total {
		if totals[op] == nil {
			totals[op] = &total{}
		}
		return totals[op]
	}
	families, err := d.own.Gather()
	if err != nil {
		return fmt.Sprintf("ERROR: read metrics: %v", err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			t := get(labels["op"])
			if c := m.GetCounter(); c != nil {
				t.count += c.GetValue()
				if labels["result"] != "ok" {
					t.errors += c.GetValue()
				}
			}
			if h := m.GetHistogram(); h != nil {
				t.latCount += float64(h.GetSampleCount())
				t.latSum += h.GetSampleSum()
			}
		}
	}
	ops := make([]string, 0, len(totals))
	for op := range totals {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var b strings.Builder
	fmt.Fprintf(&b, "uptime %s\n", up.Round(time.Second))
	fmt.Fprintf(&b, "%-18s %12s %8s %10s %12s\n", "op", "requests", "errors", "avg_qps", "mean_lat_us")
	for _, op := range ops {
		t := totals[op]
		mean := 0.0
		if t.latCount > 0 {
			mean = t.latSum / t.latCount * 1e6
		}
		fmt.Fprintf(&b, "%-18s %12.0f %8.0f %10.1f %12.0f\n", op, t.count, t.errors, t.count/up.Seconds(), mean)
	}
	return b.String()
}
