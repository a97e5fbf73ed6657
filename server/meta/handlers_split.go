package meta

import (
	"context"
	"errors"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// Partition split RPCs (split.go): the admin ones (start, control, query)
// and the ones a splitting parent's primary sends (register child, notify
// stop split, query child state). Changes are persisted before the reply.

func (s *Server) startPartitionSplit(ctx context.Context, q *admin.StartPartitionSplitRequest) any {
	err := s.commit(ctx, func(st *State, _ time.Time) (Change, error) {
		return st.StartSplit(q.AppName, q.NewPartitionCount_)
	})
	s.logChange("start partition split", err, "app", q.AppName, "new_partition_count", q.NewPartitionCount_)
	hint := hintOf(err)
	if err == nil {
		hint = "the split started; follow it with query_partition_split"
	}
	return &admin.StartPartitionSplitResponse{Err: ec(s.replyErrno(err)), HintMsg: hint}
}

func (s *Server) controlPartitionSplit(ctx context.Context, q *admin.ControlSplitRequest) any {
	var hint string
	err := s.commit(ctx, func(st *State, _ time.Time) (c Change, err error) {
		c, hint, err = st.ControlSplit(q.AppName, q.ControlType, q.ParentPidx, q.OldPartitionCount)
		return c, err
	})
	s.logChange("control partition split", err, "app", q.AppName, "control", q.ControlType, "parent", q.ParentPidx)
	if err != nil {
		hint = hintOf(err)
	}
	return &admin.ControlSplitResponse{Err: ec(s.replyErrno(err)), HintMsg: &hint}
}

func (s *Server) queryPartitionSplit(_ context.Context, q *admin.QuerySplitRequest) any {
	var (
		count  int32
		status map[int32]admin.SplitStatus
		qerr   error
	)
	err := s.read(func(st *State) { count, status, qerr = st.QuerySplit(q.AppName) })
	if err == nil {
		err = qerr
	}
	resp := &admin.QuerySplitResponse{Err: ec(s.replyErrno(err)), Status: map[int32]admin.SplitStatus{}}
	if err != nil {
		hint := hintOf(err)
		resp.HintMsg = &hint
		return resp
	}
	resp.NewPartitionCount_, resp.Status = count, status
	return resp
}

// registerChild answers RPC_CM_REGISTER_CHILD_REPLICA. A failed store
// write is the transport error ERR_TRY_AGAIN, which the primary retries.
func (s *Server) registerChild(ctx context.Context, q *replication.RegisterChildRequest) any {
	resp := &replication.RegisterChildResponse{
		App: &layer2.AppInfo{}, ParentConfig: toPartitionConfiguration(Partition{}), ChildConfig: toPartitionConfiguration(Partition{}),
	}
	parent, perr := fromPartitionConfiguration(q.ParentConfig)
	child, cerr := fromPartitionConfiguration(q.ChildConfig)
	if err := errors.Join(perr, cerr); err != nil {
		s.log.Warn("meta: bad register child request", "err", err)
		resp.Err = ec(base.ERR_INVALID_PARAMETERS)
		return resp
	}
	var (
		app              App
		storedP, storedC Partition
	)
	err := s.commit(ctx, func(st *State, _ time.Time) (c Change, err error) {
		c, app, storedP, storedC, err = st.RegisterChild(parent, child)
		return c, err
	})
	s.logChange("register split child", err, "parent", &parent.Pid, "child", &child.Pid, "ballot", child.Ballot)
	var se *storeError
	if errors.As(err, &se) {
		return rpc.Fail(base.ERR_TRY_AGAIN)
	}
	resp.Err = ec(s.replyErrno(err))
	if app.ID != 0 {
		resp.App = toAppInfo(app)
	}
	if storedP.Pid == parent.Pid {
		resp.ParentConfig = toPartitionConfiguration(storedP)
	}
	if storedC.Pid == child.Pid {
		resp.ChildConfig = toPartitionConfiguration(storedC)
	}
	return resp
}

// notifyStopSplit answers RPC_CM_NOTIFY_STOP_SPLIT.
func (s *Server) notifyStopSplit(ctx context.Context, q *replication.NotifyStopSplitRequest) any {
	if q.ParentGpid == nil {
		return &replication.NotifyStopSplitResponse{Err: ec(base.ERR_INVALID_PARAMETERS)}
	}
	pid := *q.ParentGpid
	err := s.commit(ctx, func(st *State, _ time.Time) (Change, error) {
		return st.NotifyStopSplit(q.AppName, pid, q.MetaSplitStatus, q.PartitionCount)
	})
	s.logChange("stop split confirmed", err, "app", q.AppName, "parent", &pid, "status", q.MetaSplitStatus)
	var se *storeError
	if errors.As(err, &se) {
		return rpc.Fail(base.ERR_TRY_AGAIN)
	}
	return &replication.NotifyStopSplitResponse{Err: ec(s.replyErrno(err))}
}

// queryChildState answers RPC_CM_QUERY_CHILD_STATE.
func (s *Server) queryChildState(_ context.Context, q *replication.QueryChildStateRequest) any {
	resp := &replication.QueryChildStateResponse{}
	if q.Pid == nil {
		resp.Err = ec(base.ERR_INVALID_PARAMETERS)
		return resp
	}
	var (
		count int32
		child Partition
		qerr  error
	)
	err := s.read(func(st *State) { count, child, qerr = st.QueryChildState(q.AppName, *q.Pid, q.PartitionCount) })
	if err == nil {
		err = qerr
	}
	resp.Err = ec(s.replyErrno(err))
	if count > 0 {
		resp.PartitionCount = &count
	}
	if err == nil {
		resp.ChildConfig = toPartitionConfiguration(child)
	}
	return resp
}
