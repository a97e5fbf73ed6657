package meta

import (
	"context"
	"errors"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// The internal RPCs replica servers send (docs/cluster-protocol.md).

// ping records a beacon and acks it as the leader.
func (s *Server) ping(_ context.Context, q *replication.BeaconMsg) any {
	from, ok := nodeAddr(q.FromAddr, q.HpFromAddr)
	if !ok {
		s.log.Warn("meta: beacon without an IPv4 sender address")
		ack := s.beaconAck(q.Time, true)
		ack.Allowed = false
		return ack
	}
	var cameUp bool
	if err := s.read(func(st *State) { cameUp = st.Beacon(s.now(), from) }); err != nil {
		return s.beaconAck(q.Time, false)
	}
	if cameUp {
		s.log.Info("meta: replica server is alive", "node", from)
		s.triggerCure()
	}
	return s.beaconAck(q.Time, true)
}

// beaconAck names this server and the leader; only a master ack renews a
// replica server's lease.
func (s *Server) beaconAck(t int64, master bool) *replication.BeaconAck {
	ack := &replication.BeaconAck{
		Time:        t,
		ThisNode:    rpcAddress(s.self),
		PrimaryNode: &base.RPCAddress{},
		IsMaster:    master,
		Allowed:     true,
		HpThisNode:  hostPort(s.self),
	}
	if master {
		ack.PrimaryNode, ack.HpPrimaryNode = rpcAddress(s.self), hostPort(s.self)
	} else if l, ok := s.leaderAddr(); ok && l != s.self {
		ack.PrimaryNode, ack.HpPrimaryNode = rpcAddress(l), hostPort(l)
	}
	return ack
}

func (s *Server) configSync(_ context.Context, q *replication.ConfigurationQueryByNodeRequest) any {
	resp := &replication.ConfigurationQueryByNodeResponse{
		Partitions: []*replication.ConfigurationUpdateRequest{}, GcReplicas: []*replication.ReplicaInfo{},
	}
	n, ok := nodeAddr(q.Node, q.HpNode)
	if !ok {
		resp.Err = ec(base.ERR_INVALID_PARAMETERS)
		return resp
	}
	stored := make([]base.Gpid, 0, len(q.StoredReplicas))
	byPid := map[base.Gpid]*replication.ReplicaInfo{}
	for _, r := range q.StoredReplicas {
		if r != nil && r.Pid != nil {
			stored = append(stored, *r.Pid)
			byPid[*r.Pid] = r
		}
	}
	var (
		serving []ConfigUpdate
		gc      []base.Gpid
		serr    error
	)
	// Wait for a change in flight, so that a node never sees a half-applied
	// view of its own membership.
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	err := s.read(func(st *State) {
		serving, gc, serr = st.ConfigSync(n, stored, s.now())
		if serr == nil {
			for _, r := range byPid {
				st.RecordCommitted(n, *r.Pid, r.LastCommittedDecree)
			}
		}
	})
	if err == nil {
		err = serr
	}
	resp.Err = ec(s.replyErrno(err))
	if err != nil {
		return resp
	}
	for _, u := range serving {
		resp.Partitions = append(resp.Partitions, toUpdateRequest(u))
	}
	for _, pid := range gc {
		resp.GcReplicas = append(resp.GcReplicas, byPid[pid])
	}
	return resp
}

// updateConfiguration validates, persists and applies a replica server's
// configuration change. When the store write fails the reply is the
// transport error ERR_TRY_AGAIN, which makes the replica server retry.
func (s *Server) updateConfiguration(ctx context.Context, q *replication.ConfigurationUpdateRequest) any {
	resp := &replication.ConfigurationUpdateResponse{Config: toPartitionConfiguration(Partition{})}
	cfg, err := fromPartitionConfiguration(q.Config)
	if err != nil {
		resp.Err = ec(base.ERR_INVALID_PARAMETERS)
		return resp
	}
	node, _ := nodeAddr(q.Node, q.HpNode)
	u := ConfigUpdate{Config: cfg, Type: q.Type, Node: node}
	var reply Partition
	err = s.commit(ctx, func(st *State, _ time.Time) (c Change, err error) {
		c, reply, err = st.UpdateConfiguration(u)
		return c, err
	})
	if err == nil {
		s.log.Info("meta: configuration updated", "gpid", &cfg.Pid, "type", q.Type, "node", node,
			"ballot", reply.Ballot, "primary", reply.Primary)
	} else {
		s.log.Info("meta: configuration update refused", "gpid", &cfg.Pid, "type", q.Type, "node", node,
			"ballot", cfg.Ballot, "err", err)
	}
	var se *storeError
	if errors.As(err, &se) {
		s.log.Error("meta: state store write failed", "err", err)
		return rpc.Fail(base.ERR_TRY_AGAIN)
	}
	resp.Err = ec(s.replyErrno(err))
	if reply.Pid == cfg.Pid {
		resp.Config = toPartitionConfiguration(reply)
	}
	return resp
}
