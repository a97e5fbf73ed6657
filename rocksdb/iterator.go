package rocksdb

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/linxGnu/grocksdb"
)

// IterOptions bounds an iterator over the data column family.
type IterOptions struct {
	// Lower is the inclusive lower bound; nil (or empty) means unbounded.
	Lower []byte
	// Upper is the exclusive upper bound; nil means unbounded. A non-nil
	// empty Upper, or one not greater than Lower, is an empty range.
	Upper []byte
	// FillCache lets the blocks this iterator reads enter the block cache;
	// leave it false for bulk scans so they do not evict hot data.
	FillCache bool
}

// Iterator walks the data column family within its bounds, over the
// consistent view of the DB taken when it was created. It is not safe for
// concurrent use. Key and Value return memory owned by the iterator that is
// overwritten by the next move; copy what you keep. Close it when done; a
// DB Close closes it too, after which it is invalid and Err is ErrClosed.
//
// Moves on an invalid iterator (Next, Prev) are no-ops, never crashes.
type Iterator struct {
	// mu orders the owner's calls against DB.Close, which may close the
	// iterator from another goroutine; it guards every field below.
	mu     sync.Mutex
	it     *grocksdb.Iterator // nil when closed or the range is empty
	ro     *grocksdb.ReadOptions
	bounds [2][]byte // lower and upper bound copies in C memory
	db     *DB
	err    error

	valid          bool // it.Valid() after the last move
	key, value     []byte
	keyOK, valueOK bool // key / value hold the current entry
}

// NewIterator returns an iterator over [o.Lower, o.Upper), unpositioned:
// call a Seek method first. On a closed DB it returns an invalid iterator
// whose Err is ErrClosed.
func (db *DB) NewIterator(o IterOptions) *Iterator {
	it := &Iterator{db: db}
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		it.err = fmt.Errorf("rocksdb: new iterator: %w", ErrClosed)
		return it
	}
	if o.Upper != nil && (len(o.Upper) == 0 || (len(o.Lower) > 0 && bytes.Compare(o.Lower, o.Upper) >= 0)) {
		return it // empty range: no C objects at all
	}

	it.ro = grocksdb.NewDefaultReadOptions()
	it.ro.SetFillCache(o.FillCache)
	if len(o.Lower) > 0 {
		it.bounds[0] = cBytes(o.Lower)
		it.ro.SetIterateLowerBound(it.bounds[0])
	}
	if len(o.Upper) > 0 {
		it.bounds[1] = cBytes(o.Upper)
		it.ro.SetIterateUpperBound(it.bounds[1])
	}
	it.it = db.raw.NewIteratorCF(it.ro, db.dataCF)
	db.iters.add(it)
	return it
}

// moved refreshes the cached state after the C iterator moved.
func (it *Iterator) moved() {
	it.valid = it.it.Valid()
	it.keyOK, it.valueOK = false, false
}

// Seek positions at the first key >= k (and >= the lower bound).
func (it *Iterator) Seek(k []byte) {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.it != nil {
		it.it.Seek(k)
		it.moved()
	}
}

// SeekForPrev positions at the last key <= k (and below the upper bound).
func (it *Iterator) SeekForPrev(k []byte) {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.it != nil {
		it.it.SeekForPrev(k)
		it.moved()
	}
}

// SeekToFirst positions at the first key in range.
func (it *Iterator) SeekToFirst() {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.it != nil {
		it.it.SeekToFirst()
		it.moved()
	}
}

// SeekToLast positions at the last key in range.
func (it *Iterator) SeekToLast() {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.it != nil {
		it.it.SeekToLast()
		it.moved()
	}
}

// Next moves to the next key; a no-op unless Valid.
func (it *Iterator) Next() {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.it != nil && it.valid {
		it.it.Next()
		it.moved()
	}
}

// Prev moves to the previous key; a no-op unless Valid.
func (it *Iterator) Prev() {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.it != nil && it.valid {
		it.it.Prev()
		it.moved()
	}
}

// Valid reports whether the iterator is positioned at an entry in range.
func (it *Iterator) Valid() bool {
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.it != nil && it.valid
}

// Key returns the current key, or nil unless Valid. The slice is owned by
// the iterator and overwritten by the next move.
func (it *Iterator) Key() []byte {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.it == nil || !it.valid {
		return nil
	}
	if !it.keyOK {
		it.key = append(it.key[:0], it.it.Key().Data()...)
		it.keyOK = true
	}
	return it.key
}

// Value returns the current value, or nil unless Valid. The slice is owned
// by the iterator and overwritten by the next move.
func (it *Iterator) Value() []byte {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.it == nil || !it.valid {
		return nil
	}
	if !it.valueOK {
		it.value = append(it.value[:0], it.it.Value().Data()...)
		it.valueOK = true
	}
	return it.value
}

// Err returns the error that made the iterator invalid, if any (an I/O
// error or corruption, or ErrClosed after the DB closed).
func (it *Iterator) Err() error {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.err != nil {
		return it.err
	}
	if it.it == nil {
		return nil
	}
	if err := it.it.Err(); err != nil {
		return fmt.Errorf("rocksdb: iterator: %w", err)
	}
	return nil
}

// Close frees the iterator; calling it again is harmless.
func (it *Iterator) Close() {
	if it.release(nil) {
		it.db.iters.remove(it)
	}
}

// release frees the C objects and records err (if the iterator held no error
// yet). It reports whether this call did the freeing.
func (it *Iterator) release(err error) bool {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.err == nil {
		it.err = err
	}
	if it.it == nil {
		return false
	}
	it.it.Close()
	it.ro.Destroy()
	freeCBytes(it.bounds[0])
	freeCBytes(it.bounds[1])
	it.it, it.ro, it.bounds = nil, nil, [2][]byte{}
	it.valid, it.keyOK, it.valueOK = false, false, false
	return true
}

// openIterators tracks live iterators so that Close can free them.
type openIterators struct {
	mu  sync.Mutex
	set map[*Iterator]struct{}
}

func (s *openIterators) init() { s.set = make(map[*Iterator]struct{}) }

func (s *openIterators) add(it *Iterator) {
	s.mu.Lock()
	s.set[it] = struct{}{}
	s.mu.Unlock()
}

func (s *openIterators) remove(it *Iterator) {
	s.mu.Lock()
	delete(s.set, it)
	s.mu.Unlock()
}

// closeAll releases every tracked iterator; their owners then see ErrClosed.
// An iterator whose owner is closing it concurrently is freed exactly once
// (release is idempotent under the iterator's own mutex).
func (s *openIterators) closeAll() {
	s.mu.Lock()
	live := make([]*Iterator, 0, len(s.set))
	for it := range s.set {
		live = append(live, it)
	}
	s.set = make(map[*Iterator]struct{})
	s.mu.Unlock()
	for _, it := range live {
		it.release(fmt.Errorf("rocksdb: iterator: %w", ErrClosed))
	}
}
