package storage

import (
	"errors"
	"strings"

	"github.com/pegasus-go/pegasus/rocksdb"
)

// rocksdbStatusPrefixes maps the message prefixes of RocksDB's
// Status::ToString to status codes.
var rocksdbStatusPrefixes = []struct {
	prefix string
	code   int32
}{
	{"NotFound", StatusNotFound},
	{"Corruption", StatusCorruption},
	{"Not implemented", StatusNotSupported},
	{"Invalid argument", StatusInvalidArgument},
	{"IO error", StatusIOError},
	{"Merge in progress", StatusMergeInProgress},
	{"Result incomplete", StatusIncomplete},
	{"Shutdown in progress", StatusShutdownInProgress},
	{"Operation timed out", StatusTimedOut},
	{"Operation aborted", StatusAborted},
	{"Resource busy", StatusBusy},
	{"Operation expired", StatusExpired},
	{"Operation failed. Try again.", StatusTryAgain},
}

// statusOf maps an engine error to the storage status code sent to clients.
// A closed DB reads as shutdown in progress; an unrecognised error as an I/O
// error.
func statusOf(err error) int32 {
	if err == nil {
		return StatusOk
	}
	if errors.Is(err, rocksdb.ErrClosed) {
		return StatusShutdownInProgress
	}
	if errors.Is(err, errShortValue) {
		return StatusCorruption
	}
	// The engine wraps RocksDB's message behind its own context prefixes.
	msg := err.Error()
	for _, p := range rocksdbStatusPrefixes {
		if strings.Contains(msg, p.prefix) {
			return p.code
		}
	}
	return StatusIOError
}
