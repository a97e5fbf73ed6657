package meta

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// The duplication loop: while this server leads, one goroutine (started by
// lead, stopped when the term ends or the server closes) creates missing
// follower tables on their clusters, moves a duplication on once its
// follower serves every partition, and writes progress the sync throttle
// held back. Everything it decides goes through the State (dup_state.go)
// and Server.commit.

// remoteCallTimeout bounds one call to a remote cluster's meta servers.
const remoteCallTimeout = 10 * time.Second

// startDupLoop runs the duplication loop until the returned stop is
// called; stop waits for it.
func (s *Server) startDupLoop() (stop func()) {
	r := &dupRunner{s: s, remotes: map[string]RemoteCluster{}, lastErr: map[DupKey]string{}}
	stopLoop := s.startLoop(s.opts.DupInterval, r.round)
	return func() {
		stopLoop()
		r.close() // the loop is done with its remotes
	}
}

// dupRunner is the loop's state for one term; only its goroutine uses it.
type dupRunner struct {
	s       *Server
	remotes map[string]RemoteCluster // by cluster name, dialled on first use
	lastErr map[DupKey]string        // the last remote error logged per duplication
}

func (r *dupRunner) close() {
	for _, rc := range r.remotes {
		rc.Close()
	}
}

func (r *dupRunner) round(ctx context.Context) {
	var tasks []FollowerTask
	if err := r.s.read(func(st *State) { tasks = st.DupFollowerWork() }); err != nil {
		return
	}
	for _, t := range tasks {
		if ctx.Err() != nil {
			return
		}
		r.driveFollower(ctx, t)
	}
	err := r.s.commit(ctx, func(st *State, now time.Time) (Change, error) { return st.DupFlush(now), nil })
	if err != nil && !errors.Is(err, errNotLeading) {
		r.s.log.Error("meta: write duplication progress", "err", err)
	}
}

func (r *dupRunner) remote(name string) (RemoteCluster, bool) {
	if rc, ok := r.remotes[name]; ok {
		return rc, true
	}
	c, ok := r.s.opts.Duplication.Clusters[name]
	if !ok {
		return nil, false
	}
	rc := r.s.opts.DialRemote(name, c.Metas)
	r.remotes[name] = rc
	return rc, true
}

// driveFollower creates the follower table of t if it is missing and
// records when it serves every partition.
func (r *dupRunner) driveFollower(ctx context.Context, t FollowerTask) {
	log := r.s.log.With("app", t.MasterApp, "dupid", t.Key.ID, "remote", t.Remote, "remote_app", t.RemoteAppName)
	rc, ok := r.remote(t.Remote)
	if !ok {
		r.warn(log, t.Key, "remote cluster is no longer configured in [duplication.clusters]")
		return
	}
	cctx, cancel := context.WithTimeout(ctx, remoteCallTimeout)
	defer cancel()
	parts, withPrimary, err := rc.TableServing(cctx, t.RemoteAppName)
	found := err == nil
	if err != nil && !errors.Is(err, ErrRemoteTableNotFound) {
		r.warn(log, t.Key, "query the follower table: "+err.Error())
		return
	}
	switch nextFollowerAction(found, parts, withPrimary) {
	case followerCreate:
		envs := followerEnvs(t.MasterEnvs, r.s.opts.Duplication.ClusterName, r.s.opts.MetaServers, t.MasterApp)
		if err := rc.CreateTable(cctx, t.RemoteAppName, t.PartitionCount, t.RemoteReplicaCount, envs); err != nil {
			r.warn(log, t.Key, "create the follower table: "+err.Error())
			return
		}
		log.Info("meta: duplication created its follower table", "partitions", t.PartitionCount, "replicas", t.RemoteReplicaCount)
	case followerWait:
		log.Debug("meta: duplication waits for the follower's primaries", "partitions", parts, "with_primary", withPrimary)
	case followerReady:
		err := r.s.commit(ctx, func(st *State, _ time.Time) (Change, error) { return st.DupFollowerReady(t.Key) })
		if err != nil {
			if !errors.Is(err, errNotLeading) {
				log.Error("meta: record that the follower is ready", "err", err)
			}
			return
		}
		log.Info("meta: duplication's follower table serves every partition", "partitions", parts)
	}
	if _, failed := r.lastErr[t.Key]; failed {
		delete(r.lastErr, t.Key)
		r.noteFollowerError(t.Key, "")
	}
}

// warn logs a remote failure once per distinct message and duplication;
// the loop tries again next round.
func (r *dupRunner) warn(log *slog.Logger, k DupKey, msg string) {
	if last, ok := r.lastErr[k]; ok && last == msg {
		return
	}
	r.lastErr[k] = msg
	r.noteFollowerError(k, msg)
	log.Warn("meta: duplication cannot reach its follower yet; retrying", "err", msg)
}

// noteFollowerError records msg in the state (in memory only; read holds
// the state's lock).
func (r *dupRunner) noteFollowerError(k DupKey, msg string) {
	_ = r.s.read(func(st *State) { st.NoteFollowerError(k, msg) })
}
