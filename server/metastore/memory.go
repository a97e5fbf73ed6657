package metastore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// Memory is a Store kept in memory, for tests. Its zero value is not
// usable; call NewMemory.
type Memory struct {
	mu     sync.Mutex // guards tree, closed
	tree   memTree
	closed bool
}

// memTree is the content of a Memory store; Commit works on a copy when a
// check could abort it half way.
type memTree struct {
	values   map[string][]byte
	versions map[string]int64
	children map[string]map[string]struct{}
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{tree: memTree{
		values:   map[string][]byte{Root: nil},
		versions: map[string]int64{},
		children: map[string]map[string]struct{}{},
	}}
}

func (m *Memory) check(ctx context.Context, path string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.closed {
		return ErrClosed
	}
	return ValidPath(path)
}

// Get implements Store.
func (m *Memory) Get(ctx context.Context, path string) ([]byte, error) {
	v, _, err := m.GetWithVersion(ctx, path)
	return v, err
}

// GetWithVersion implements Store.
func (m *Memory) GetWithVersion(ctx context.Context, path string) ([]byte, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx, path); err != nil {
		return nil, 0, err
	}
	v, ok := m.tree.values[path]
	if !ok {
		return nil, 0, fmt.Errorf("get %s: %w", path, ErrNotFound)
	}
	return slices.Clone(v), m.tree.versions[path], nil
}

// Put implements Store.
func (m *Memory) Put(ctx context.Context, path string, value []byte) error {
	return m.Commit(ctx, []Op{PutOp(path, value)})
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, path string) error {
	return m.Commit(ctx, []Op{DeleteOp(path)})
}

// Children implements Store.
func (m *Memory) Children(ctx context.Context, path string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx, path); err != nil {
		return nil, err
	}
	if _, ok := m.tree.values[path]; !ok {
		return nil, fmt.Errorf("children of %s: %w", path, ErrNotFound)
	}
	out := slices.Sorted(maps.Keys(m.tree.children[path]))
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// Commit implements Store. Paths are checked before anything changes; a
// commit with check ops runs on a copy of the tree that replaces the
// original only if every check passed, so a commit is all or nothing.
func (m *Memory) Commit(ctx context.Context, ops []Op) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx, Root); err != nil {
		return err
	}
	if err := validOps(ops); err != nil {
		return err
	}
	t := m.tree
	if slices.ContainsFunc(ops, func(op Op) bool { return op.Kind == OpCheck }) {
		t = m.tree.clone()
	}
	for _, op := range ops {
		switch op.Kind {
		case OpPut:
			t.put(op.Path, op.Value)
		case OpDelete:
			t.delete(op.Path)
		case OpCheck:
			if err := t.checkVersion(op.Path, op.Version); err != nil {
				return err
			}
		}
	}
	m.tree = t
	return nil
}

func (t memTree) clone() memTree {
	c := memTree{
		values:   maps.Clone(t.values),
		versions: maps.Clone(t.versions),
		children: make(map[string]map[string]struct{}, len(t.children)),
	}
	for k, v := range t.children {
		c.children[k] = maps.Clone(v)
	}
	return c
}

func (t memTree) checkVersion(path string, version int64) error {
	if _, ok := t.values[path]; !ok {
		return fmt.Errorf("check %s at version %d: node missing: %w", path, version, ErrConflict)
	}
	if v := t.versions[path]; v != version {
		return fmt.Errorf("check %s at version %d: node at version %d: %w", path, version, v, ErrConflict)
	}
	return nil
}

func (t memTree) put(path string, value []byte) {
	existed := false
	for _, a := range append(ancestors(path), path) {
		if _, ok := t.values[a]; ok {
			existed = a == path
			continue
		}
		t.values[a] = nil
		t.versions[a] = 0
		parent, name := split(a)
		if t.children[parent] == nil {
			t.children[parent] = map[string]struct{}{}
		}
		t.children[parent][name] = struct{}{}
	}
	if existed {
		t.versions[path]++
	}
	t.values[path] = slices.Clone(value)
}

func (t memTree) delete(path string) {
	if _, ok := t.values[path]; !ok {
		return
	}
	for name := range t.children[path] {
		t.delete(Join(path, name))
	}
	delete(t.values, path)
	delete(t.versions, path)
	delete(t.children, path)
	parent, name := split(path)
	delete(t.children[parent], name)
}

// Close implements Store.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}
