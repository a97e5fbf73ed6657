package shell

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/thrift/base"
)

// Exit statuses of a command, and of pegasus-shell in -e, -f and stdin
// modes (docs/shell.md).
const (
	ExitOK          = 0   // the command did what was asked
	ExitFailed      = 1   // the cluster refused it, or it failed on the way
	ExitUsage       = 2   // unknown command, bad flags or arguments, no table selected
	ExitUnreachable = 3   // no meta server answered within the bounded wait
	ExitInterrupted = 130 // cancelled with Ctrl-C (or SIGINT)
)

// failure is a command's own failure line (upstream's wording, which
// scripts grep), printed as is on standard error.
type failure struct {
	msg  string
	err  error
	code int
}

func (f *failure) Error() string { return f.msg }
func (f *failure) Unwrap() error { return f.err }

// failf reports a failed command with its message; err, if not nil, is the
// cause (it decides whether the cluster was unreachable or the command was
// cancelled).
func failf(err error, format string, args ...any) error {
	return &failure{msg: fmt.Sprintf(format, args...), err: err, code: ExitFailed}
}

// unreachable reports whether err means no meta server answered.
func unreachable(err error) bool {
	return errors.Is(err, admin.ErrNoMeta) || errors.Is(err, client.ErrMetaUnavailable)
}

// describe turns an error from admin or client into the short text upstream
// prints after "error=": the error code name where there is one.
func describe(err error) string {
	var oe *admin.OpError
	if errors.As(err, &oe) {
		if oe.Hint != "" {
			return fmt.Sprintf("%s, %s", oe.Errno, oe.Hint)
		}
		return string(oe.Errno)
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		return "storage status " + ce.Status.String()
	}
	switch {
	case errors.Is(err, client.ErrTableNotFound):
		return "ERR_OBJECT_NOT_FOUND"
	case errors.Is(err, context.DeadlineExceeded):
		return "ERR_TIMEOUT"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	var en base.Errno
	if errors.As(err, &en) {
		return string(en)
	}
	return strings.TrimPrefix(err.Error(), "client: ")
}
