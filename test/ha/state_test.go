package ha

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// clusterState is what must survive every failover: each table with its
// id and partition count, and each partition's ballot.
type clusterState struct {
	tables  map[string]string // name → "id/partitions"
	ballots map[string]int64  // "app.pidx" → ballot
}

// snapshot reads the cluster state through the leader, retrying (bounded)
// while a takeover is in progress.
func snapshot(t *testing.T, ac *admin.Client) clusterState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		s, err := trySnapshot(ctx, ac)
		if err == nil {
			return s
		}
		select {
		case <-ctx.Done():
			t.Fatalf("read the cluster state: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func trySnapshot(ctx context.Context, ac *admin.Client) (clusterState, error) {
	s := clusterState{tables: map[string]string{}, ballots: map[string]int64{}}
	tables, err := ac.ListTables(ctx, layer2.AppStatus_AS_AVAILABLE)
	if err != nil {
		return s, err
	}
	for _, tb := range tables {
		s.tables[tb.AppName] = fmt.Sprintf("%d/%d", tb.AppID, tb.PartitionCount)
		cfg, err := ac.QueryConfig(ctx, tb.AppName)
		if err != nil {
			return s, err
		}
		for _, pc := range cfg.Partitions {
			s.ballots[fmt.Sprintf("%d.%d", pc.Pid.Appid, pc.Pid.PartitionIndex)] = pc.Ballot
		}
	}
	return s, nil
}

// keeps checks that now still has every table of before, unchanged, and
// that no partition's ballot went back.
func (before clusterState) keeps(t *testing.T, now clusterState, when string) {
	t.Helper()
	var names []string
	for name := range before.tables {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if now.tables[name] != before.tables[name] {
			t.Fatalf("%s: table %s is %q, was %q (tables now %v)", when, name, now.tables[name], before.tables[name], now.tables)
		}
	}
	for pid, b := range before.ballots {
		if now.ballots[pid] < b {
			t.Fatalf("%s: partition %s at ballot %d, was %d", when, pid, now.ballots[pid], b)
		}
	}
}
