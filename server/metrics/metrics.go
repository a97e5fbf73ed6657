// Package metrics holds a server's Prometheus metrics: one registry per
// process with the Go runtime's collectors, plus the replica server's data
// operation counters and latency histograms per table and partition.
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

// New returns a registry with the Go runtime and process collectors.
func New() *Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
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

	mu     sync.Mutex // guards totals
	totals map[string]*opTotal
}

// opTotal is one operation's totals since start, for server-stat.
type opTotal struct {
	count, errors uint64
	nanos         int64
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
		totals:  make(map[string]*opTotal),
	}
	r.reg.MustRegister(d.requests, d.latency)
	return d
}

// Observe records one request.
func (d *DataOps) Observe(appID, partition int32, op, result string, took time.Duration) {
	if d == nil {
		return
	}
	app := strconv.Itoa(int(appID))
	d.requests.WithLabelValues(app, strconv.Itoa(int(partition)), op, result).Inc()
	d.latency.WithLabelValues(app, op).Observe(took.Seconds())
	d.mu.Lock()
	t := d.totals[op]
	if t == nil {
		t = &opTotal{}
		d.totals[op] = t
	}
	t.count++
	if result != "ok" {
		t.errors++
	}
	t.nanos += int64(took)
	d.mu.Unlock()
}

// Summary is server-stat's text: per operation, requests, errors, average
// rate and mean latency since the server started.
func (d *DataOps) Summary() string {
	if d == nil {
		return "no data operations are served here"
	}
	up := time.Since(d.started)
	d.mu.Lock()
	defer d.mu.Unlock()
	ops := make([]string, 0, len(d.totals))
	for op := range d.totals {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var b strings.Builder
	fmt.Fprintf(&b, "uptime %s\n", up.Round(time.Second))
	fmt.Fprintf(&b, "%-18s %12s %8s %10s %12s\n", "op", "requests", "errors", "avg_qps", "mean_lat_us")
	for _, op := range ops {
		t := d.totals[op]
		mean := int64(0)
		if t.count > 0 {
			mean = t.nanos / int64(t.count) / 1000
		}
		fmt.Fprintf(&b, "%-18s %12d %8d %10.1f %12d\n", op, t.count, t.errors, float64(t.count)/up.Seconds(), mean)
	}
	return b.String()
}
