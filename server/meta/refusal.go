package meta

import (
	"errors"
	"fmt"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// Refusal is a request the meta server turned down. Errno is the name the
// reply's err field carries; Reason is for hint messages and logs.
type Refusal struct {
	Errno  base.Errno
	Reason string
}

func (r *Refusal) Error() string {
	if r.Reason == "" {
		return string(r.Errno)
	}
	return fmt.Sprintf("%s: %s", r.Errno, r.Reason)
}

// Unwrap lets errors.Is match the Errno.
func (r *Refusal) Unwrap() error { return r.Errno }

func refuse(errno base.Errno, format string, args ...any) error {
	return &Refusal{Errno: errno, Reason: fmt.Sprintf(format, args...)}
}

// ErrnoOf maps an error to the name a reply carries: ERR_OK for nil, a
// Refusal's Errno, and ERR_UNKNOWN for anything else.
func ErrnoOf(err error) base.Errno {
	if err == nil {
		return base.ERR_OK
	}
	var r *Refusal
	if errors.As(err, &r) {
		return r.Errno
	}
	return base.ERR_UNKNOWN
}

// hintOf is the human-readable part of an error for hint_message fields.
func hintOf(err error) string {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Reason
	}
	if err != nil {
		return err.Error()
	}
	return ""
}
