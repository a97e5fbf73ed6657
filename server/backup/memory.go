package backup

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// MemoryService is a BlockService in memory, for tests.
type MemoryService struct {
	mu    sync.Mutex // guards files
	files map[string][]byte
}

// NewMemoryService returns an empty in-memory provider.
func NewMemoryService() *MemoryService { return &MemoryService{files: map[string][]byte{}} }

// Type implements BlockService.
func (m *MemoryService) Type() string { return "memory" }

// Upload implements BlockService.
func (m *MemoryService) Upload(ctx context.Context, p string, r io.Reader) (int64, error) {
	c, err := cleanPath(p)
	if err != nil {
		return 0, err
	}
	b, err := io.ReadAll(ctxReader{ctx, r})
	if err != nil {
		return 0, fmt.Errorf("upload %s: %w", p, err)
	}
	m.mu.Lock()
	m.files[c] = b
	m.mu.Unlock()
	return int64(len(b)), nil
}

// Download implements BlockService.
func (m *MemoryService) Download(_ context.Context, p string) (io.ReadCloser, error) {
	c, err := cleanPath(p)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	b, ok := m.files[c]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("download %s: %w", p, ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// List implements BlockService.
func (m *MemoryService) List(_ context.Context, dir string) ([]Entry, error) {
	c, err := cleanPath(dir)
	if err != nil {
		return nil, err
	}
	prefix := c + "/"
	if c == "" {
		prefix = ""
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[string]Entry{}
	for name, b := range m.files {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		if first, _, nested := strings.Cut(rest, "/"); nested {
			seen[first] = Entry{Name: first, IsDir: true}
		} else {
			seen[rest] = Entry{Name: rest, Size: int64(len(b))}
		}
	}
	if len(seen) == 0 {
		return nil, fmt.Errorf("list %s: %w", dir, ErrNotFound)
	}
	out := make([]Entry, 0, len(seen))
	for _, e := range seen {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Remove implements BlockService.
func (m *MemoryService) Remove(_ context.Context, p string) error {
	c, err := cleanPath(p)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for name := range m.files {
		if name == c || strings.HasPrefix(name, c+"/") {
			delete(m.files, name)
		}
	}
	return nil
}

// Exists implements BlockService.
func (m *MemoryService) Exists(_ context.Context, p string) (bool, error) {
	c, err := cleanPath(p)
	if err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for name := range m.files {
		if name == c || strings.HasPrefix(name, c+"/") {
			return true, nil
		}
	}
	return false, nil
}

// Corrupt flips one byte of the file p (tests of verification).
func (m *MemoryService) Corrupt(p string) bool {
	c, _ := cleanPath(p)
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[c]
	if !ok || len(b) == 0 {
		return false
	}
	b = append([]byte(nil), b...)
	b[len(b)/2] ^= 0xff
	m.files[c] = b
	return true
}
