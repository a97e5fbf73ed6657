package rocksdb

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/linxGnu/grocksdb"
)

// Column family names. The data CF is RocksDB's default one.
const (
	DataColumnFamily = "default"
	MetaColumnFamily = "pegasus_meta_cf"
)

// ErrClosed is returned (wrapped) by every call on a closed DB.
var ErrClosed = errors.New("rocksdb: db is closed")

// DB is one open RocksDB instance with a data and a meta column family.
type DB struct {
	dir  string
	opts Options

	// mu guards closed and the lifetime of every C object below: calls hold
	// it shared for their whole duration, Close holds it exclusively.
	mu     sync.RWMutex
	closed bool

	raw         *grocksdb.DB
	dataCF      *grocksdb.ColumnFamilyHandle
	metaCF      *grocksdb.ColumnFamilyHandle
	engine      *engineOptions
	filter      *expiredFilter
	readOpts    *grocksdb.ReadOptions // hot-path reads
	flushedOpts *grocksdb.ReadOptions // reads of persisted data only
	writeOpts   *grocksdb.WriteOptions

	// C pointers behind raw, dataCF and metaCF, for the C++ flush shim.
	cRaw, cDataCF, cMetaCF unsafe.Pointer

	// writeMu serialises Write, so that checking and advancing the decree is
	// atomic with applying the batch. It guards emptyBatch and decreeBuf.
	writeMu    sync.Mutex
	emptyBatch *grocksdb.WriteBatch // stands in for a nil *Batch
	decreeBuf  []byte
	lastDecree atomic.Int64 // last applied decree; written under writeMu

	iters openIterators
}

// Open opens (creating if missing) the DB in dir with a data column family
// and a meta column family, and loads the last applied decree.
func Open(dir string, opts Options) (*DB, error) {
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("rocksdb: open %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("rocksdb: open %s: %w", dir, err)
	}
	db := &DB{dir: dir, opts: opts, filter: newExpiredFilter(opts.ExpiredFilter)}
	if err := db.openEngine(); err != nil {
		db.filter.release()
		return nil, fmt.Errorf("rocksdb: open %s: %w", dir, err)
	}

	db.readOpts = grocksdb.NewDefaultReadOptions()
	db.flushedOpts = grocksdb.NewDefaultReadOptions()
	db.flushedOpts.SetReadTier(persistedTier)
	db.writeOpts = grocksdb.NewDefaultWriteOptions()
	db.writeOpts.DisableWAL(opts.DisableWAL)
	db.writeOpts.SetSync(opts.SyncWrites && !opts.DisableWAL)
	db.emptyBatch = grocksdb.NewWriteBatch()
	db.iters.init()

	decree, err := db.readDecree(db.readOpts)
	if err == nil {
		err = db.loadCHandles()
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("rocksdb: open %s: %w", dir, err)
	}
	db.lastDecree.Store(decree)
	return db, nil
}

// openEngine opens RocksDB with the first usable compression candidate.
func (db *DB) openEngine() error {
	var err error
	for _, c := range db.opts.compressionCandidates() {
		e := newEngineOptions(&db.opts, c, db.filter)
		if e.statsErr != nil {
			e.destroy()
			return e.statsErr
		}
		raw, cfs, openErr := grocksdb.OpenDbColumnFamilies(e.dbOpts, db.dir,
			[]string{DataColumnFamily, MetaColumnFamily},
			[]*grocksdb.Options{e.dbOpts, e.metaOpts})
		if openErr == nil {
			db.raw, db.dataCF, db.metaCF, db.engine = raw, cfs[0], cfs[1], e
			return nil
		}
		e.destroy()
		err = fmt.Errorf("compression %s: %w", c, openErr)
		// Only an unlinked compression is worth another candidate.
		if !strings.Contains(openErr.Error(), "not linked") {
			break
		}
	}
	return err
}

// loadCHandles finds the C objects the flush shim needs.
func (db *DB) loadCHandles() error {
	var err error
	if db.cRaw, err = cHandle(db.raw); err != nil {
		return err
	}
	if db.cDataCF, err = cHandle(db.dataCF); err != nil {
		return err
	}
	db.cMetaCF, err = cHandle(db.metaCF)
	return err
}

// Close flushes memtables when the WAL is disabled (nothing else would keep
// them), closes iterators still open, closes RocksDB and frees every C
// object. It waits for calls in flight. Calling it again returns nil.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return nil
	}
	db.closed = true
	db.iters.closeAll()

	var err error
	if db.opts.DisableWAL && db.cRaw != nil {
		if ferr := db.flushLocked(); ferr != nil {
			err = fmt.Errorf("rocksdb: close %s: flush: %w", db.dir, ferr)
		}
	}
	db.dataCF.Destroy()
	db.metaCF.Destroy()
	db.raw.Close()
	db.readOpts.Destroy()
	db.flushedOpts.Destroy()
	db.writeOpts.Destroy()
	db.emptyBatch.Destroy()
	db.engine.destroy()
	db.filter.release()
	return err
}

// Dir returns the directory the DB was opened in.
func (db *DB) Dir() string { return db.dir }

// Raw returns the underlying grocksdb handle, for benchmarks that compare
// this layer with direct grocksdb calls. It bypasses the decree bookkeeping
// and the Close guard: it is valid only until Close.
func (db *DB) Raw() *grocksdb.DB { return db.raw }

// DataCF returns the handle of the data column family; see Raw.
func (db *DB) DataCF() *grocksdb.ColumnFamilyHandle { return db.dataCF }
