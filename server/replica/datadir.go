package replica

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// lockDataDir takes an exclusive lock on a replica server's data directory
// for the life of the process. A second server started on the same
// directory (a second service manager, a copied config) used to open the
// running server's mutation log and storage beside it before it failed on
// its listening address, and on its way out removed the running server's
// preallocated next log segment: every write of the running server failed
// from its next segment roll on. RocksDB locks each replica's storage, but
// the log and the replica directories are the server's own. The lock is
// released when the file is closed, or when the process dies.
func lockDataDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data dir %s is in use by another replica server (%s)", dir, strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("lock data dir %s: %w", dir, err)
	}
	// Who holds it, for the error above; best effort.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d\n", os.Getpid())), 0)
	}
	return f, nil
}
