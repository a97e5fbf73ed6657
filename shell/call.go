package shell

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/pegasus-go/pegasus/client"
)

// Call is one run of a command: its parsed arguments and where its output
// goes.
type Call struct {
	ctx  context.Context
	s    *Session
	cmd  *Command
	args []string
	vals map[string]string
	out  io.Writer // standard output, or the -o file
}

// Has reports whether a flag was given.
func (c *Call) Has(long string) bool { _, ok := c.vals[long]; return ok }

// Switch reports whether a switch is on.
func (c *Call) Switch(long string) bool { return c.vals[long] == "true" }

// Str returns a flag's value, or def when it was not given.
func (c *Call) Str(long, def string) string {
	if v, ok := c.vals[long]; ok {
		return v
	}
	return def
}

// Int returns a flag's integer value, or def when it was not given.
func (c *Call) Int(long string, def int64) (int64, error) {
	v, ok := c.vals[long]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, usagef("parse %s as %s failed", v, long)
	}
	return n, nil
}

// BoolValue returns a flag whose value is true or false.
func (c *Call) BoolValue(long string, def bool) (bool, error) {
	v, ok := c.vals[long]
	if !ok {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, usagef("invalid %s value '%s', should be true or false", long, v)
	}
	return b, nil
}

// JSON reports whether the command prints JSON.
func (c *Call) JSON() bool { return c.s.opts.JSON || c.Switch("json") }

// Out is where results go.
func (c *Call) Out() io.Writer { return c.out }

// Errf prints a line on standard error.
func (c *Call) Errf(format string, args ...any) { fmt.Fprintf(c.s.stderr, format+"\n", args...) }

// Printf prints a result line.
func (c *Call) Printf(format string, args ...any) { fmt.Fprintf(c.out, format+"\n", args...) }

// Emit prints a result: JSON of v, or text.
func (c *Call) Emit(v any, text func(w io.Writer)) error {
	if c.JSON() {
		return writeJSON(c.out, v)
	}
	text(c.out)
	return nil
}

// Done prints the outcome of a command that changes something: the text
// line upstream prints (which scripts grep), or JSON of v.
func (c *Call) Done(v any, format string, args ...any) error {
	return c.Emit(v, func(w io.Writer) { fmt.Fprintf(w, format+"\n", args...) })
}

// esc prints key or value bytes as the session's escape_all says.
func (c *Call) esc(b []byte) string { return escapeBytes(b, c.s.escapeAll) }

// adminCtx bounds an admin call.
func (c *Call) adminCtx() (context.Context, context.CancelFunc) { return c.s.adminCtx(c.ctx) }

// dataCtx bounds a data operation by the session timeout.
func (c *Call) dataCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.ctx, c.s.timeout)
}

// timeoutFlag returns -t|--timeout_ms, or the session timeout.
func (c *Call) timeoutFlag() (time.Duration, error) {
	ms, err := c.Int("timeout_ms", c.s.timeout.Milliseconds())
	if err != nil {
		return 0, err
	}
	if ms <= 0 {
		return 0, usagef("timeout_ms should be positive")
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// table opens the current table.
func (c *Call) table() (*client.Table, error) {
	ctx, cancel := c.adminCtx()
	defer cancel()
	t, err := c.s.openTable(ctx, c.s.table)
	if err != nil {
		return nil, failf(err, "ERROR: get client error, cluster_name(%s), app_name(%s): %s", c.s.cluster, c.s.table, describe(err))
	}
	return t, nil
}
