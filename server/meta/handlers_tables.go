package meta

import (
	"context"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// Table RPCs: each decodes its request, asks the state machine, and, for
// changes, persists before replying (Server.commit).

func ec(errno base.Errno) *base.ErrorCode { return base.NewErrorCode(errno) }

func (s *Server) queryConfig(_ context.Context, q *layer2.QueryCfgRequest) any {
	resp := &layer2.QueryCfgResponse{Partitions: []*layer2.PartitionConfiguration{}}
	var (
		app   App
		parts []Partition
		qerr  error
	)
	err := s.read(func(st *State) {
		app, parts, qerr = st.QueryConfig(q.AppName, q.PartitionIndices)
		// The primary's last reported commit point (config sync) is newer
		// than the one stored with the configuration.
		for i := range parts {
			parts[i].LastCommittedDecree = max(parts[i].LastCommittedDecree, st.committedOn(parts[i].Pid, parts[i].Primary))
		}
	})
	if err == nil {
		err = qerr
	}
	resp.Err = ec(s.replyErrno(err))
	if err != nil {
		return resp
	}
	resp.AppID, resp.PartitionCount, resp.IsStateful = app.ID, app.PartitionCount, app.IsStateful
	for _, p := range parts {
		resp.Partitions = append(resp.Partitions, toPartitionConfiguration(p))
	}
	return resp
}

func (s *Server) createApp(ctx context.Context, q *admin.ConfigurationCreateAppRequest) any {
	o := q.Options
	if o == nil {
		o = &admin.CreateAppOptions{}
	}
	r := CreateRequest{
		Name: q.AppName, PartitionCount: o.PartitionCount, ReplicaCount: o.ReplicaCount,
		SuccessIfExist: o.SuccessIfExist, AppType: o.AppType, IsStateful: o.IsStateful, Envs: o.Envs,
		AtomicIdempotent: o.GetAtomicIdempotent(),
	}
	var id int32
	err := s.commit(ctx, func(st *State, now time.Time) (c Change, err error) {
		c, id, err = st.CreateApp(r, now)
		return c, err
	})
	s.logChange("create table", err, "app", q.AppName, "app_id", id, "partitions", r.PartitionCount)
	resp := &admin.ConfigurationCreateAppResponse{Err: ec(s.replyErrno(err))}
	if err == nil {
		resp.Appid = id
	}
	return resp
}

func (s *Server) dropApp(ctx context.Context, q *admin.ConfigurationDropAppRequest) any {
	o := q.Options
	if o == nil {
		o = &admin.DropAppOptions{}
	}
	err := s.commit(ctx, func(st *State, now time.Time) (Change, error) {
		return st.DropApp(q.AppName, o.SuccessIfNotExist, o.GetReserveSeconds(), now)
	})
	s.logChange("drop table", err, "app", q.AppName)
	return &admin.ConfigurationDropAppResponse{Err: ec(s.replyErrno(err))}
}

func (s *Server) recallApp(ctx context.Context, q *admin.ConfigurationRecallAppRequest) any {
	var app App
	err := s.commit(ctx, func(st *State, now time.Time) (c Change, err error) {
		c, app, err = st.RecallApp(q.AppID, q.NewAppName_, now)
		return c, err
	})
	s.logChange("recall table", err, "app_id", q.AppID, "app", app.Name)
	resp := &admin.ConfigurationRecallAppResponse{Err: ec(s.replyErrno(err)), Info: &layer2.AppInfo{}}
	if err == nil {
		resp.Info = toAppInfo(app)
	}
	return resp
}

func (s *Server) renameApp(ctx context.Context, q *admin.ConfigurationRenameAppRequest) any {
	err := s.commit(ctx, func(st *State, _ time.Time) (Change, error) {
		return st.RenameApp(q.OldAppName, q.NewAppName_)
	})
	s.logChange("rename table", err, "app", q.OldAppName, "new_name", q.NewAppName_)
	return &admin.ConfigurationRenameAppResponse{Err: ec(s.replyErrno(err)), HintMessage: hintOf(err)}
}

func (s *Server) listApps(_ context.Context, q *admin.ConfigurationListAppsRequest) any {
	var (
		apps []App
		lerr error
	)
	err := s.read(func(st *State) { apps, lerr = st.ListApps(q.Status, q.GetAppNamePattern(), q.MatchType) })
	if err == nil {
		err = lerr
	}
	resp := &admin.ConfigurationListAppsResponse{Err: ec(s.replyErrno(err)), Infos: []*layer2.AppInfo{}}
	for _, a := range apps {
		resp.Infos = append(resp.Infos, toAppInfo(a))
	}
	if err != nil {
		hint := hintOf(err)
		resp.HintMessage = &hint
	}
	return resp
}

func (s *Server) updateAppEnv(ctx context.Context, q *admin.ConfigurationUpdateAppEnvRequest) any {
	u := EnvUpdate{App: q.AppName, Op: q.Op, Keys: q.Keys, Values: q.Values, ClearPrefix: q.GetClearPrefix()}
	var hint string
	err := s.commit(ctx, func(st *State, _ time.Time) (c Change, err error) {
		c, hint, err = st.UpdateEnvs(u)
		return c, err
	})
	s.logChange("update table envs", err, "app", q.AppName, "op", q.Op, "keys", q.Keys)
	if err != nil {
		hint = hintOf(err)
	}
	return &admin.ConfigurationUpdateAppEnvResponse{Err: ec(s.replyErrno(err)), HintMessage: hint}
}

func (s *Server) getMaxReplicaCount(_ context.Context, q *admin.ConfigurationGetMaxReplicaCountRequest) any {
	var (
		n    int32
		gerr error
	)
	err := s.read(func(st *State) { n, gerr = st.MaxReplicaCount(q.AppName) })
	if err == nil {
		err = gerr
	}
	return &admin.ConfigurationGetMaxReplicaCountResponse{Err: ec(s.replyErrno(err)), MaxReplicaCount: n, HintMessage: hintOf(err)}
}

func (s *Server) setMaxReplicaCount(ctx context.Context, q *admin.ConfigurationSetMaxReplicaCountRequest) any {
	var old int32
	err := s.commit(ctx, func(st *State, _ time.Time) (c Change, err error) {
		c, old, err = st.SetMaxReplicaCount(q.AppName, q.MaxReplicaCount)
		return c, err
	})
	s.logChange("set max replica count", err, "app", q.AppName, "count", q.MaxReplicaCount)
	return &admin.ConfigurationSetMaxReplicaCountResponse{Err: ec(s.replyErrno(err)), OldMaxReplicaCount: old, HintMessage: hintOf(err)}
}

func (s *Server) getAtomicIdempotent(_ context.Context, q *admin.ConfigurationGetAtomicIdempotentRequest) any {
	var (
		v    bool
		gerr error
	)
	err := s.read(func(st *State) { v, gerr = st.AtomicIdempotent(q.AppName) })
	if err == nil {
		err = gerr
	}
	return &admin.ConfigurationGetAtomicIdempotentResponse{Err: ec(s.replyErrno(err)), AtomicIdempotent: v, HintMessage: hintOf(err)}
}

func (s *Server) setAtomicIdempotent(ctx context.Context, q *admin.ConfigurationSetAtomicIdempotentRequest) any {
	var old bool
	err := s.commit(ctx, func(st *State, _ time.Time) (c Change, err error) {
		c, old, err = st.SetAtomicIdempotent(q.AppName, q.AtomicIdempotent)
		return c, err
	})
	s.logChange("set atomic idempotent", err, "app", q.AppName, "value", q.AtomicIdempotent)
	return &admin.ConfigurationSetAtomicIdempotentResponse{Err: ec(s.replyErrno(err)), OldAtomicIdempotent: old, HintMessage: hintOf(err)}
}

// logChange records the outcome of an admin change.
func (s *Server) logChange(what string, err error, attrs ...any) {
	if err != nil {
		s.log.Info("meta: "+what+" refused", append(attrs, "err", err)...)
		return
	}
	s.log.Info("meta: "+what, attrs...)
}
