package rocksdb

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentReadersAndWriter runs readers against one writer whose every
// batch sets a and b to the decree: a reader must never see half a batch, nor
// a decree going backwards.
func TestConcurrentReadersAndWriter(t *testing.T) {
	const writes, readers = 400, 4
	db := openTest(t, Options{WriteBufferBytes: 64 << 10}) // small: flushes happen meanwhile
	var done atomic.Bool
	errs := make(chan error, readers+1)
	var wg sync.WaitGroup

	wg.Add(1)
	go func() {
		defer wg.Done()
		defer done.Store(true)
		b := db.NewBatch()
		defer b.Destroy()
		for d := int64(1); d <= writes; d++ {
			b.Clear()
			v := []byte(strconv.FormatInt(d, 10))
			b.Put([]byte("a"), v)
			b.Put([]byte("b"), v)
			b.Put([]byte(fmt.Sprintf("n%06d", d)), make([]byte, 512))
			if err := db.Write(b, d); err != nil {
				errs <- err
				return
			}
		}
	}()

	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- readUntil(db, &done)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := db.LastAppliedDecree(); got != writes {
		t.Fatalf("LastAppliedDecree = %d, want %d", got, writes)
	}
}

// readUntil reads a and b through an iterator (one consistent view) and
// through Get, until done.
func readUntil(db *DB, done *atomic.Bool) error {
	var lastA, lastDecree int64
	for !done.Load() {
		it := db.NewIterator(IterOptions{Lower: []byte("a"), Upper: []byte("c")})
		var seen []string
		for it.SeekToFirst(); it.Valid(); it.Next() {
			seen = append(seen, string(it.Value()))
		}
		err := it.Err()
		it.Close()
		if err != nil {
			return err
		}
		if len(seen) == 2 && seen[0] != seen[1] {
			return fmt.Errorf("iterator saw half a batch: a=%s b=%s", seen[0], seen[1])
		}
		if len(seen) == 1 {
			return fmt.Errorf("iterator saw only %q", seen)
		}

		// Once LastAppliedDecree reports d, the data of d is visible (the
		// decree is published after the write, so data may run ahead).
		d := db.LastAppliedDecree()
		if d < lastDecree {
			return fmt.Errorf("decree went back from %d to %d", lastDecree, d)
		}
		lastDecree = d
		v, found, err := db.Get([]byte("a"))
		if err != nil {
			return err
		}
		var a int64
		if found {
			a, _ = strconv.ParseInt(string(v), 10, 64)
		}
		if a < lastA || a < d {
			return fmt.Errorf("a=%d after a=%d and decree %d", a, lastA, d)
		}
		lastA = a
		_ = db.Stats()
	}
	return nil
}

// TestConcurrentWritersApplyEachDecreeOnce races writers over the same
// decrees, as a replayed log racing live commits would: each decree is
// applied exactly once.
func TestConcurrentWritersApplyEachDecreeOnce(t *testing.T) {
	const decrees, writers = 200, 3
	db := openTest(t, Options{})
	var applied [decrees + 1]atomic.Int32
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := int64(1); d <= decrees; d++ {
				err := db.Write(nil, d)
				switch {
				case err == nil:
					applied[d].Add(1)
				case !errors.Is(err, ErrStaleDecree):
					t.Errorf("Write(%d): %v", d, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for d := 1; d <= decrees; d++ {
		if n := applied[d].Load(); n != 1 {
			t.Errorf("decree %d applied %d times", d, n)
		}
	}
}

// TestCloseDuringCalls closes the DB while readers, a writer and iterators
// are busy: every call either works or reports ErrClosed.
func TestCloseDuringCalls(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "rdb"), Options{DisableWAL: true})
	if err != nil {
		t.Fatal(err)
	}
	writeKVs(t, db, 1, kv{"a", "1"}, kv{"b", "2"})
	check := func(what string, err error) bool {
		if err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("%s: %v", what, err)
		}
		return err == nil
	}
	started := make(chan struct{}, 4)
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { // writer
		defer wg.Done()
		started <- struct{}{}
		for d := int64(2); ; d++ {
			if !check("Write", db.Write(nil, d)) {
				return
			}
		}
	}()
	go func() { // point reader
		defer wg.Done()
		started <- struct{}{}
		for {
			_, _, err := db.Get([]byte("a"))
			if !check("Get", err) {
				return
			}
		}
	}()
	for i := 0; i < 2; i++ {
		go func() { // scanners keeping iterators open across Close
			defer wg.Done()
			started <- struct{}{}
			for {
				it := db.NewIterator(IterOptions{})
				for it.SeekToFirst(); it.Valid(); it.Next() {
					_, _ = it.Key(), it.Value()
				}
				it.SeekToLast()
				err := it.Err()
				it.Close()
				if !check("iterator", err) {
					return
				}
			}
		}()
	}
	for i := 0; i < 4; i++ {
		<-started
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
}
