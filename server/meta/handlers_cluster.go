package meta

import (
	"context"
	"strconv"
	"strings"

	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

func (s *Server) listNodes(_ context.Context, q *admin.ConfigurationListNodesRequest) any {
	var nodes []NodeStatus
	err := s.read(func(st *State) { nodes = st.ListNodes(q.Status) })
	resp := &admin.ConfigurationListNodesResponse{Err: ec(s.replyErrno(err)), Infos: []*admin.NodeInfo{}}
	for _, n := range nodes {
		status := admin.NodeStatus_NS_UNALIVE
		if n.Alive {
			status = admin.NodeStatus_NS_ALIVE
		}
		resp.Infos = append(resp.Infos, &admin.NodeInfo{Status: status, Node: rpcAddress(n.Addr), HpNode: hostPort(n.Addr)})
	}
	return resp
}

// levelName is a function level as the shell shows it: "steady".
func levelName(l admin.MetaFunctionLevel) string { return strings.TrimPrefix(l.String(), "fl_") }

// clusterInfo answers RPC_CM_CLUSTER_INFO. The first three keys are the
// ones every client reads; the rest describe this implementation's state.
func (s *Server) clusterInfo(_ context.Context, _ *admin.ConfigurationClusterInfoRequest) any {
	var (
		sum            Summary
		level, current admin.MetaFunctionLevel
	)
	err := s.read(func(st *State) { sum, level, current = st.Summarize(), st.Level(), st.EffectiveLevel() })
	resp := &admin.ConfigurationClusterInfoResponse{Err: ec(s.replyErrno(err)), Keys: []string{}, Values: []string{}}
	if err != nil {
		return resp
	}
	add := func(k, v string) {
		resp.Keys = append(resp.Keys, k)
		resp.Values = append(resp.Values, v)
	}
	itoa := strconv.Itoa
	add("meta_servers", strings.Join(s.opts.MetaServers, ","))
	add("primary_meta_server", s.opts.Election.Leader())
	add("meta_function_level", levelName(level))
	add("effective_function_level", levelName(current))
	add("cluster_name", s.opts.ClusterName)
	add("meta_store", s.storeName())
	add("cluster_root", s.opts.ClusterRoot)
	add("alive_node_count", itoa(sum.AliveNodes))
	add("unalive_node_count", itoa(sum.DeadNodes))
	add("available_app_count", itoa(sum.AvailableApps))
	add("dropped_app_count", itoa(sum.DroppedApps))
	add("partition_count", itoa(sum.Partitions))
	add("partitions_without_primary", itoa(sum.WithoutPrimary))
	add("pending_proposals", itoa(sum.PendingProposals))
	return resp
}

func (s *Server) storeName() string {
	if b, ok := s.store.(*metastore.Bolt); ok {
		return "bbolt:" + b.Path()
	}
	if _, ok := s.store.(*metastore.Memory); ok {
		return "memory"
	}
	if z, ok := s.store.(*metastore.ZooKeeper); ok {
		return "zookeeper:" + z.ZPath(metastore.Root)
	}
	return "external"
}

func (s *Server) controlMeta(_ context.Context, q *admin.ConfigurationMetaControlRequest) any {
	var (
		old  admin.MetaFunctionLevel
		serr error
	)
	err := s.read(func(st *State) { old, serr = st.SetLevel(q.Level) })
	if err == nil {
		err = serr
	}
	if err == nil && q.Level != admin.MetaFunctionLevel_fl_invalid {
		s.log.Info("meta: function level set", "old", levelName(old), "new", levelName(q.Level))
		s.triggerCure()
	}
	resp := &admin.ConfigurationMetaControlResponse{Err: ec(s.replyErrno(err))}
	if err == nil {
		resp.OldLevel = old
	}
	return resp
}
