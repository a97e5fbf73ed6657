package status

import (
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
)

// DiskCollector reports the size and free space of the filesystem holding
// dir, read on every scrape: pegasus_disk_capacity_bytes and
// pegasus_disk_available_bytes (what an unprivileged process may still
// write), labelled with the directory.
func DiskCollector(dir string) prometheus.Collector { return diskCollector{dir} }

type diskCollector struct{ dir string }

var (
	descDiskCapacity  = prometheus.NewDesc("pegasus_disk_capacity_bytes", "Size of the filesystem holding the server's data directory.", []string{"dir"}, nil)
	descDiskAvailable = prometheus.NewDesc("pegasus_disk_available_bytes", "Free space an unprivileged process may still use on the filesystem holding the data directory.", []string{"dir"}, nil)
)

func (c diskCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descDiskCapacity
	ch <- descDiskAvailable
}

func (c diskCollector) Collect(ch chan<- prometheus.Metric) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(c.dir, &st); err != nil {
		return // the directory is gone: nothing to report this scrape
	}
	bs := float64(st.Bsize)
	ch <- prometheus.MustNewConstMetric(descDiskCapacity, prometheus.GaugeValue, float64(st.Blocks)*bs, c.dir)
	ch <- prometheus.MustNewConstMetric(descDiskAvailable, prometheus.GaugeValue, float64(st.Bavail)*bs, c.dir)
}
