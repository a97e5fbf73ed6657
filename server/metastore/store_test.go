package metastore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/metastore/zkserver/zktest"
)

// backend opens a store for a test; reopen (nil when the backend is not
// durable) closes it and opens the same data again.
type backend struct {
	name   string
	open   func(t *testing.T) Store
	reopen func(t *testing.T, s Store) Store
}

// zkAddress is this package's own ZooKeeper port (packages test in
// parallel; the HA onebox uses 22181).
const zkAddress = "127.0.0.1:22190"

// backends lists the backends; the ZooKeeper one starts a server for the
// top-level test t on first use, and gives every store a fresh root.
func backends(t *testing.T) []backend {
	var (
		zkStarted bool
		roots     int
	)
	openZK := func(sub *testing.T, root string) Store {
		if !zkStarted {
			zktest.Start(t, zkAddress)
			zkStarted = true
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		s, err := OpenZooKeeper(ctx, ZooKeeperOptions{
			Servers: []string{zkAddress}, SessionTimeout: 4 * time.Second, Root: root, Logger: quietLog,
		})
		if err != nil {
			sub.Fatal(err)
		}
		return s
	}
	return []backend{
		{name: "memory", open: func(*testing.T) Store { return NewMemory() }},
		{
			name: "bolt",
			open: func(t *testing.T) Store {
				s, err := OpenBolt(filepath.Join(t.TempDir(), "meta", "state.db"), BoltOptions{})
				if err != nil {
					t.Fatal(err)
				}
				return s
			},
			reopen: func(t *testing.T, s Store) Store {
				path := s.(*Bolt).Path()
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				s2, err := OpenBolt(path, BoltOptions{})
				if err != nil {
					t.Fatal(err)
				}
				return s2
			},
		},
		{
			name: "zookeeper",
			open: func(sub *testing.T) Store {
				roots++
				return openZK(sub, fmt.Sprintf("/pegasus-test/%s/%d", t.Name(), roots))
			},
			reopen: func(sub *testing.T, s Store) Store {
				root := s.(*ZooKeeper).root
				if err := s.Close(); err != nil {
					sub.Fatal(err)
				}
				return openZK(sub, root)
			},
		},
	}
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// step is one operation of a table-driven case and what it must yield.
type step struct {
	op      string // get, getv, put, delete, children, commit
	path    string
	value   string
	ops     []Op
	want    string   // get, getv: the value
	version int64    // getv: the version
	kids    []string // children: the names
	wantErr error    // errors.Is target; errAny for "some error"
}

var errAny = errors.New("any error")

func (st step) run(ctx context.Context, t *testing.T, s Store) {
	t.Helper()
	var (
		got     []byte
		version int64
		kids    []string
		err     error
	)
	switch st.op {
	case "get":
		got, err = s.Get(ctx, st.path)
	case "getv":
		got, version, err = s.GetWithVersion(ctx, st.path)
	case "put":
		err = s.Put(ctx, st.path, []byte(st.value))
	case "delete":
		err = s.Delete(ctx, st.path)
	case "children":
		kids, err = s.Children(ctx, st.path)
	case "commit":
		err = s.Commit(ctx, st.ops)
	default:
		t.Fatalf("unknown op %q", st.op)
	}
	what := fmt.Sprintf("%s %s", st.op, st.path)
	switch {
	case st.wantErr == errAny:
		if err == nil {
			t.Fatalf("%s: no error, want one", what)
		}
		return
	case st.wantErr != nil:
		if !errors.Is(err, st.wantErr) {
			t.Fatalf("%s: err %v, want %v", what, err, st.wantErr)
		}
		return
	case err != nil:
		t.Fatalf("%s: %v", what, err)
	}
	if (st.op == "get" || st.op == "getv") && !bytes.Equal(got, []byte(st.want)) {
		t.Fatalf("%s = %q, want %q", what, got, st.want)
	}
	if st.op == "getv" && version != st.version {
		t.Fatalf("%s: version %d, want %d", what, version, st.version)
	}
	if st.op == "children" && !slices.Equal(kids, st.kids) && !(len(kids) == 0 && len(st.kids) == 0) {
		t.Fatalf("%s = %q, want %q", what, kids, st.kids)
	}
}

var storeCases = []struct {
	name  string
	steps []step
}{
	{"root exists and is empty", []step{
		{op: "get", path: "/", want: ""},
		{op: "children", path: "/", kids: nil},
	}},
	{"missing node", []step{
		{op: "get", path: "/apps", wantErr: ErrNotFound},
		{op: "children", path: "/apps", wantErr: ErrNotFound},
		{op: "delete", path: "/apps/2"},
	}},
	{"put creates ancestors with empty values", []step{
		{op: "put", path: "/apps/2/0", value: "p0"},
		{op: "get", path: "/apps", want: ""},
		{op: "get", path: "/apps/2", want: ""},
		{op: "get", path: "/apps/2/0", want: "p0"},
		{op: "children", path: "/", kids: []string{"apps"}},
		{op: "children", path: "/apps/2/0", kids: nil},
	}},
	{"overwrite and empty value", []step{
		{op: "put", path: "/a", value: "1"},
		{op: "put", path: "/a", value: "2"},
		{op: "get", path: "/a", want: "2"},
		{op: "put", path: "/a", value: ""},
		{op: "get", path: "/a", want: ""},
	}},
	{"children are direct and in byte order", []step{
		{op: "put", path: "/apps/10", value: "x"},
		{op: "put", path: "/apps/2", value: "y"},
		{op: "put", path: "/apps/2/0", value: "z"},
		{op: "put", path: "/apps2", value: "w"},
		{op: "children", path: "/apps", kids: []string{"10", "2"}},
		{op: "children", path: "/apps/2", kids: []string{"0"}},
		{op: "children", path: "/", kids: []string{"apps", "apps2"}},
	}},
	{"delete removes the subtree only", []step{
		{op: "put", path: "/apps/2", value: "a"},
		{op: "put", path: "/apps/2/0", value: "b"},
		{op: "put", path: "/apps/2/1/x", value: "c"},
		{op: "put", path: "/apps/20", value: "d"},
		{op: "delete", path: "/apps/2"},
		{op: "get", path: "/apps/2", wantErr: ErrNotFound},
		{op: "get", path: "/apps/2/1/x", wantErr: ErrNotFound},
		{op: "get", path: "/apps/20", want: "d"},
		{op: "children", path: "/apps", kids: []string{"20"}},
		{op: "put", path: "/apps/2/0", value: "again"},
		{op: "children", path: "/apps/2", kids: []string{"0"}},
	}},
	{"commit applies ops in order", []step{
		{op: "commit", ops: []Op{
			PutOp("/apps/3", []byte("app")),
			PutOp("/apps/3/0", []byte("p0")),
			PutOp("/apps/3/1", []byte("p1")),
			DeleteOp("/apps/3/1"),
			PutOp("/apps/3", []byte("app2")),
		}},
		{op: "get", path: "/apps/3", want: "app2"},
		{op: "children", path: "/apps/3", kids: []string{"0"}},
	}},
	{"a commit with one bad path changes nothing", []step{
		{op: "put", path: "/a", value: "old"},
		{op: "commit", ops: []Op{PutOp("/a", []byte("new")), PutOp("bad", nil)}, wantErr: errAny},
		{op: "get", path: "/a", want: "old"},
		{op: "commit", ops: []Op{PutOp("/a", []byte("new")), DeleteOp("/")}, wantErr: errAny},
		{op: "commit", ops: []Op{{Kind: 99, Path: "/a"}}, wantErr: errAny},
		{op: "get", path: "/a", want: "old"},
	}},
	{"versions count puts of the node itself", []step{
		{op: "getv", path: "/", want: "", version: 0},
		{op: "put", path: "/apps/2/0", value: "a"},
		{op: "getv", path: "/apps", want: "", version: 0},
		{op: "getv", path: "/apps/2/0", want: "a", version: 0},
		{op: "put", path: "/apps/2/0", value: "b"},
		{op: "put", path: "/apps/2/0", value: "b"},
		{op: "put", path: "/apps/2/1", value: "c"},
		{op: "getv", path: "/apps/2/0", want: "b", version: 2},
		{op: "getv", path: "/apps/2", want: "", version: 0},
		{op: "put", path: "/apps/2", value: "t"},
		{op: "getv", path: "/apps/2", want: "t", version: 1},
		{op: "getv", path: "/apps/3", wantErr: ErrNotFound},
	}},
	{"delete and create again restarts the version", []step{
		{op: "put", path: "/a/b", value: "1"},
		{op: "put", path: "/a/b", value: "2"},
		{op: "put", path: "/a", value: "x"},
		{op: "delete", path: "/a"},
		{op: "put", path: "/a/b", value: "3"},
		{op: "getv", path: "/a/b", want: "3", version: 0},
		{op: "getv", path: "/a", want: "", version: 0},
	}},
	{"a passing check lets the commit through", []step{
		{op: "put", path: "/epoch", value: "1"},
		{op: "commit", ops: []Op{CheckOp("/epoch", 0), PutOp("/epoch", []byte("2")), PutOp("/apps/1", []byte("t"))}},
		{op: "getv", path: "/epoch", want: "2", version: 1},
		{op: "commit", ops: []Op{PutOp("/apps/1", []byte("u")), CheckOp("/epoch", 1)}},
		{op: "get", path: "/apps/1", want: "u"},
	}},
	{"a failed check changes nothing", []step{
		{op: "put", path: "/epoch", value: "1"},
		{op: "put", path: "/epoch", value: "2"},
		{op: "put", path: "/apps/1", value: "old"},
		{op: "commit", ops: []Op{
			PutOp("/apps/1", []byte("new")),
			PutOp("/apps/2", []byte("new")),
			DeleteOp("/apps/1"),
			CheckOp("/epoch", 0),
			PutOp("/apps/3", []byte("new")),
		}, wantErr: ErrConflict},
		{op: "get", path: "/apps/1", want: "old"},
		{op: "getv", path: "/apps/1", want: "old", version: 0},
		{op: "children", path: "/apps", kids: []string{"1"}},
		{op: "commit", ops: []Op{CheckOp("/missing", 0), PutOp("/apps/4", nil)}, wantErr: ErrConflict},
		{op: "get", path: "/missing", wantErr: ErrNotFound},
		{op: "get", path: "/apps/4", wantErr: ErrNotFound},
	}},
	{"checks see the ops before them", []step{
		{op: "commit", ops: []Op{PutOp("/n", []byte("1")), CheckOp("/n", 0), PutOp("/n", []byte("2")), CheckOp("/n", 1)}},
		{op: "getv", path: "/n", want: "2", version: 1},
		{op: "commit", ops: []Op{DeleteOp("/n"), CheckOp("/n", 1)}, wantErr: ErrConflict},
		{op: "getv", path: "/n", want: "2", version: 1},
		{op: "commit", ops: []Op{CheckOp("/", 0)}, wantErr: errAny},
	}},
	{"invalid paths", []step{
		{op: "get", path: "", wantErr: errAny},
		{op: "get", path: "apps", wantErr: errAny},
		{op: "get", path: "/apps/", wantErr: errAny},
		{op: "put", path: "//x", wantErr: errAny},
		{op: "put", path: "/a/../b", wantErr: errAny},
		{op: "put", path: "/a\x00b", wantErr: errAny},
		{op: "put", path: "/", wantErr: errAny},
		{op: "delete", path: "/", wantErr: errAny},
		{op: "children", path: "/a/./b", wantErr: errAny},
	}},
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		for _, c := range storeCases {
			t.Run(b.name+"/"+c.name, func(t *testing.T) {
				s := b.open(t)
				defer func() { s.Close() }()
				for _, st := range c.steps {
					st.run(ctx, t, s)
				}
			})
		}
	}
}

// TestStoreReopen checks that a durable store comes back with exactly what
// was committed, including deletions.
func TestStoreReopen(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		if b.reopen == nil {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			for _, st := range []step{
				{op: "commit", ops: []Op{
					PutOp("/apps/1", []byte("one")),
					PutOp("/apps/1/0", []byte("one.0")),
					PutOp("/apps/2", []byte("two")),
					PutOp("/apps/2/0", []byte("two.0")),
				}},
				{op: "delete", path: "/apps/1"},
				{op: "put", path: "/apps/2/0", value: "two.0"},
				{op: "put", path: "/apps/2/1", value: "two.1"},
				{op: "put", path: "/cluster", value: ""},
			} {
				st.run(ctx, t, s)
			}
			s = b.reopen(t, s)
			defer s.Close()
			for _, st := range []step{
				{op: "children", path: "/", kids: []string{"apps", "cluster"}},
				{op: "children", path: "/apps", kids: []string{"2"}},
				{op: "get", path: "/apps/2", want: "two"},
				{op: "getv", path: "/apps/2/0", want: "two.0", version: 1},
				{op: "getv", path: "/apps/2/1", want: "two.1", version: 0},
				{op: "get", path: "/cluster", want: ""},
				{op: "get", path: "/apps/1/0", wantErr: ErrNotFound},
			} {
				st.run(ctx, t, s)
			}
		})
	}
}

func TestStoreClosed(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			for _, st := range []step{
				{op: "get", path: "/", wantErr: ErrClosed},
				{op: "put", path: "/a", wantErr: ErrClosed},
				{op: "delete", path: "/a", wantErr: ErrClosed},
				{op: "children", path: "/", wantErr: ErrClosed},
				{op: "commit", ops: []Op{PutOp("/a", nil)}, wantErr: ErrClosed},
			} {
				st.run(ctx, t, s)
			}
		})
	}
}

func TestStoreCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			defer s.Close()
			step{op: "put", path: "/a", wantErr: context.Canceled}.run(ctx, t, s)
			step{op: "get", path: "/a", wantErr: ErrNotFound}.run(context.Background(), t, s)
		})
	}
}

// TestStoreValuesAreCopied checks that callers cannot change stored values
// through the slices they passed in or got back.
func TestStoreValuesAreCopied(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			defer s.Close()
			v := []byte("abc")
			if err := s.Put(ctx, "/a", v); err != nil {
				t.Fatal(err)
			}
			v[0] = 'X'
			got, err := s.Get(ctx, "/a")
			if err != nil {
				t.Fatal(err)
			}
			got[1] = 'Y'
			step{op: "get", path: "/a", want: "abc"}.run(ctx, t, s)
		})
	}
}

// TestBoltSecondOpenFails checks the file lock: a second meta server on the
// same data dir must not share the store.
func TestBoltSecondOpenFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := OpenBolt(path, BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s2, err := OpenBolt(path, BoltOptions{LockTimeout: 50e6}); err == nil {
		s2.Close()
		t.Fatal("second open of a locked store succeeded")
	}
}

func TestJoin(t *testing.T) {
	for _, c := range []struct {
		base  string
		names []string
		want  string
	}{
		{"/", nil, "/"},
		{"/", []string{"apps"}, "/apps"},
		{"/apps", []string{"2", "0"}, "/apps/2/0"},
		{"/pegasus/c1", []string{"apps"}, "/pegasus/c1/apps"},
	} {
		if got := Join(c.base, c.names...); got != c.want {
			t.Errorf("Join(%q, %q) = %q, want %q", c.base, c.names, got, c.want)
		}
	}
}
