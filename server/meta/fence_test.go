package meta

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// manualElection is an Election the test drives: win lets one pending
// Campaign return, lose closes the current term's lost channel, and the
// leader it names and whether its lease holds are set by the test.
type manualElection struct {
	wins   chan struct{}
	mu     sync.Mutex // guards lost, leader
	lost   chan struct{}
	leader string
	lapsed atomic.Bool
}

func newManualElection() *manualElection { return &manualElection{wins: make(chan struct{}, 1)} }

func (e *manualElection) Campaign(ctx context.Context) (<-chan struct{}, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-e.wins:
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lost = make(chan struct{})
	return e.lost, nil
}

func (e *manualElection) win() { e.wins <- struct{}{} }

func (e *manualElection) lose() {
	e.mu.Lock()
	defer e.mu.Unlock()
	close(e.lost)
}

func (e *manualElection) setLeader(l string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.leader = l
}

func (e *manualElection) Leader() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leader
}

func (e *manualElection) Holds() bool { return !e.lapsed.Load() }

func epochOf(t *testing.T, store metastore.Store) (epochRecord, int64) {
	t.Helper()
	v, version, err := store.GetWithVersion(context.Background(), EpochPath("/"))
	if err != nil {
		t.Fatal(err)
	}
	var r epochRecord
	if err := json.Unmarshal(v, &r); err != nil {
		t.Fatal(err)
	}
	return r, version
}

func createErr(t *testing.T, meta, name string) base.Errno {
	t.Helper()
	resp := call[*admin.ConfigurationCreateAppResponse](t, meta, catalog.RPC_CM_CREATE_APP,
		&admin.ConfigurationCreateAppRequest{AppName: name, Options: &admin.CreateAppOptions{
			PartitionCount: 2, ReplicaCount: 1, AppType: "pegasus", IsStateful: true}})
	return resp.Err.Code()
}

// TestDeposedLeaderCannotWrite: two meta servers share a store; the second
// takes over while the first still believes it leads. The first one's next
// write fails as a whole, it stops leading at once, and names the new
// leader; nothing it tried to write is in the store.
func TestDeposedLeaderCannotWrite(t *testing.T) {
	store := metastore.NewMemory()
	ea, eb := newManualElection(), newManualElection()
	ea.win()
	oa, ob := fastOptions(store), fastOptions(store)
	oa.Election, ob.Election = ea, eb
	a, b := startMeta(t, oa), startMeta(t, ob)
	ea.setLeader(a.addr)
	eb.setLeader(a.addr)
	startReplica(t, a.addr)
	waitAlive(t, a.addr, 1)
	if e := createErr(t, a.addr, "before"); e != base.ERR_OK {
		t.Fatalf("create on the leader: %v", e)
	}
	if r, v := epochOf(t, store); r.Term != 1 || r.Leader != a.addr || v != 0 {
		t.Fatalf("epoch after a's takeover: %+v at version %d", r, v)
	}

	// b wins; a has not been told.
	eb.setLeader(b.addr)
	eb.win()
	eventually(t, patience, "b to lead", func() bool { return queryCfg(t, b.addr, "before").Err.Code() == base.ERR_OK })
	if r, v := epochOf(t, store); r.Term != 2 || r.Leader != b.addr || v != 1 {
		t.Fatalf("epoch after b's takeover: %+v at version %d", r, v)
	}
	ea.setLeader(b.addr)
	if e := createErr(t, a.addr, "after"); e != base.ERR_FORWARD_TO_OTHERS {
		t.Fatalf("create on the deposed leader: %v, want ERR_FORWARD_TO_OTHERS", e)
	}
	if q := queryCfg(t, a.addr, "before"); q.Err.Code() != base.ERR_FORWARD_TO_OTHERS || q.Partitions[0].Primary.String() != b.addr {
		t.Fatalf("query on the deposed leader: %+v", q)
	}
	if q := queryCfg(t, b.addr, "after"); q.Err.Code() != base.ERR_OBJECT_NOT_FOUND {
		t.Fatalf("the deposed leader's table reached the store: %v", q.Err)
	}
	ids, err := store.Children(context.Background(), AppsPath("/"))
	if err != nil || len(ids) != 1 {
		t.Fatalf("tables in the store: %v %v", ids, err)
	}
	// The new leader keeps working on the shared store.
	if e := createErr(t, b.addr, "later"); e != base.ERR_STATE_FREEZED && e != base.ERR_OK {
		t.Fatalf("create on the new leader: %v", e)
	}
}

// TestLostLeadershipStopsAtOnce: when the election reports the loss, or
// its lease lapses, the server answers as a non-leader; winning again
// reloads the state from the store, under a new term.
func TestLostLeadershipStopsAtOnce(t *testing.T) {
	store := metastore.NewMemory()
	e := newManualElection()
	e.win()
	opts := fastOptions(store)
	opts.Election = e
	m := startMeta(t, opts)
	e.setLeader(m.addr)
	startReplica(t, m.addr)
	waitAlive(t, m.addr, 1)
	if code := createErr(t, m.addr, "t"); code != base.ERR_OK {
		t.Fatalf("create: %v", code)
	}

	e.lapsed.Store(true)
	if q := queryCfg(t, m.addr, "t"); q.Err.Code() != base.ERR_SERVICE_NOT_ACTIVE {
		t.Fatalf("query with a lapsed lease: %v", q.Err)
	}
	if code := createErr(t, m.addr, "u"); code != base.ERR_SERVICE_NOT_ACTIVE {
		t.Fatalf("create with a lapsed lease: %v", code)
	}
	e.lapsed.Store(false)
	if q := queryCfg(t, m.addr, "t"); q.Err.Code() != base.ERR_OK {
		t.Fatalf("query with the lease back: %v", q.Err)
	}

	e.setLeader("127.0.0.1:1")
	e.lose()
	eventually(t, time.Second, "the server to stop leading", func() bool {
		return queryCfg(t, m.addr, "t").Err.Code() == base.ERR_FORWARD_TO_OTHERS
	})
	// Meanwhile the store changes under it (a successor's work).
	if err := store.Delete(context.Background(), AppsPath("/")); err != nil {
		t.Fatal(err)
	}
	e.setLeader(m.addr)
	e.win()
	eventually(t, patience, "the server to lead again", func() bool {
		return queryCfg(t, m.addr, "t").Err.Code() == base.ERR_OBJECT_NOT_FOUND
	})
	if r, _ := epochOf(t, store); r.Term != 2 {
		t.Fatalf("term after winning again: %+v", r)
	}
}
