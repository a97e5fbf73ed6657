package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LocalService is the local_service provider: files in a directory tree
// under Root, which may be any mounted filesystem (NFS included). Every
// server that writes or reads a backup must see the same tree at Root.
type LocalService struct {
	Root string
}

// NewLocalService returns a provider rooted at root.
func NewLocalService(root string) *LocalService { return &LocalService{Root: root} }

// Type implements BlockService.
func (s *LocalService) Type() string { return LocalServiceType }

func (s *LocalService) local(p string) (string, error) {
	c, err := cleanPath(p)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.Root, filepath.FromSlash(c)), nil
}

// Upload writes to a temporary file beside the target, syncs it and
// renames it into place, so the file appears whole or not at all.
func (s *LocalService) Upload(ctx context.Context, p string, r io.Reader) (int64, error) {
	dst, err := s.local(p)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, fmt.Errorf("upload %s: %w", p, err)
	}
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("upload %s: %w", p, err)
	}
	tmp := f.Name()
	n, err := io.Copy(f, ctxReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("upload %s: %w", p, err)
	}
	syncDir(filepath.Dir(dst))
	return n, nil
}

// Download implements BlockService.
func (s *LocalService) Download(ctx context.Context, p string) (io.ReadCloser, error) {
	src, err := s.local(p)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("download %s: %w", p, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", p, err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("download %s: a directory", p)
	}
	return readCloser{ctxReader{ctx, f}, f}, nil
}

// List implements BlockService; temporary files of uploads in progress
// are left out.
func (s *LocalService) List(ctx context.Context, dir string) ([]Entry, error) {
	d, err := s.local(dir)
	if err != nil {
		return nil, err
	}
	des, err := os.ReadDir(d)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("list %s: %w", dir, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	out := make([]Entry, 0, len(des))
	for _, de := range des {
		if isTemp(de.Name()) {
			continue
		}
		e := Entry{Name: de.Name(), IsDir: de.IsDir()}
		if !e.IsDir {
			info, err := de.Info()
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", dir, err)
			}
			e.Size = info.Size()
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, ctx.Err()
}

// Remove implements BlockService.
func (s *LocalService) Remove(_ context.Context, p string) error {
	d, err := s.local(p)
	if err != nil {
		return err
	}
	if d == filepath.Clean(s.Root) {
		return fmt.Errorf("remove %q: refusing to remove the provider root", p)
	}
	if err := os.RemoveAll(d); err != nil {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	return nil
}

// Exists implements BlockService.
func (s *LocalService) Exists(_ context.Context, p string) (bool, error) {
	d, err := s.local(p)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(d)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("exists %s: %w", p, err)
	}
	return true, nil
}

// isTemp recognises Upload's temporary files.
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// ctxReader stops a copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

type readCloser struct {
	io.Reader
	io.Closer
}
