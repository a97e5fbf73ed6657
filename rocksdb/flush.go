package rocksdb

// #cgo CXXFLAGS: -std=c++17
// #cgo LDFLAGS: -lrocksdb -lstdc++
// #include <stdlib.h>
// #include "flush.h"
import "C"

import (
	"errors"
	"fmt"
	"reflect"
	"unsafe"
)

// Flush writes the memtables of both column families to SST files in one
// atomic flush and waits for it. Afterwards LastFlushedDecree equals
// LastAppliedDecree (barring writes that raced with the flush).
func (db *DB) Flush() error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return fmt.Errorf("rocksdb: flush: %w", ErrClosed)
	}
	if err := db.flushLocked(); err != nil {
		return fmt.Errorf("rocksdb: flush: %w", err)
	}
	return nil
}

// flushLocked needs db.mu held (either way) and the DB open.
func (db *DB) flushLocked() error {
	if db.cRaw == nil {
		return errors.New("C handles of grocksdb unavailable")
	}
	msg := C.pegasus_flush_cfs((*C.rocksdb_t)(db.cRaw),
		(*C.rocksdb_column_family_handle_t)(db.cDataCF),
		(*C.rocksdb_column_family_handle_t)(db.cMetaCF))
	if msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return errors.New(C.GoString(msg))
	}
	return nil
}

// cHandle returns the C object behind a grocksdb wrapper such as *grocksdb.DB
// or *grocksdb.ColumnFamilyHandle: its unexported pointer field c. grocksdb
// exposes no accessor; the version is pinned in go.mod and a test checks that
// the field is still there.
func cHandle(wrapper any) (unsafe.Pointer, error) {
	v := reflect.ValueOf(wrapper)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("%T is not a non-nil pointer to a struct", wrapper)
	}
	f := v.Elem().FieldByName("c")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() {
		return nil, fmt.Errorf("%T has no C handle field", wrapper)
	}
	return f.UnsafePointer(), nil
}
