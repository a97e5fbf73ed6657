package config

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"
)

// MaxClusterID is the largest duplication cluster id: the id fills 7 bits
// of a value's timetag (timestamp_us << 8 | cluster_id << 1 | delete_tag).
const MaxClusterID = 127

// Duplication configures cross-cluster duplication ([duplication],
// docs/duplication.md). Meta and replica servers both read it. Without
// the section duplication is disabled and writes carry cluster id 0.
type Duplication struct {
	// ClusterName is this cluster's name in the duplication group; it must
	// be one of Clusters.
	ClusterName string `toml:"cluster_name"`
	// SyncInterval: how often a replica server reports duplication progress
	// to the meta server (RPC_CM_DUPLICATION_SYNC). Default 10s.
	SyncInterval Duration `toml:"sync_interval"`
	// ProgressPersistInterval: the meta server stores a partition's
	// confirmed decree at most this often (and always on pause and
	// remove). Default 5s.
	ProgressPersistInterval Duration `toml:"progress_persist_interval"`
	// Clusters names every cluster of the group, this one included
	// ([duplication.clusters.<name>]).
	Clusters map[string]DupCluster `toml:"clusters"`
}

// DupCluster is one cluster of the duplication group.
type DupCluster struct {
	// ID is the cluster's duplication id, 1..127, unique in the group; it
	// goes into the timetag of every value the cluster writes.
	ID int `toml:"id"`
	// Metas are the cluster's meta servers ("host:port").
	Metas []string `toml:"metas"`
}

// Enabled reports whether the section configures duplication.
func (d Duplication) Enabled() bool { return d.ClusterName != "" || len(d.Clusters) > 0 }

// SelfID is this cluster's duplication id; 0 when duplication is disabled.
func (d Duplication) SelfID() int {
	if c, ok := d.Clusters[d.ClusterName]; ok {
		return c.ID
	}
	return 0
}

// Names lists the configured clusters, sorted.
func (d Duplication) Names() []string {
	names := make([]string, 0, len(d.Clusters))
	for n := range d.Clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ClusterByID finds the cluster with duplication id id.
func (d Duplication) ClusterByID(id int) (string, DupCluster, bool) {
	for n, c := range d.Clusters {
		if c.ID == id {
			return n, c, true
		}
	}
	return "", DupCluster{}, false
}

func (d *Duplication) fill() {
	if d.SyncInterval.Duration <= 0 {
		d.SyncInterval.Duration = 10 * time.Second
	}
	if d.ProgressPersistInterval.Duration <= 0 {
		d.ProgressPersistInterval.Duration = 5 * time.Second
	}
}

// Validate checks the section: when used, cluster_name names one of the
// clusters, every id lies in 1..127 and is unique, and every cluster
// lists at least one meta server as an IPv4 host:port.
func (d Duplication) Validate() error {
	if !d.Enabled() {
		return nil
	}
	if d.ClusterName == "" {
		return fmt.Errorf("duplication: cluster_name is required when [duplication.clusters] is set")
	}
	if _, ok := d.Clusters[d.ClusterName]; !ok {
		return fmt.Errorf("duplication: cluster_name %q is not among the clusters [%s]", d.ClusterName, strings.Join(d.Names(), ", "))
	}
	byID := map[int]string{}
	for _, n := range d.Names() {
		c := d.Clusters[n]
		if c.ID < 1 || c.ID > MaxClusterID {
			return fmt.Errorf("duplication: cluster %q: id %d outside 1..%d", n, c.ID, MaxClusterID)
		}
		if other, dup := byID[c.ID]; dup {
			return fmt.Errorf("duplication: clusters %q and %q share id %d", other, n, c.ID)
		}
		byID[c.ID] = n
		if len(c.Metas) == 0 {
			return fmt.Errorf("duplication: cluster %q lists no metas", n)
		}
		for _, m := range c.Metas {
			if _, err := netip.ParseAddrPort(m); err != nil {
				return fmt.Errorf("duplication: cluster %q: meta %q is not a host:port: %w", n, m, err)
			}
		}
	}
	return nil
}
