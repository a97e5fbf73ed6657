package shell

import (
	"fmt"
	"io"
	"strconv"
)

func init() {
	register(
		&Command{Name: "get_replica_count", Group: "tables", Summary: "show a table's max replica count", JSON: true,
			Help: "JSON: {\"max_replica_count\": n}.",
			Args: []Arg{{Name: "app_name", Kind: KindTable}},
			Run:  runGetReplicaCount},
		&Command{Name: "set_replica_count", Group: "tables", Summary: "change a table's max replica count",
			Help: "Asks for confirmation: on a terminal, or as upstream from the next input line of a\n" +
				"script (y or n); -f|--yes skips it.",
			Args:  []Arg{{Name: "app_name", Kind: KindTable}, {Name: "replica_count"}},
			Flags: []Flag{{Short: "f", Long: "yes", Alias: "force", Help: "do not ask for confirmation"}},
			JSON:  true,
			Run:   runSetReplicaCount},
		&Command{Name: "get_atomic_idempotent", Group: "tables", Summary: "show whether a table's atomic writes are idempotent", JSON: true,
			Help: "Atomic writes are incr, check_and_set and check_and_mutate. JSON: {\"atomic_idempotent\": bool}.",
			Args: []Arg{{Name: "app_name", Kind: KindTable}},
			Run:  runGetAtomicIdempotent},
		&Command{Name: "enable_atomic_idempotent", Group: "tables", Summary: "make a table's atomic writes idempotent", JSON: true,
			Args: []Arg{{Name: "app_name", Kind: KindTable}},
			Run:  func(c *Call) error { return runSetAtomicIdempotent(c, true) }},
		&Command{Name: "disable_atomic_idempotent", Group: "tables", Summary: "stop making a table's atomic writes idempotent", JSON: true,
			Args: []Arg{{Name: "app_name", Kind: KindTable}},
			Run:  func(c *Call) error { return runSetAtomicIdempotent(c, false) }},
	)
}

func runGetReplicaCount(c *Call) error {
	ctx, cancel := c.adminCtx()
	defer cancel()
	n, err := c.s.admin.ReplicaCount(ctx, c.args[0])
	if err != nil {
		return failf(err, "ERROR: get replica count of %s failed, error=%s", c.args[0], describe(err))
	}
	kv := &kvTable{name: "max_replica_count"}
	kv.add("max_replica_count", n)
	return c.Emit(map[string]int32{"max_replica_count": n}, func(w io.Writer) { printSections(w, kv) })
}

func runSetReplicaCount(c *Call) error {
	name := c.args[0]
	n, err := strconv.ParseInt(c.args[1], 10, 32)
	if err != nil || n < 1 {
		return usagef("invalid replica_count '%s', should be a positive integer", c.args[1])
	}
	if !c.Switch("yes") {
		ok, err := c.s.confirm(fmt.Sprintf("PLEASE be CAUTIOUS: set the max replica count of table %s to %d?", name, n), "-f|--yes", true)
		if err != nil {
			return err
		}
		if !ok {
			return failf(nil, "set replica count of app(%s) cancelled", name)
		}
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	old, err := c.s.admin.SetReplicaCount(ctx, name, int32(n))
	if err != nil {
		return failf(err, "set replica count of app(%s) to %d failed: %s", name, n, describe(err))
	}
	return c.Done(map[string]any{"app_name": name, "old_replica_count": old, "new_replica_count": n},
		"set replica count of app(%s) from %d to %d: success", name, old, n)
}

func runGetAtomicIdempotent(c *Call) error {
	ctx, cancel := c.adminCtx()
	defer cancel()
	on, err := c.s.admin.AtomicIdempotent(ctx, c.args[0])
	if err != nil {
		return failf(err, "ERROR: get_atomic_idempotent failed, error=%s", describe(err))
	}
	kv := &kvTable{name: "atomic_idempotent"}
	kv.add("atomic_idempotent", on)
	return c.Emit(map[string]bool{"atomic_idempotent": on}, func(w io.Writer) { printSections(w, kv) })
}

func runSetAtomicIdempotent(c *Call, on bool) error {
	ctx, cancel := c.adminCtx()
	defer cancel()
	old, err := c.s.admin.SetAtomicIdempotent(ctx, c.args[0], on)
	if err != nil {
		return failf(err, "ERROR: set_atomic_idempotent failed, error=%s", describe(err))
	}
	return c.Done(map[string]any{"app_name": c.args[0], "old_atomic_idempotent": old, "atomic_idempotent": on},
		"set_atomic_idempotent from %v to %v: succeed", old, on)
}
