package base

import (
	"context"
	"fmt"

	"github.com/apache/thrift/lib/go/thrift"
)

// TaskCode is dsn.task_code: the name of an rDSN task or RPC, sent as a thrift
// string. It appears only in server-internal structs.
type TaskCode struct {
	Code string
}

// Read decodes the name.
func (t *TaskCode) Read(ctx context.Context, iprot thrift.TProtocol) error {
	s, err := iprot.ReadString(ctx)
	if err != nil {
		return fmt.Errorf("read task_code: %w", err)
	}
	t.Code = s
	return nil
}

// Write encodes the name; a nil task code is written as "".
func (t *TaskCode) Write(ctx context.Context, oprot thrift.TProtocol) error {
	var s string
	if t != nil {
		s = t.Code
	}
	if err := oprot.WriteString(ctx, s); err != nil {
		return fmt.Errorf("write task_code: %w", err)
	}
	return nil
}

// Equals compares names; nil equals "".
func (t *TaskCode) Equals(other *TaskCode) bool { return t.String() == other.String() }

// String returns the name.
func (t *TaskCode) String() string {
	if t == nil {
		return ""
	}
	return t.Code
}
