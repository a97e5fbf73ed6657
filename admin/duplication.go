package admin

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// Cross-cluster duplication as plain calls on the meta server's
// duplication RPCs (docs/duplication.md).

// DupAdd asks for a duplication of Table to RemoteCluster.
type DupAdd struct {
	Table         string
	RemoteCluster string
	// Checkpoint ships the table's existing rows first; without it only
	// writes committed after the duplication starts are shipped.
	Checkpoint bool
	// RemoteTable names the follower table; "" = Table.
	RemoteTable string
	// RemoteReplicaCount of the follower table; 0 = the master's.
	RemoteReplicaCount int32
}

// DupAdded is what the meta server answered to an add.
type DupAdded struct {
	AppID              int32
	DupID              int32
	RemoteTable        string
	RemoteReplicaCount int32
}

// AddDuplication adds a duplication. When the meta answers ERR_DUP_EXIST
// the returned DupAdded describes the existing one and the error is an
// *OpError with that code.
func (c *Client) AddDuplication(ctx context.Context, a DupAdd) (DupAdded, error) {
	if a.Table == "" || a.RemoteCluster == "" {
		return DupAdded{}, fmt.Errorf("add duplication: table and remote cluster are required")
	}
	if a.RemoteReplicaCount < 0 {
		return DupAdded{}, fmt.Errorf("add duplication: remote replica count %d is negative", a.RemoteReplicaCount)
	}
	req := &admin.DuplicationAddRequest{AppName: a.Table, RemoteClusterName: a.RemoteCluster, IsDuplicatingCheckpoint: a.Checkpoint}
	if a.RemoteTable != "" {
		req.RemoteAppName = &a.RemoteTable
	}
	if a.RemoteReplicaCount > 0 {
		req.RemoteReplicaCount = &a.RemoteReplicaCount
	}
	res := admin.NewMetaAddDuplicationResult()
	if err := c.call(ctx, catalog.RPC_CM_ADD_DUPLICATION, &admin.MetaAddDuplicationArgs{Req: req}, res, func() errGetter { return res.Success }); err != nil {
		return DupAdded{}, err
	}
	r := res.Success
	if r == nil {
		return DupAdded{}, check("add duplication", nil, "")
	}
	out := DupAdded{AppID: r.Appid, DupID: r.Dupid, RemoteTable: r.GetRemoteAppName(), RemoteReplicaCount: r.GetRemoteReplicaCount()}
	if out.RemoteTable == "" {
		out.RemoteTable = a.Table
	}
	return out, check("add duplication", r, r.GetHint())
}

// QueryDuplication returns the table's id and its duplications, by dupid.
func (c *Client) QueryDuplication(ctx context.Context, table string) (int32, []*admin.DuplicationEntry, error) {
	res := admin.NewMetaQueryDuplicationResult()
	req := &admin.DuplicationQueryRequest{AppName: table}
	if err := c.call(ctx, catalog.RPC_CM_QUERY_DUPLICATION, &admin.MetaQueryDuplicationArgs{Req: req}, res, func() errGetter { return res.Success }); err != nil {
		return 0, nil, err
	}
	if err := check("query duplication", res.Success, ""); err != nil {
		return 0, nil, err
	}
	entries := res.Success.EntryList
	sort.Slice(entries, func(i, j int) bool { return entries[i].Dupid < entries[j].Dupid })
	return res.Success.Appid, entries, nil
}

// DupChange is a modification of a duplication; nil fields stay as they
// are.
type DupChange struct {
	Status   *admin.DuplicationStatus
	FailMode *admin.DuplicationFailMode
}

// ModifyDuplication changes a duplication's status (DS_LOG to start,
// DS_PAUSE, DS_REMOVED) or fail mode. It returns the table's id.
func (c *Client) ModifyDuplication(ctx context.Context, table string, dupid int32, ch DupChange) (int32, error) {
	if ch.Status == nil && ch.FailMode == nil {
		return 0, fmt.Errorf("modify duplication %d of %s: nothing to change", dupid, table)
	}
	req := &admin.DuplicationModifyRequest{AppName: table, Dupid: dupid, Status: ch.Status, FailMode: ch.FailMode}
	res := admin.NewMetaModifyDuplicationResult()
	if err := c.call(ctx, catalog.RPC_CM_MODIFY_DUPLICATION, &admin.MetaModifyDuplicationArgs{Req: req}, res, func() errGetter { return res.Success }); err != nil {
		return 0, err
	}
	if err := check("modify duplication", res.Success, ""); err != nil {
		return 0, err
	}
	return res.Success.Appid, nil
}

// SetDuplicationStatus is ModifyDuplication of the status alone.
func (c *Client) SetDuplicationStatus(ctx context.Context, table string, dupid int32, st admin.DuplicationStatus) error {
	_, err := c.ModifyDuplication(ctx, table, dupid, DupChange{Status: &st})
	return err
}

// SetDuplicationFailMode is ModifyDuplication of the fail mode alone.
func (c *Client) SetDuplicationFailMode(ctx context.Context, table string, dupid int32, m admin.DuplicationFailMode) error {
	_, err := c.ModifyDuplication(ctx, table, dupid, DupChange{FailMode: &m})
	return err
}

// ListDuplications returns, by table name, the duplications of the tables
// whose names match pattern (PMT_MATCH_ALL: every table).
func (c *Client) ListDuplications(ctx context.Context, pattern string, match admin.PatternMatchType) (map[string]*admin.DuplicationAppState, error) {
	if match == admin.PatternMatchType_PMT_INVALID {
		match = admin.PatternMatchType_PMT_MATCH_ALL
	}
	req := &admin.DuplicationListRequest{AppNamePattern: pattern, MatchType: match}
	res := admin.NewMetaListDuplicationResult()
	if err := c.call(ctx, catalog.RPC_CM_LIST_DUPLICATION, &admin.MetaListDuplicationArgs{Req: req}, res, func() errGetter { return res.Success }); err != nil {
		return nil, err
	}
	if err := check("list duplications", res.Success, res.Success.GetHintMessage()); err != nil {
		return nil, err
	}
	if res.Success.AppStates == nil {
		return map[string]*admin.DuplicationAppState{}, nil
	}
	return res.Success.AppStates, nil
}

// DupProgress is one partition's progress in a duplication.
type DupProgress struct {
	Partition int32
	// Confirmed is the last decree the follower acknowledged; -1 unknown.
	Confirmed int64
	// LastCommitted is the master partition's last committed decree; -1
	// unknown (the primary has not reported yet).
	LastCommitted int64
	// LagMs is how far behind, in milliseconds, the follower is; -1
	// unknown.
	LagMs int64
}

// Gap is the number of committed decrees not yet confirmed; -1 when
// either side is unknown.
func (p DupProgress) Gap() int64 {
	if p.Confirmed < 0 || p.LastCommitted < 0 {
		return -1
	}
	return max(p.LastCommitted-p.Confirmed, 0)
}

// Progress lists a duplication's per-partition progress, by partition:
// partition_states where the meta sends them, else the progress map.
func Progress(e *admin.DuplicationEntry) []DupProgress {
	seen := map[int32]*DupProgress{}
	for pidx, d := range e.Progress {
		seen[pidx] = &DupProgress{Partition: pidx, Confirmed: d, LastCommitted: -1, LagMs: -1}
	}
	for pidx, st := range e.PartitionStates {
		if st == nil {
			continue
		}
		p := seen[pidx]
		if p == nil {
			p = &DupProgress{Partition: pidx}
			seen[pidx] = p
		}
		p.Confirmed, p.LastCommitted, p.LagMs = st.ConfirmedDecree, st.LastCommittedDecree, partitionLagMs(st)
	}
	out := make([]DupProgress, 0, len(seen))
	for _, p := range seen {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Partition < out[j].Partition })
	return out
}

// IsDupExist reports whether err is the meta's ERR_DUP_EXIST.
func IsDupExist(err error) bool { return errors.Is(err, base.ERR_DUP_EXIST) }

// partitionLagMs is the meta's lag_ms of a partition, -1 when it sends none.
func partitionLagMs(st *admin.DuplicationPartitionState) int64 {
	if !st.IsSetLagMs() || st.GetLagMs() < 0 {
		return -1
	}
	return st.GetLagMs()
}
