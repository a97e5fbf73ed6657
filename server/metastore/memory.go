package metastore

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// Memory is a Store kept in memory, for tests. Its zero value is not
// usable; call NewMemory.
type Memory struct {
	mu       sync.Mutex // guards values, children, closed
	values   map[string][]byte
	children map[string]map[string]struct{}
	closed   bool
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{
		values:   map[string][]byte{Root: nil},
		children: map[string]map[string]struct{}{},
	}
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
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx, path); err != nil {
		return nil, err
	}
	v, ok := m.values[path]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", path, ErrNotFound)
	}
	return slices.Clone(v), nil
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
	if _, ok := m.values[path]; !ok {
		return nil, fmt.Errorf("children of %s: %w", path, ErrNotFound)
	}
	out := make([]string, 0, len(m.children[path]))
	for name := range m.children[path] {
		out = append(out, name)
	}
	slices.Sort(out)
	return out, nil
}

// Commit implements Store. Paths are checked before anything changes, and
// nothing after that can fail, so a commit is all or nothing.
func (m *Memory) Commit(ctx context.Context, ops []Op) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx, Root); err != nil {
		return err
	}
	if err := validOps(ops); err != nil {
		return err
	}
	for _, op := range ops {
		if op.Kind == OpPut {
			m.put(op.Path, op.Value)
		} else {
			m.delete(op.Path)
		}
	}
	return nil
}

func (m *Memory) put(path string, value []byte) {
	for _, a := range append(ancestors(path), path) {
		if _, ok := m.values[a]; !ok {
			m.values[a] = nil
			parent, name := split(a)
			if m.children[parent] == nil {
				m.children[parent] = map[string]struct{}{}
			}
			m.children[parent][name] = struct{}{}
		}
	}
	m.values[path] = slices.Clone(value)
}

func (m *Memory) delete(path string) {
	if _, ok := m.values[path]; !ok {
		return
	}
	for name := range m.children[path] {
		m.delete(Join(path, name))
	}
	delete(m.values, path)
	delete(m.children, path)
	parent, name := split(path)
	delete(m.children[parent], name)
}

// Close implements Store.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}
