package replica

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// DupCollector exposes each running duplication pipeline on /metrics:
// confirmed decree, lag in decrees behind the last committed one, entries
// and bytes shipped, and failed rounds.
func (n *Node) DupCollector() prometheus.Collector { return dupCollector{n} }

type dupCollector struct{ n *Node }

var (
	dupLabels       = []string{"app_id", "partition", "dupid", "remote"}
	descDupConfirm  = prometheus.NewDesc("pegasus_dup_confirmed_decree", "Last decree the duplication's follower acknowledged every write up to (-1: unknown yet).", dupLabels, nil)
	descDupLag      = prometheus.NewDesc("pegasus_dup_lag_decrees", "Committed decrees the duplication has not shipped yet (last committed - confirmed).", dupLabels, nil)
	descDupEntries  = prometheus.NewDesc("pegasus_dup_shipped_entries_total", "Writes shipped to the follower and acknowledged.", dupLabels, nil)
	descDupBytes    = prometheus.NewDesc("pegasus_dup_shipped_bytes_total", "Bytes of writes shipped to the follower and acknowledged.", dupLabels, nil)
	descDupFailures = prometheus.NewDesc("pegasus_dup_failures_total", "Shipping rounds that failed (retried, skipped or fatal by the fail mode).", dupLabels, nil)
	descDupRunning  = prometheus.NewDesc("pegasus_dup_pipelines", "Duplication pipelines running on this server.", nil, nil)
)

func (c dupCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDupConfirm, descDupLag, descDupEntries, descDupBytes, descDupFailures, descDupRunning} {
		ch <- d
	}
}

func (c dupCollector) Collect(ch chan<- prometheus.Metric) {
	ds := c.n.duplicators()
	ch <- prometheus.MustNewConstMetric(descDupRunning, prometheus.GaugeValue, float64(len(ds)))
	for _, d := range ds {
		s, confirmed, _ := d.current()
		labels := []string{strconv.Itoa(int(d.key.gpid.Appid)), strconv.Itoa(int(d.key.gpid.PartitionIndex)),
			strconv.Itoa(int(d.key.dupid)), s.remote}
		lag := float64(0)
		if confirmed >= 0 {
			lag = float64(max(d.r.committed.Load()-confirmed, 0))
		}
		ch <- prometheus.MustNewConstMetric(descDupConfirm, prometheus.GaugeValue, float64(confirmed), labels...)
		ch <- prometheus.MustNewConstMetric(descDupLag, prometheus.GaugeValue, lag, labels...)
		ch <- prometheus.MustNewConstMetric(descDupEntries, prometheus.CounterValue, float64(d.shippedEntries.Load()), labels...)
		ch <- prometheus.MustNewConstMetric(descDupBytes, prometheus.CounterValue, float64(d.shippedBytes.Load()), labels...)
		ch <- prometheus.MustNewConstMetric(descDupFailures, prometheus.CounterValue, float64(d.failures.Load()), labels...)
	}
}
