package meta

import (
	"context"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
)

// Duplication RPCs (docs/duplication.md): the four admin ones and the
// replica servers' RPC_CM_DUPLICATION_SYNC. Every change is stored before
// the reply (Server.commit).

func (s *Server) addDuplication(ctx context.Context, q *admin.DuplicationAddRequest) any {
	r := DupAddRequest{
		App: q.AppName, Remote: q.RemoteClusterName, Checkpoint: q.GetIsDuplicatingCheckpoint(),
		RemoteAppName: q.GetRemoteAppName(), RemoteReplicaCount: q.GetRemoteReplicaCount(),
	}
	var d Duplication
	err := s.commit(ctx, func(st *State, now time.Time) (c Change, err error) {
		c, d, err = st.AddDuplication(r, now)
		return c, err
	})
	s.logChange("add duplication", err, "app", r.App, "remote", r.Remote, "dupid", d.ID, "checkpoint", r.Checkpoint)
	resp := &admin.DuplicationAddResponse{Err: ec(s.replyErrno(err)), Appid: d.AppID, Dupid: d.ID}
	if err != nil {
		hint := hintOf(err)
		resp.Hint = &hint
	}
	if d.ID != 0 {
		name, n := d.RemoteAppName, d.RemoteReplicaCount
		resp.RemoteAppName, resp.RemoteReplicaCount = &name, &n
	}
	return resp
}

func (s *Server) modifyDuplication(ctx context.Context, q *admin.DuplicationModifyRequest) any {
	r := DupModifyRequest{App: q.AppName, ID: q.Dupid, Status: q.Status, FailMode: q.FailMode}
	var app int32
	err := s.commit(ctx, func(st *State, now time.Time) (c Change, err error) {
		c, app, err = st.ModifyDuplication(r, now)
		return c, err
	})
	attrs := []any{"app", r.App, "dupid", r.ID}
	if r.Status != nil {
		attrs = append(attrs, "status", *r.Status)
	}
	if r.FailMode != nil {
		attrs = append(attrs, "fail_mode", *r.FailMode)
	}
	s.logChange("modify duplication", err, attrs...)
	return &admin.DuplicationModifyResponse{Err: ec(s.replyErrno(err)), Appid: app}
}

func (s *Server) queryDuplication(_ context.Context, q *admin.DuplicationQueryRequest) any {
	var (
		app  App
		dups []DupView
		qerr error
	)
	now := s.now()
	err := s.read(func(st *State) { app, dups, qerr = st.QueryDuplications(q.AppName, now) })
	if err == nil {
		err = qerr
	}
	resp := &admin.DuplicationQueryResponse{Err: ec(s.replyErrno(err)), Appid: app.ID, EntryList: []*admin.DuplicationEntry{}}
	for _, d := range dups {
		resp.EntryList = append(resp.EntryList, toDupEntry(d, true))
	}
	return resp
}

func (s *Server) listDuplication(_ context.Context, q *admin.DuplicationListRequest) any {
	var (
		apps []AppDups
		lerr error
	)
	now := s.now()
	match := q.MatchType
	err := s.read(func(st *State) { apps, lerr = st.ListDuplications(q.AppNamePattern, &match, now) })
	if err == nil {
		err = lerr
	}
	resp := &admin.DuplicationListResponse{
		Err: ec(s.replyErrno(err)), HintMessage: hintOf(err), AppStates: map[string]*admin.DuplicationAppState{},
	}
	for _, a := range apps {
		as := &admin.DuplicationAppState{
			Appid: a.App.ID, AppName: a.App.Name, PartitionCount: a.App.PartitionCount,
			Duplications: map[int32]*admin.DuplicationEntry{},
		}
		for _, d := range a.Dups {
			as.Duplications[d.ID] = toDupEntry(d, true)
		}
		resp.AppStates[a.App.Name] = as
	}
	return resp
}

// duplicationSync takes a replica server's progress and answers with the
// duplications of every table it is a primary of.
func (s *Server) duplicationSync(ctx context.Context, q *replication.DuplicationSyncRequest) any {
	resp := &replication.DuplicationSyncResponse{DupMap: map[int32]map[int32]*admin.DuplicationEntry{}}
	n, ok := nodeAddr(q.Node, q.HpNode)
	if !ok {
		resp.Err = ec(base.ERR_INVALID_PARAMETERS)
		return resp
	}
	var reports []DupReport
	for _, pc := range q.ConfirmList {
		if pc == nil || pc.Pid == nil {
			continue
		}
		r := DupReport{Pid: *pc.Pid}
		for _, e := range pc.Confirms {
			if e == nil {
				continue
			}
			committed := int64(invalidDecree)
			if e.LastCommittedDecree != nil {
				committed = *e.LastCommittedDecree
			}
			r.Confirms = append(r.Confirms, DupConfirm{ID: e.Dupid, Confirmed: e.ConfirmedDecree, Prepared: e.CheckpointPrepared, Committed: committed})
		}
		reports = append(reports, r)
	}
	err := s.commit(ctx, func(st *State, now time.Time) (Change, error) { return st.DuplicationSync(n, reports, now) })
	var dups map[int32][]DupView
	if err == nil {
		now := s.now()
		err = s.read(func(st *State) { dups = st.DupMap(n, now) })
	}
	resp.Err = ec(s.replyErrno(err))
	if err != nil {
		return resp
	}
	for app, views := range dups {
		m := map[int32]*admin.DuplicationEntry{}
		for _, d := range views {
			m[d.ID] = toDupEntry(d, false)
		}
		resp.DupMap[app] = m
	}
	return resp
}

// toDupEntry converts a duplication for a reply; states adds each
// partition's commit point and lag (admin replies), the lag only once the
// partition's primary has reported in this term.
func toDupEntry(d DupView, states bool) *admin.DuplicationEntry {
	failMode := d.FailMode
	remoteApp, replicas := d.RemoteAppName, d.RemoteReplicaCount
	mode := admin.DuplicationMode_INCREMENTAL
	if d.Checkpoint {
		mode = admin.DuplicationMode_FULL
	}
	e := &admin.DuplicationEntry{
		Dupid: d.ID, Status: d.Status, Remote: d.Remote, CreateTs: d.CreateMs, Progress: map[int32]int64{},
		FailMode: &failMode, RemoteAppName: &remoteApp, RemoteReplicaCount: &replicas, Mode: &mode,
	}
	if states {
		e.PartitionStates = map[int32]*admin.DuplicationPartitionState{}
	}
	for _, p := range d.Partitions {
		e.Progress[p.Index] = p.Confirmed
		if states {
			ps := &admin.DuplicationPartitionState{ConfirmedDecree: p.Confirmed, LastCommittedDecree: p.Committed}
			if p.Committed != invalidDecree {
				// No lag until the primary has reported in this term.
				lag := p.Lag.Milliseconds()
				ps.LagMs = &lag
			}
			e.PartitionStates[p.Index] = ps
		}
	}
	return e
}
