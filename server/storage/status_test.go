package storage

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pegasus-go/pegasus/rocksdb"
)

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want int32
	}{
		{nil, StatusOk},
		{fmt.Errorf("get: %w", rocksdb.ErrClosed), StatusShutdownInProgress},
		{fmt.Errorf("x: %w", errShortValue), StatusCorruption},
		{errors.New("rocksdb: iterator: Corruption: block checksum mismatch"), StatusCorruption},
		{errors.New("rocksdb: get: IO error: No space left on device"), StatusIOError},
		{errors.New("rocksdb: get: Operation failed. Try again.: x"), StatusTryAgain},
		{errors.New("something else"), StatusIOError},
	}
	for _, tt := range tests {
		if got := statusOf(tt.err); got != tt.want {
			t.Errorf("statusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
	if StatusName(StatusTryAgain) != "TryAgain" || StatusName(StatusIncomplete) != "Incomplete" || StatusName(99) != "Unknown" {
		t.Error("StatusName wrong")
	}
}
