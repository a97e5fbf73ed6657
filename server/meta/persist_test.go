package meta

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/metastore"
)

// persisted wraps a State so that every change goes through a store
// first, as the Server does.
type persisted struct {
	t     *testing.T
	s     *State
	store metastore.Store
	root  string
}

func (p *persisted) apply(c Change, err error) {
	p.t.Helper()
	if err != nil {
		p.t.Fatal(err)
	}
	ops, err := c.Ops(p.root)
	if err != nil {
		p.t.Fatal(err)
	}
	if err := p.store.Commit(context.Background(), ops); err != nil {
		p.t.Fatal(err)
	}
	mustApply(p.t, p.s, c, nil)
}

func TestPersistRoundTrip(t *testing.T) {
	for _, root := range []string{"/", "/pegasus/onebox"} {
		t.Run(root, func(t *testing.T) {
			ctx := context.Background()
			p := &persisted{t: t, s: newCluster(3), store: metastore.NewMemory(), root: root}
			c, id, err := p.s.CreateApp(CreateRequest{Name: "a", PartitionCount: 4, ReplicaCount: 3, IsStateful: true,
				Envs: map[string]string{"default_ttl": "60"}, AtomicIdempotent: true}, t0)
			p.apply(c, err)
			for i := range int32(4) {
				cur, _ := p.s.Partition(gpid(id, i))
				req := cur.Clone()
				req.Ballot++
				req.Primary = rs(int(i) % 3)
				req.LastCommittedDecree = int64(10 + i)
				c, _, err := p.s.UpdateConfiguration(ConfigUpdate{Config: req, Type: 1, Node: req.Primary})
				p.apply(c, err)
			}
			c, _, err = p.s.CreateApp(CreateRequest{Name: "b", PartitionCount: 2, ReplicaCount: 1}, t0)
			p.apply(c, err)
			p.apply(p.s.DropApp("b", false, 100, t0.Add(time.Minute)))
			c, _ = p.s.CheckLiveness(t0.Add(time.Hour)) // everyone dies: primaries move to last_drops
			p.apply(c, nil)

			loaded, err := Load(ctx, p.store, root, testConfig(), t0.Add(2*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(loaded.tables, p.s.tables) || !reflect.DeepEqual(loaded.names, p.s.names) || loaded.maxID != p.s.maxID {
				for id, tb := range p.s.tables {
					t.Errorf("table %d loaded as %+v, want %+v", id, *loaded.tables[id], *tb)
				}
				t.Fatal("loaded state differs")
			}
		})
	}
}

// TestLoadRevivesMembers checks that a new leader takes every member of a
// stored configuration to be alive with a fresh grace period.
func TestLoadRevivesMembers(t *testing.T) {
	ctx := context.Background()
	p := &persisted{t: t, s: newCluster(2), store: metastore.NewMemory(), root: "/"}
	c, id, err := p.s.CreateApp(CreateRequest{Name: "a", PartitionCount: 2}, t0)
	p.apply(c, err)
	for i := range int32(2) {
		cur, _ := p.s.Partition(gpid(id, i))
		cur.Ballot++
		cur.Primary = rs(int(i))
		c, _, err := p.s.UpdateConfiguration(ConfigUpdate{Config: cur, Type: 1, Node: cur.Primary})
		p.apply(c, err)
	}
	restart := t0.Add(time.Hour)
	s, err := Load(ctx, p.store, "/", testConfig(), restart)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Alive(rs(0)) || !s.Alive(rs(1)) || s.Known(rs(2)) {
		t.Fatalf("nodes after load: %+v", s.Nodes())
	}
	if c, died := s.CheckLiveness(restart.Add(22 * time.Second)); len(died) != 0 || !c.Empty() {
		t.Fatalf("a node died within the fresh grace period: %v", died)
	}
	if _, died := s.CheckLiveness(restart.Add(23 * time.Second)); len(died) != 2 {
		t.Fatalf("silent nodes did not die after grace: %v", died)
	}
}

func TestLoadEmptyAndCorrupt(t *testing.T) {
	ctx := context.Background()
	s, err := Load(ctx, metastore.NewMemory(), "/", testConfig(), t0)
	if err != nil || len(s.tables) != 0 {
		t.Fatalf("empty store: %v", err)
	}
	for name, ops := range map[string][]metastore.Op{
		"non-numeric table": {metastore.PutOp("/apps/x", []byte("{}"))},
		"bad json":          {metastore.PutOp("/apps/1", []byte("{"))},
		"bad status":        {metastore.PutOp("/apps/1", []byte(`{"app_id":1,"status":"nope","partition_count":1}`))},
		"id mismatch":       {metastore.PutOp("/apps/1", []byte(`{"app_id":2,"status":"AS_AVAILABLE","partition_count":1}`))},
		"missing partition": {metastore.PutOp("/apps/1", []byte(`{"app_id":1,"status":"AS_AVAILABLE","partition_count":1}`))},
		"bad primary": {
			metastore.PutOp("/apps/1", []byte(`{"app_id":1,"status":"AS_AVAILABLE","partition_count":1}`)),
			metastore.PutOp("/apps/1/0", []byte(`{"app_id":1,"partition_index":0,"primary":"nope"}`)),
		},
		"misplaced partition": {
			metastore.PutOp("/apps/1", []byte(`{"app_id":1,"status":"AS_AVAILABLE","partition_count":1}`)),
			metastore.PutOp("/apps/1/0", []byte(`{"app_id":1,"partition_index":3}`)),
		},
	} {
		store := metastore.NewMemory()
		if err := store.Commit(ctx, ops); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(ctx, store, "/", testConfig(), t0); err == nil {
			t.Errorf("%s: loaded without error", name)
		}
	}
}
