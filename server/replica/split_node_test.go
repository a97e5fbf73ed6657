package replica

import (
	"os"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
)

// writePendingChild leaves a split child of table 2 on disk as a parent
// would: storage at some data, its state pending at ballot (0: never froze).
func writePendingChild(t *testing.T, dataDir string, idx int32, ballot int64) string {
	t.Helper()
	g := base.Gpid{Appid: 2, PartitionIndex: idx}
	dir := replicaDir(dataDir, g)
	p, err := storage.Open(storage.Options{Dir: rdbDir(dir), AppID: 2, PartitionIndex: idx, PartitionCount: 8})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	st := replicaState{AppID: 2, PartitionIndex: idx, AppName: "t", AppType: "pegasus", PartitionCount: 8, MaxReplicaCount: 1, Ballot: ballot, SplitPending: true}
	if err := writeState(dir, st); err != nil {
		t.Fatal(err)
	}
	return dir
}

func syncEntry(self *base.RPCAddress, idx, count int32, ballot int64, status *admin.SplitStatus) *replication.ConfigurationUpdateRequest {
	g := base.Gpid{Appid: 2, PartitionIndex: idx}
	return &replication.ConfigurationUpdateRequest{
		Info:            &layer2.AppInfo{AppID: 2, AppName: "t", AppType: "pegasus", PartitionCount: count, MaxReplicaCount: 1, Status: layer2.AppStatus_AS_AVAILABLE},
		Config:          &layer2.PartitionConfiguration{Pid: &g, Ballot: ballot, Primary: self, MaxReplicaCount: 1},
		MetaSplitStatus: status,
	}
}

// Split children left on disk (a restart, an aborted split) wait for the
// meta's word: one whose parent the meta still reports splitting is
// removed, one the meta lists is hosted at the decree it froze at, one
// that never froze is removed even when listed, and none is reported to
// the meta meanwhile.
func TestPendingChildrenFollowTheMeta(t *testing.T) {
	dataDir := t.TempDir()
	unregistered := writePendingChild(t, dataDir, 5, 7) // parent 1
	neverFroze := writePendingChild(t, dataDir, 6, 0)   // parent 2
	registered := writePendingChild(t, dataDir, 7, 7)   // parent 3
	laterSplit := writePendingChild(t, dataDir, 4, 7)   // parent 0, now in a split to 16
	n, err := NewNode(NodeOptions{Address: "127.0.0.1:34999", DataDir: dataDir, MetaServers: []string{"127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if got := len(n.srv.Replicas()); got != 0 {
		t.Fatalf("%d pending children opened at start-up", got)
	}
	if got := len(n.pending); got != 4 {
		t.Fatalf("%d pending children, want 4", got)
	}
	splitting := admin.SplitStatus_SPLITTING
	n.applySync(&replication.ConfigurationQueryByNodeResponse{Partitions: []*replication.ConfigurationUpdateRequest{
		syncEntry(n.self, 1, 8, 3, &splitting),  // parent 1: its child 5 was not registered
		syncEntry(n.self, 7, 8, 7, nil),         // child 7 registered, this node its primary
		syncEntry(n.self, 6, 8, 7, nil),         // child 6 registered, but this node's copy never froze
		syncEntry(n.self, 0, 16, 3, &splitting), // parent 0 splits again: its child 4 registered before
	}}, time.Now(), nil)
	if _, err := os.Stat(laterSplit); err != nil {
		t.Errorf("child of a parent in a later split removed: %v", err)
	}
	if _, err := os.Stat(unregistered); !os.IsNotExist(err) {
		t.Errorf("child of a parent still splitting kept: %v", err)
	}
	if _, err := os.Stat(neverFroze); !os.IsNotExist(err) {
		t.Errorf("child that never froze kept: %v", err)
	}
	r := n.srv.Replica(base.Gpid{Appid: 2, PartitionIndex: 7})
	if r == nil {
		t.Fatal("registered child not hosted")
	}
	if st, err := readState(registered); err != nil || st.SplitPending {
		t.Fatalf("registered child's state %+v, %v", st, err)
	}
	if got := r.servingCount(); got != 8 {
		t.Fatalf("child serves %d partitions", got)
	}
	if len(n.pending) != 1 {
		t.Fatalf("pending children left: %d, want 1", len(n.pending))
	}
}
