package client

import (
	"errors"
	"fmt"
)

// Sentinel errors of the client itself. Returned errors wrap them with
// details; test with errors.Is.
var (
	// ErrTableNotFound: the meta server does not know the table (never
	// created, or dropped).
	ErrTableNotFound = errors.New("client: table not found")
	// ErrMetaUnavailable: no meta server answered as leader before the
	// deadline.
	ErrMetaUnavailable = errors.New("client: no meta server available")
	// ErrInvalidArgument: the request was refused before it was sent.
	ErrInvalidArgument = errors.New("client: invalid argument")
	// ErrClosed: the Client (or the Scanner) was closed.
	ErrClosed = errors.New("client: closed")
	// ErrPartitionUnavailable: the table's configuration names no primary
	// for the partition (it is being reassigned).
	ErrPartitionUnavailable = errors.New("client: partition has no primary")
)

// Status is a storage status code, the i32 error field of rrdb responses
// (RocksDB Status::Code values, protocol.md §4.4).
type Status int32

// The storage status codes, with the names the protocol gives them.
const (
	StatusOk                 Status = 0
	StatusNotFound           Status = 1
	StatusCorruption         Status = 2
	StatusNotSupported       Status = 3
	StatusInvalidArgument    Status = 4
	StatusIOError            Status = 5
	StatusMergeInProgress    Status = 6
	StatusIncomplete         Status = 7
	StatusShutdownInProgress Status = 8
	StatusTimedOut           Status = 9
	StatusAborted            Status = 10
	StatusBusy               Status = 11
	StatusExpired            Status = 12
	StatusTryAgain           Status = 13
)

var statusNames = [...]string{
	"Ok", "NotFound", "Corruption", "NotSupported", "InvalidArgument", "IOError",
	"MergeInProgress", "Incomplete", "ShutdownInProgress", "TimedOut", "Aborted",
	"Busy", "Expired", "TryAgain",
}

// String returns the status name, e.g. "InvalidArgument".
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int32(s))
}

// Error is an operation the storage engine executed and answered with a
// non-zero status that the operation does not turn into a value.
type Error struct {
	Op     string // the Table method, e.g. "Incr"
	Table  string
	Status Status
}

func (e *Error) Error() string {
	return fmt.Sprintf("client: %s on table %q: storage status %s (%d)", e.Op, e.Table, e.Status, int32(e.Status))
}

// Is makes errors.Is(err, &Error{Status: s}) match any *Error with status s
// regardless of Op and Table.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Op == "" && t.Table == "" && t.Status == e.Status
}

// opError wraps a non-status failure of op on table with that context.
func opError(op, table string, err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return err // already names its op and table
	}
	return fmt.Errorf("client: %s on table %q: %w", op, table, err)
}

// invalidf reports a request refused before sending.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgument, fmt.Sprintf(format, args...))
}
