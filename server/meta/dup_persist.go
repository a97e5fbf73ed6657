package meta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// Duplications in the store, under the cluster root (design notes §2.3):
//
//	<root>/apps/<app_id>/duplication/<dupid>          JSON dupRecord
//	<root>/apps/<app_id>/duplication/<dupid>/<pidx>   JSON dupProgressRecord
//
// A partition without a progress node has confirmed nothing yet. A removed
// duplication is deleted with everything under it.

type dupRecord struct {
	Version            int    `json:"v"`
	ID                 int32  `json:"dupid"`
	AppID              int32  `json:"app_id"`
	Remote             string `json:"remote"`
	RemoteAppName      string `json:"remote_app_name"`
	RemoteReplicaCount int32  `json:"remote_replica_count"`
	Status             string `json:"status"`
	FailMode           string `json:"fail_mode"`
	Checkpoint         bool   `json:"is_duplicating_checkpoint"`
	FollowerReady      bool   `json:"follower_ready"`
	CreateMs           int64  `json:"create_timestamp_ms"`
}

type dupProgressRecord struct {
	Version   int   `json:"v"`
	Confirmed int64 `json:"confirmed_decree"`
	Prepared  bool  `json:"checkpoint_prepared"`
}

func dupsPath(root string, app int32) string {
	return metastore.Join(appPath(root, app), "duplication")
}

func dupPath(root string, k DupKey) string {
	return metastore.Join(dupsPath(root, k.App), strconv.Itoa(int(k.ID)))
}

func dupProgressPath(root string, k DupKey, index int32) string {
	return metastore.Join(dupPath(root, k), strconv.Itoa(int(index)))
}

// ops returns the store writes of the duplication part of a change.
func (c DupChange) ops(root string) ([]metastore.Op, error) {
	var ops []metastore.Op
	for _, d := range c.Records {
		v, err := json.Marshal(dupRecord{
			Version: recordVersion, ID: d.ID, AppID: d.AppID, Remote: d.Remote, RemoteAppName: d.RemoteAppName,
			RemoteReplicaCount: d.RemoteReplicaCount, Status: d.Status.String(), FailMode: d.FailMode.String(),
			Checkpoint: d.Checkpoint, FollowerReady: d.FollowerReady, CreateMs: d.CreateMs,
		})
		if err != nil {
			return nil, fmt.Errorf("encode duplication %d of table %d: %w", d.ID, d.AppID, err)
		}
		ops = append(ops, metastore.PutOp(dupPath(root, DupKey{d.AppID, d.ID}), v))
	}
	for _, p := range c.Progress {
		v, err := json.Marshal(dupProgressRecord{Version: recordVersion, Confirmed: p.Confirmed, Prepared: p.Prepared})
		if err != nil {
			return nil, fmt.Errorf("encode progress of duplication %d: %w", p.Key.ID, err)
		}
		ops = append(ops, metastore.PutOp(dupProgressPath(root, p.Key, p.Index), v))
	}
	for _, k := range c.Removed {
		ops = append(ops, metastore.DeleteOp(dupPath(root, k)))
	}
	return ops, nil
}

// loadDups reads the duplications of table app as a change to apply after
// the table.
func loadDups(ctx context.Context, store metastore.Store, root string, app int32) (DupChange, error) {
	var c DupChange
	ids, err := store.Children(ctx, dupsPath(root, app))
	if errors.Is(err, metastore.ErrNotFound) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("load duplications of table %d: %w", app, err)
	}
	for _, name := range ids {
		id, err := strconv.ParseInt(name, 10, 32)
		if err != nil {
			return c, fmt.Errorf("load duplications of table %d: unexpected node %s", app, metastore.Join(dupsPath(root, app), name))
		}
		k := DupKey{app, int32(id)}
		d, err := loadDup(ctx, store, root, k)
		if err != nil {
			return c, err
		}
		c.Records = append(c.Records, d)
		progress, err := loadDupProgress(ctx, store, root, k)
		if err != nil {
			return c, err
		}
		c.Progress = append(c.Progress, progress...)
	}
	return c, nil
}

func loadDup(ctx context.Context, store metastore.Store, root string, k DupKey) (Duplication, error) {
	path := dupPath(root, k)
	v, err := store.Get(ctx, path)
	if err != nil {
		return Duplication{}, fmt.Errorf("load duplication %d of table %d: %w", k.ID, k.App, err)
	}
	var r dupRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return Duplication{}, fmt.Errorf("load duplication from %s: %w", path, err)
	}
	status, err1 := admin.DuplicationStatusFromString(r.Status)
	failMode, err2 := admin.DuplicationFailModeFromString(r.FailMode)
	if err1 != nil || err2 != nil || r.ID != k.ID || r.AppID != k.App || r.Remote == "" {
		return Duplication{}, fmt.Errorf("load duplication from %s: bad record (dupid %d, app %d, status %q, fail mode %q, remote %q)",
			path, r.ID, r.AppID, r.Status, r.FailMode, r.Remote)
	}
	return Duplication{
		ID: r.ID, AppID: r.AppID, Remote: r.Remote, RemoteAppName: r.RemoteAppName, RemoteReplicaCount: r.RemoteReplicaCount,
		Status: status, FailMode: failMode, Checkpoint: r.Checkpoint, FollowerReady: r.FollowerReady, CreateMs: r.CreateMs,
	}, nil
}

func loadDupProgress(ctx context.Context, store metastore.Store, root string, k DupKey) ([]DupProgress, error) {
	names, err := store.Children(ctx, dupPath(root, k))
	if err != nil {
		return nil, fmt.Errorf("load progress of duplication %d of table %d: %w", k.ID, k.App, err)
	}
	var out []DupProgress
	for _, name := range names {
		idx, err := strconv.ParseInt(name, 10, 32)
		path := metastore.Join(dupPath(root, k), name)
		if err != nil || idx < 0 {
			return nil, fmt.Errorf("load progress of duplication %d: unexpected node %s", k.ID, path)
		}
		v, err := store.Get(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("load progress from %s: %w", path, err)
		}
		var r dupProgressRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return nil, fmt.Errorf("load progress from %s: %w", path, err)
		}
		// At stays zero: the first report after a load is written at once.
		out = append(out, DupProgress{Key: k, Index: int32(idx), Confirmed: r.Confirmed, Prepared: r.Prepared})
	}
	return out, nil
}
