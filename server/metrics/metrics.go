// Package metrics holds a server's Prometheus metrics: one registry per
// process with the Go runtime's collectors, plus the replica server's data
// operation counters and latency histograms per table and partition.
package metrics

import (
	"net/http"
	"strconv"
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
}
