package meta

import (
	"time"
)

// DupPageView is one duplication on the /meta/duplication page.
type DupPageView struct {
	AppName            string             `json:"app_name"`
	AppID              int32              `json:"app_id"`
	DupID              int32              `json:"dupid"`
	Status             string             `json:"status"`
	Remote             string             `json:"remote"`
	RemoteAppName      string             `json:"remote_app_name"`
	RemoteReplicaCount int32              `json:"remote_replica_count"`
	FailMode           string             `json:"fail_mode"`
	Checkpoint         bool               `json:"is_duplicating_checkpoint"`
	FollowerReady      bool               `json:"follower_ready"`
	FollowerError      string             `json:"follower_error,omitempty"`
	CreateTime         string             `json:"create_time"`
	Partitions         []DupPartitionPage `json:"partitions"`
}

// DupPartitionPage is one master partition's progress on the page; -1 is
// unknown, and lag_ms is absent until the primary has reported.
type DupPartitionPage struct {
	Index     int32  `json:"partition_index"`
	Confirmed int64  `json:"confirmed_decree"`
	Committed int64  `json:"last_committed_decree"`
	LagMs     *int64 `json:"lag_ms,omitempty"`
}

// DupPageViews lists every duplication of the available tables, by table
// id and dupid.
func (s *Server) DupPageViews() ([]DupPageView, error) {
	var apps []AppDups
	now := s.now()
	err := s.read(func(st *State) { apps, _ = st.ListDuplications("", nil, now) })
	if err != nil {
		return nil, err
	}
	out := []DupPageView{}
	for _, a := range apps {
		for _, d := range a.Dups {
			v := DupPageView{
				AppName: a.App.Name, AppID: a.App.ID, DupID: d.ID, Status: d.Status.String(), Remote: d.Remote,
				RemoteAppName: d.RemoteAppName, RemoteReplicaCount: d.RemoteReplicaCount, FailMode: d.FailMode.String(),
				Checkpoint: d.Checkpoint, FollowerReady: d.FollowerReady, FollowerError: d.FollowerError,
				CreateTime: time.UnixMilli(d.CreateMs).Format(time.RFC3339), Partitions: []DupPartitionPage{},
			}
			for _, p := range d.Partitions {
				pp := DupPartitionPage{Index: p.Index, Confirmed: p.Confirmed, Committed: p.Committed}
				if p.Committed != invalidDecree {
					lag := p.Lag.Milliseconds()
					pp.LagMs = &lag
				}
				v.Partitions = append(v.Partitions, pp)
			}
			out = append(out, v)
		}
	}
	return out, nil
}
