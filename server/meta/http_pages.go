package meta

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pegasus-go/pegasus/server/status"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// What the meta server shows operators over HTTP: the JSON pages under
// /meta/ and the gauges it adds to /metrics. Both read the state the
// leader holds; a meta server that does not lead has none, so its pages
// redirect (307) to the leader when the election names one, and answer 503
// otherwise — always with a JSON body {"error", "leader"}.

// RegisterHTTP adds the /meta/ pages to mux:
//
//	/meta/cluster              ClusterView
//	/meta/apps                 {"apps": [AppView]}, dropped tables included
//	/meta/app?name=T           AppDetail: the table and its partitions
//	/meta/nodes                {"nodes": [NodeView]}
//	/meta/app_envs?name=T      {"app_name", "app_id", "envs"}
//	/meta/backup_policy        {"policies": [PolicyView]}
//	/meta/duplication          {"duplications": [DupPageView]}
func (s *Server) RegisterHTTP(mux *http.ServeMux) {
	page := func(path string, fn func(r *http.Request) (any, error)) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			v, err := fn(r)
			if err != nil {
				s.writePageError(w, r, err)
				return
			}
			status.WriteJSON(w, v)
		})
	}
	page("/meta/cluster", func(*http.Request) (any, error) { return s.ClusterView() })
	page("/meta/apps", func(*http.Request) (any, error) {
		apps, err := s.AppViews()
		return map[string]any{"apps": apps}, err
	})
	page("/meta/app", func(r *http.Request) (any, error) {
		name, err := tableParam(r)
		if err != nil {
			return nil, err
		}
		return s.AppDetail(name)
	})
	page("/meta/nodes", func(*http.Request) (any, error) {
		nodes, err := s.NodeViews()
		return map[string]any{"nodes": nodes}, err
	})
	page("/meta/app_envs", func(r *http.Request) (any, error) {
		name, err := tableParam(r)
		if err != nil {
			return nil, err
		}
		d, err := s.AppDetail(name)
		if err != nil {
			return nil, err
		}
		return map[string]any{"app_name": d.App.Name, "app_id": d.App.ID, "envs": d.App.Envs}, nil
	})
	page("/meta/backup_policy", func(r *http.Request) (any, error) {
		if !s.leading() {
			return nil, errNotLeading
		}
		pols, err := s.PolicyViews(r.Context())
		return map[string]any{"policies": pols}, err
	})
	page("/meta/duplication", func(*http.Request) (any, error) {
		dups, err := s.DupPageViews()
		return map[string]any{"duplications": dups}, err
	})
}

// pageError is an HTTP answer other than 200.
type pageError struct {
	code int
	msg  string
}

func (e *pageError) Error() string { return e.msg }

func tableParam(r *http.Request) (string, error) {
	name := r.URL.Query().Get("name")
	if name == "" {
		return "", &pageError{http.StatusBadRequest, "missing parameter: name=<table>"}
	}
	return name, nil
}

func (s *Server) writePageError(w http.ResponseWriter, r *http.Request, err error) {
	code, body := http.StatusInternalServerError, map[string]string{"error": err.Error()}
	var pe *pageError
	switch {
	case errors.As(err, &pe):
		code = pe.code
	case errors.Is(err, errNotLeading):
		leader := s.opts.Election.Leader()
		body["leader"] = leader
		if leader != "" && leader != s.opts.Address {
			body["error"] = "this meta server does not lead; ask " + leader
			u := *r.URL
			u.Scheme, u.Host = "http", leader
			w.Header().Set("Location", u.String())
			code = http.StatusTemporaryRedirect
		} else {
			body["error"] = "no meta server leads yet (or this one is still loading its state)"
			code = http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	status.WriteJSON(w, body)
}

// ClusterView is /meta/cluster: cluster_info's figures as JSON.
type ClusterView struct {
	ClusterName              string   `json:"cluster_name"`
	MetaServers              []string `json:"meta_servers"`
	PrimaryMetaServer        string   `json:"primary_meta_server"`
	MetaFunctionLevel        string   `json:"meta_function_level"`
	EffectiveFunctionLevel   string   `json:"effective_function_level"`
	MetaStore                string   `json:"meta_store"`
	AliveNodeCount           int      `json:"alive_node_count"`
	UnaliveNodeCount         int      `json:"unalive_node_count"`
	AvailableAppCount        int      `json:"available_app_count"`
	DroppedAppCount          int      `json:"dropped_app_count"`
	PartitionCount           int      `json:"partition_count"`
	PartitionsWithoutPrimary int      `json:"partitions_without_primary"`
	PendingProposals         int      `json:"pending_proposals"`
}

// ClusterView summarises the cluster, as the leader knows it.
func (s *Server) ClusterView() (ClusterView, error) {
	v := ClusterView{ClusterName: s.opts.ClusterName, MetaServers: s.opts.MetaServers,
		PrimaryMetaServer: s.opts.Election.Leader(), MetaStore: s.storeName()}
	err := s.read(func(st *State) {
		sum := st.Summarize()
		v.MetaFunctionLevel, v.EffectiveFunctionLevel = levelName(st.Level()), levelName(st.EffectiveLevel())
		v.AliveNodeCount, v.UnaliveNodeCount = sum.AliveNodes, sum.DeadNodes
		v.AvailableAppCount, v.DroppedAppCount = sum.AvailableApps, sum.DroppedApps
		v.PartitionCount, v.PartitionsWithoutPrimary = sum.Partitions, sum.WithoutPrimary
		v.PendingProposals = sum.PendingProposals
	})
	return v, err
}

// Levels returns the function level set by control_meta and the one the
// meta acts at (capped at freezed while too few replica servers live).
func (s *Server) Levels() (level, effective string, err error) {
	err = s.read(func(st *State) { level, effective = levelName(st.Level()), levelName(st.EffectiveLevel()) })
	return level, effective, err
}

// AppView is a table on /meta/apps and /meta/app.
type AppView struct {
	ID               int32             `json:"app_id"`
	Name             string            `json:"app_name"`
	Type             string            `json:"app_type"`
	Status           string            `json:"status"` // "available" or "dropped"
	PartitionCount   int32             `json:"partition_count"`
	MaxReplicaCount  int32             `json:"max_replica_count"`
	IsStateful       bool              `json:"is_stateful"`
	AtomicIdempotent bool              `json:"atomic_idempotent"`
	CreateTime       string            `json:"create_time"`
	DropTime         string            `json:"drop_time,omitempty"`
	ExpireTime       string            `json:"expire_time,omitempty"`
	Envs             map[string]string `json:"envs"`
	// SplitFrom is the partition count before the split under way, 0
	// when the table is not splitting.
	SplitFrom int32 `json:"split_from,omitempty"`
}

func appView(a App) AppView {
	a = a.Clone()
	when := func(sec int64) string {
		if sec == 0 {
			return ""
		}
		return time.Unix(sec, 0).UTC().Format(time.RFC3339)
	}
	return AppView{ID: a.ID, Name: a.Name, Type: a.Type,
		Status:         strings.ToLower(strings.TrimPrefix(a.Status.String(), "AS_")),
		PartitionCount: a.PartitionCount, MaxReplicaCount: a.MaxReplicaCount,
		IsStateful: a.IsStateful, AtomicIdempotent: a.AtomicIdempotent,
		CreateTime: when(a.CreateSecond), DropTime: when(a.DropSecond), ExpireTime: when(a.ExpireSecond), Envs: a.Envs,
		SplitFrom: a.parentCount()}
}

// AppViews lists every table the meta server holds, in id order.
func (s *Server) AppViews() ([]AppView, error) {
	out := []AppView{}
	err := s.read(func(st *State) {
		for _, id := range st.tableIDs() {
			out = append(out, appView(st.tables[id].app))
		}
	})
	return out, err
}

// PartitionView is one partition on /meta/app.
type PartitionView struct {
	Index               int32    `json:"pidx"`
	Ballot              int64    `json:"ballot"`
	Primary             string   `json:"primary"` // "" when none
	Secondaries         []string `json:"secondaries"`
	LastDrops           []string `json:"last_drops"`
	LastCommittedDecree int64    `json:"last_committed_decree"`
	MaxReplicaCount     int32    `json:"max_replica_count"`
	Health              string   `json:"health"`
	// SplitStatus is a splitting parent's status (SPLITTING, PAUSING,
	// PAUSED, CANCELING), absent otherwise.
	SplitStatus string `json:"split_status,omitempty"`
}

// AppDetail is /meta/app: a table, its partitions and how many partitions
// are in each health state.
type AppDetail struct {
	App        AppView         `json:"app"`
	Partitions []PartitionView `json:"partitions"`
	Health     map[string]int  `json:"health"`
}

// Partition health as upstream names it (design notes §3.13).
const (
	HealthHealthy     = "healthy"      // every replica present
	HealthWritableIll = "writable_ill" // writable, fewer replicas than configured
	HealthUnwritable  = "unwritable"   // a primary, but below the write quorum
	HealthUnreadable  = "unreadable"   // no primary
	HealthDead        = "dead"         // no member at all
	// HealthSplitting is a split child its parent has not registered yet:
	// no members by design, its keys served by the parent.
	HealthSplitting = "splitting"
)

// healthNames lists the health states in order, best first.
var healthNames = []string{HealthHealthy, HealthWritableIll, HealthUnwritable, HealthUnreadable, HealthDead, HealthSplitting}

// writeQuorum is the members a primary needs to take writes (the replica
// servers' default mutation_2pc_min_replica_count, capped by the table's
// replica count).
const writeQuorum = 2

// Health classifies a partition.
func (p Partition) Health() string {
	members := len(p.Members())
	switch {
	case p.Ballot == childBallot:
		return HealthSplitting
	case members == 0:
		return HealthDead
	case !p.HasPrimary():
		return HealthUnreadable
	case members < min(writeQuorum, int(p.MaxReplicaCount)):
		return HealthUnwritable
	case members < int(p.MaxReplicaCount):
		return HealthWritableIll
	}
	return HealthHealthy
}

// AppDetail describes an available table and every partition's
// configuration.
func (s *Server) AppDetail(name string) (AppDetail, error) {
	var (
		d     AppDetail
		found bool
	)
	err := s.read(func(st *State) {
		t, ok := st.availableTable(name)
		if !ok {
			return
		}
		found = true
		d.App = appView(t.app)
		d.Health = map[string]int{}
		for _, h := range healthNames {
			d.Health[h] = 0
		}
		for _, p := range t.parts {
			pv := PartitionView{Index: p.Pid.PartitionIndex, Ballot: p.Ballot, Secondaries: addrStrings(p.Secondaries),
				LastDrops: addrStrings(p.LastDrops), LastCommittedDecree: p.LastCommittedDecree,
				MaxReplicaCount: p.MaxReplicaCount, Health: p.Health()}
			if p.HasPrimary() {
				pv.Primary = p.Primary.String()
			}
			if st := t.app.syncSplitStatus(p.Pid.PartitionIndex); st != admin.SplitStatus_NOT_SPLIT {
				pv.SplitStatus = st.String()
			}
			d.Health[pv.Health]++
			d.Partitions = append(d.Partitions, pv)
		}
	})
	if err == nil && !found {
		err = &pageError{http.StatusNotFound, fmt.Sprintf("no available table %q", name)}
	}
	return d, err
}

// NodeView is a replica server on /meta/nodes, with what it serves.
type NodeView struct {
	Address        string `json:"address"`
	Status         string `json:"status"` // ALIVE or UNALIVE, as list_nodes names them
	PrimaryCount   int    `json:"primary_count"`
	SecondaryCount int    `json:"secondary_count"`
	ReplicaCount   int    `json:"replica_count"`
}

// NodeViews lists every known replica server in address order with its
// primaries and secondaries over the available tables.
func (s *Server) NodeViews() ([]NodeView, error) {
	out := []NodeView{}
	err := s.read(func(st *State) {
		index := map[netip.AddrPort]int{}
		for _, n := range st.Nodes() {
			status := "UNALIVE"
			if n.Alive {
				status = "ALIVE"
			}
			index[n.Addr] = len(out)
			out = append(out, NodeView{Address: n.Addr.String(), Status: status})
		}
		for _, id := range st.tableIDs() {
			t := st.tables[id]
			if !t.app.Available() {
				continue
			}
			for _, p := range t.parts {
				if i, ok := index[p.Primary]; ok && p.HasPrimary() {
					out[i].PrimaryCount++
					out[i].ReplicaCount++
				}
				for _, sec := range p.Secondaries {
					if i, ok := index[sec]; ok {
						out[i].SecondaryCount++
						out[i].ReplicaCount++
					}
				}
			}
		}
	})
	return out, err
}

// Collector exposes the leader's view on /metrics: tables by status,
// partitions by health, replica servers by liveness, and whether this
// server leads. A server that does not lead reports only the last.
func (s *Server) Collector() prometheus.Collector { return metaCollector{s} }

type metaCollector struct{ s *Server }

var (
	descMetaLeader     = prometheus.NewDesc("pegasus_meta_leader", "1 if this meta server leads the cluster (and has loaded its state), else 0.", nil, nil)
	descMetaTables     = prometheus.NewDesc("pegasus_meta_tables", "Tables the meta server holds, by status (available, dropped).", []string{"status"}, nil)
	descMetaPartitions = prometheus.NewDesc("pegasus_meta_partitions", "Partitions of available tables by health (healthy, writable_ill, unwritable, unreadable, dead).", []string{"health"}, nil)
	descMetaNodes      = prometheus.NewDesc("pegasus_meta_nodes", "Replica servers known to the meta server, by status (alive, unalive).", []string{"status"}, nil)
)

func (c metaCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMetaLeader, descMetaTables, descMetaPartitions, descMetaNodes} {
		ch <- d
	}
}

func (c metaCollector) Collect(ch chan<- prometheus.Metric) {
	tables := map[string]int{"available": 0, "dropped": 0}
	health := map[string]int{}
	for _, h := range healthNames {
		health[h] = 0
	}
	nodes := map[string]int{"alive": 0, "unalive": 0}
	err := c.s.read(func(st *State) {
		for _, t := range st.tables {
			if !t.app.Available() {
				tables["dropped"]++
				continue
			}
			tables["available"]++
			for _, p := range t.parts {
				health[p.Health()]++
			}
		}
		for _, n := range st.nodes {
			if n.alive {
				nodes["alive"]++
			} else {
				nodes["unalive"]++
			}
		}
	})
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descMetaLeader, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descMetaLeader, prometheus.GaugeValue, 1)
	emit := func(d *prometheus.Desc, m map[string]int) {
		for k, v := range m {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), k)
		}
	}
	emit(descMetaTables, tables)
	emit(descMetaPartitions, health)
	emit(descMetaNodes, nodes)
}
