package rocksdb

import (
	"fmt"
	"os"

	"github.com/linxGnu/grocksdb"
)

// Checkpoint creates a RocksDB checkpoint of both column families in dir,
// which must not exist yet: SST files are hard-linked (copied across file
// systems), memtables are flushed first (atomically across column families),
// so the checkpoint is complete even with the WAL disabled. It returns the
// decree the checkpoint contains, read back from the checkpoint itself;
// writes may continue meanwhile, so it can exceed the LastAppliedDecree seen
// before the call. Open(dir) yields the same data and decree.
func (db *DB) Checkpoint(dir string) (decree int64, err error) {
	if err := db.createCheckpoint(dir); err != nil {
		return 0, fmt.Errorf("rocksdb: checkpoint into %s: %w", dir, err)
	}
	decree, err = ReadDecree(dir)
	if err != nil {
		// The directory is ours (RocksDB refused to reuse an existing one),
		// and a checkpoint whose decree is unknown is of no use to anyone.
		os.RemoveAll(dir)
		return 0, fmt.Errorf("rocksdb: checkpoint into %s: %w", dir, err)
	}
	return decree, nil
}

func (db *DB) createCheckpoint(dir string) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return ErrClosed
	}
	cp, err := db.raw.NewCheckpoint()
	if err != nil {
		return err
	}
	defer cp.Destroy()
	// log_size_for_flush 0: always flush, as unflushed data would be missing
	// from a checkpoint of a DB without WAL.
	return cp.CreateCheckpoint(dir, 0)
}

// ReadDecree returns the decree recorded in the DB or checkpoint at dir,
// opening it read-only and leaving it untouched. The DB must not be open
// for writing by this process (use LastAppliedDecree then).
func ReadDecree(dir string) (int64, error) {
	opts := grocksdb.NewDefaultOptions()
	defer opts.Destroy()
	metaOpts := grocksdb.NewDefaultOptions()
	defer metaOpts.Destroy()
	raw, cfs, err := grocksdb.OpenDbForReadOnlyColumnFamilies(opts, dir,
		[]string{DataColumnFamily, MetaColumnFamily},
		[]*grocksdb.Options{opts, metaOpts}, false)
	if err != nil {
		return 0, fmt.Errorf("rocksdb: read decree of %s: %w", dir, err)
	}
	ro := grocksdb.NewDefaultReadOptions()
	decree, err := readDecree(raw, cfs[1], ro)
	ro.Destroy()
	for _, cf := range cfs {
		cf.Destroy()
	}
	raw.Close()
	if err != nil {
		return 0, fmt.Errorf("rocksdb: read decree of %s: %w", dir, err)
	}
	return decree, nil
}
