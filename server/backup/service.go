package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// BlockService holds backup files under slash-separated paths relative
// to the provider's root. Implementations must make Upload atomic: a
// reader never sees a partly written file under its final path, so the
// presence of a file written last (a manifest, the backup info) proves
// that everything written before it is complete.
type BlockService interface {
	// Type is the provider name used on the wire, e.g. "local_service".
	Type() string
	// Upload stores everything r yields as the file p, replacing any file
	// there, and returns the number of bytes written.
	Upload(ctx context.Context, p string, r io.Reader) (int64, error)
	// Download opens the file p; a missing file is ErrNotFound.
	Download(ctx context.Context, p string) (io.ReadCloser, error)
	// List returns the entries directly under the directory dir, sorted by
	// name; a missing directory is ErrNotFound.
	List(ctx context.Context, dir string) ([]Entry, error)
	// Remove deletes the file or the whole directory p; a missing one is
	// not an error.
	Remove(ctx context.Context, p string) error
	// Exists reports whether a file or directory p is there.
	Exists(ctx context.Context, p string) (bool, error)
}

// Entry is one name in a directory listing.
type Entry struct {
	Name  string
	Size  int64 // of a file; 0 for a directory
	IsDir bool
}

// ErrNotFound is returned for a path that is not on the provider.
var ErrNotFound = errors.New("backup: not found")

// LocalServiceType is upstream's name for the local-filesystem provider.
const LocalServiceType = "local_service"

// Open returns the provider named typ rooted at root. Only local_service
// exists today; HDFS or S3 would be further cases here.
func Open(typ, root string) (BlockService, error) {
	switch typ {
	case LocalServiceType:
		if root == "" {
			return nil, fmt.Errorf("block service %s: no root directory configured", typ)
		}
		return NewLocalService(root), nil
	case "":
		return nil, errors.New("block service: no provider type given")
	}
	return nil, fmt.Errorf("block service %q: unknown provider type (want %s)", typ, LocalServiceType)
}

// cleanPath checks that p stays under the root and normalises it.
func cleanPath(p string) (string, error) {
	c := path.Clean("/" + p)
	if strings.Contains(p, "\\") || strings.Contains(p, "\x00") {
		return "", fmt.Errorf("block service: bad path %q", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return "", fmt.Errorf("block service: path %q leaves the root", p)
		}
	}
	return strings.TrimPrefix(c, "/"), nil
}
