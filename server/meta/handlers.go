package meta

import (
	"context"
	"net/netip"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// Register adds the meta RPCs to rs: the ones this server implements, and
// every other meta RPC of the catalogue answered with ERR_NOT_IMPLEMENTED.
func (s *Server) Register(rs *rpc.Server) {
	// Clients and admin tools (protocol.md §2.3).
	handle(s, rs, catalog.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX, s.queryConfig)
	handle(s, rs, catalog.RPC_CM_CREATE_APP, s.createApp)
	handle(s, rs, catalog.RPC_CM_DROP_APP, s.dropApp)
	handle(s, rs, catalog.RPC_CM_RECALL_APP, s.recallApp)
	handle(s, rs, catalog.RPC_CM_RENAME_APP, s.renameApp)
	handle(s, rs, catalog.RPC_CM_LIST_APPS, s.listApps)
	handle(s, rs, catalog.RPC_CM_UPDATE_APP_ENV, s.updateAppEnv)
	handle(s, rs, catalog.RPC_CM_GET_MAX_REPLICA_COUNT, s.getMaxReplicaCount)
	handle(s, rs, catalog.RPC_CM_SET_MAX_REPLICA_COUNT, s.setMaxReplicaCount)
	handle(s, rs, catalog.RPC_CM_GET_ATOMIC_IDEMPOTENT, s.getAtomicIdempotent)
	handle(s, rs, catalog.RPC_CM_SET_ATOMIC_IDEMPOTENT, s.setAtomicIdempotent)
	handle(s, rs, catalog.RPC_CM_LIST_NODES, s.listNodes)
	handle(s, rs, catalog.RPC_CM_CLUSTER_INFO, s.clusterInfo)
	handle(s, rs, catalog.RPC_CM_CONTROL_META, s.controlMeta)
	handle(s, rs, catalog.RPC_CM_START_BACKUP_APP, s.startBackupApp)
	handle(s, rs, catalog.RPC_CM_QUERY_BACKUP_STATUS, s.queryBackupStatus)
	handle(s, rs, catalog.RPC_CM_ADD_BACKUP_POLICY, s.addBackupPolicy)
	handle(s, rs, catalog.RPC_CM_QUERY_BACKUP_POLICY, s.queryBackupPolicy)
	handle(s, rs, catalog.RPC_CM_MODIFY_BACKUP_POLICY, s.modifyBackupPolicy)
	handle(s, rs, catalog.RPC_CM_START_RESTORE, s.startRestore)
	handle(s, rs, catalog.RPC_CM_QUERY_RESTORE_STATUS, s.queryRestoreStatus)
	handle(s, rs, catalog.RPC_CM_REPORT_RESTORE_STATUS, s.reportRestore)
	handle(s, rs, catalog.RPC_CM_PROPOSE_BALANCER, s.proposeBalancer)
	handle(s, rs, catalog.RPC_CM_START_PARTITION_SPLIT, s.startPartitionSplit)
	handle(s, rs, catalog.RPC_CM_CONTROL_PARTITION_SPLIT, s.controlPartitionSplit)
	handle(s, rs, catalog.RPC_CM_QUERY_PARTITION_SPLIT, s.queryPartitionSplit)
	handle(s, rs, catalog.RPC_CM_ADD_DUPLICATION, s.addDuplication)
	handle(s, rs, catalog.RPC_CM_MODIFY_DUPLICATION, s.modifyDuplication)
	handle(s, rs, catalog.RPC_CM_QUERY_DUPLICATION, s.queryDuplication)
	handle(s, rs, catalog.RPC_CM_LIST_DUPLICATION, s.listDuplication)
	// Replica servers (docs/cluster-protocol.md).
	handle(s, rs, catalog.RPC_FD_FAILURE_DETECTOR_PING, s.ping)
	handle(s, rs, catalog.RPC_CM_CONFIG_SYNC, s.configSync)
	handle(s, rs, catalog.RPC_CM_UPDATE_PARTITION_CONFIGURATION, s.updateConfiguration)
	handle(s, rs, catalog.RPC_CM_REGISTER_CHILD_REPLICA, s.registerChild)
	handle(s, rs, catalog.RPC_CM_NOTIFY_STOP_SPLIT, s.notifyStopSplit)
	handle(s, rs, catalog.RPC_CM_QUERY_CHILD_STATE, s.queryChildState)
	handle(s, rs, catalog.RPC_CM_DUPLICATION_SYNC, s.duplicationSync)

	for _, e := range catalog.All() {
		if e.Target != catalog.Meta || e.Reserved || s.implements(e.Name) {
			continue
		}
		rs.Handle(e.Name, s.notImplemented(e))
	}
}

// implemented lists the RPC names Register serves itself.
var implemented = map[string]bool{
	catalog.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX: true,
	catalog.RPC_CM_CREATE_APP:                      true,
	catalog.RPC_CM_DROP_APP:                        true,
	catalog.RPC_CM_RECALL_APP:                      true,
	catalog.RPC_CM_RENAME_APP:                      true,
	catalog.RPC_CM_LIST_APPS:                       true,
	catalog.RPC_CM_UPDATE_APP_ENV:                  true,
	catalog.RPC_CM_GET_MAX_REPLICA_COUNT:           true,
	catalog.RPC_CM_SET_MAX_REPLICA_COUNT:           true,
	catalog.RPC_CM_GET_ATOMIC_IDEMPOTENT:           true,
	catalog.RPC_CM_SET_ATOMIC_IDEMPOTENT:           true,
	catalog.RPC_CM_LIST_NODES:                      true,
	catalog.RPC_CM_CLUSTER_INFO:                    true,
	catalog.RPC_CM_CONTROL_META:                    true,
	catalog.RPC_CM_START_BACKUP_APP:                true,
	catalog.RPC_CM_QUERY_BACKUP_STATUS:             true,
	catalog.RPC_CM_ADD_BACKUP_POLICY:               true,
	catalog.RPC_CM_QUERY_BACKUP_POLICY:             true,
	catalog.RPC_CM_MODIFY_BACKUP_POLICY:            true,
	catalog.RPC_CM_START_RESTORE:                   true,
	catalog.RPC_CM_QUERY_RESTORE_STATUS:            true,
	catalog.RPC_CM_REPORT_RESTORE_STATUS:           true,
	catalog.RPC_CM_PROPOSE_BALANCER:                true,
	catalog.RPC_CM_START_PARTITION_SPLIT:           true,
	catalog.RPC_CM_CONTROL_PARTITION_SPLIT:         true,
	catalog.RPC_CM_QUERY_PARTITION_SPLIT:           true,
	catalog.RPC_CM_ADD_DUPLICATION:                 true,
	catalog.RPC_CM_MODIFY_DUPLICATION:              true,
	catalog.RPC_CM_QUERY_DUPLICATION:               true,
	catalog.RPC_CM_LIST_DUPLICATION:                true,
	catalog.RPC_CM_DUPLICATION_SYNC:                true,
	catalog.RPC_FD_FAILURE_DETECTOR_PING:           true,
	catalog.RPC_CM_CONFIG_SYNC:                     true,
	catalog.RPC_CM_UPDATE_PARTITION_CONFIGURATION:  true,
	catalog.RPC_CM_REGISTER_CHILD_REPLICA:          true,
	catalog.RPC_CM_NOTIFY_STOP_SPLIT:               true,
	catalog.RPC_CM_QUERY_CHILD_STATE:               true,
}

func (s *Server) implements(name string) bool { return implemented[name] }

// handle registers fn for an RPC whose request type is Q. It decodes the
// args (a missing request reads as a zero one, so no handler sees nil),
// answers for a non-leader, and wraps fn's response in the result struct;
// fn may return an rpc.Reply instead to answer with a transport error.
func handle[Q any](s *Server, rs *rpc.Server, name string, fn func(ctx context.Context, q *Q) any) {
	e, ok := catalog.Lookup(name)
	if !ok {
		panic("meta: " + name + " is not in the catalogue") // a programming error, caught by every test
	}
	rs.Handle(name, func(ctx context.Context, req *rpc.Request) rpc.Reply {
		args := e.NewArgs()
		if err := req.DecodeArgs(args); err != nil {
			s.log.Warn("meta: bad request", "rpc", name, "remote", req.Remote, "err", err)
			return rpc.Fail(base.ERR_INVALID_DATA)
		}
		if !s.leading() {
			return s.notLeadingReply(e)
		}
		v, _ := e.Request(args)
		q, _ := v.(*Q)
		if q == nil {
			q = new(Q)
		}
		resp := fn(ctx, q)
		if r, ok := resp.(rpc.Reply); ok {
			return r
		}
		result, err := e.NewResultWith(resp)
		if err != nil {
			s.log.Error("meta: build reply", "rpc", name, "err", err)
			return rpc.Fail(base.ERR_UNKNOWN)
		}
		return rpc.OK(result)
	})
}

// notLeadingReply answers as protocol.md §6.3 says: query_cfg names the
// leader in partitions[0], a beacon is acked with is_master = false and the
// leader, everything else gets its err set.
func (s *Server) notLeadingReply(e catalog.Entry) rpc.Reply {
	errno := s.notLeadingErrno()
	var resp any
	switch e.Name {
	case catalog.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX:
		resp = s.forwardQueryConfig(errno)
	case catalog.RPC_FD_FAILURE_DETECTOR_PING:
		resp = s.beaconAck(0, false)
	}
	if resp != nil {
		result, err := e.NewResultWith(resp)
		if err == nil {
			return rpc.OK(result)
		}
		s.log.Error("meta: build reply", "rpc", e.Name, "err", err)
		return rpc.Fail(base.ERR_UNKNOWN)
	}
	result, err := errorResult(e, errno)
	if err != nil {
		s.log.Error("meta: build reply", "rpc", e.Name, "err", err)
		return rpc.Fail(base.ERR_UNKNOWN)
	}
	return rpc.OK(result)
}

func (s *Server) forwardQueryConfig(errno base.Errno) *layer2.QueryCfgResponse {
	resp := &layer2.QueryCfgResponse{Err: base.NewErrorCode(errno), Partitions: []*layer2.PartitionConfiguration{}}
	leader, ok := s.leaderAddr()
	if errno == base.ERR_FORWARD_TO_OTHERS && ok {
		resp.Partitions = append(resp.Partitions, &layer2.PartitionConfiguration{
			Pid:         &base.Gpid{},
			Primary:     rpcAddress(leader),
			Secondaries: []*base.RPCAddress{},
			LastDrops:   []*base.RPCAddress{},
			HpPrimary:   hostPort(leader),
		})
	}
	return resp
}

// leaderAddr is the leader's IPv4 endpoint, if the election names one.
func (s *Server) leaderAddr() (netip.AddrPort, bool) {
	return parseIPv4(s.opts.Election.Leader())
}

// notImplemented answers an RPC this meta server does not serve yet with
// its response struct and err = ERR_NOT_IMPLEMENTED.
func (s *Server) notImplemented(e catalog.Entry) rpc.Handler {
	return func(_ context.Context, req *rpc.Request) rpc.Reply {
		if args := e.NewArgs(); args != nil {
			if err := req.DecodeArgs(args); err != nil {
				return rpc.Fail(base.ERR_INVALID_DATA)
			}
		}
		errno := base.ERR_NOT_IMPLEMENTED
		if !s.leading() {
			errno = s.notLeadingErrno()
		}
		result, err := errorResult(e, errno)
		if err != nil {
			s.log.Error("meta: build reply", "rpc", e.Name, "err", err)
			return rpc.Fail(base.ERR_NOT_IMPLEMENTED)
		}
		return rpc.OK(result)
	}
}
