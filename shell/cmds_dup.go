package shell

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/thrift/base"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// Cross-cluster duplication (docs/duplication.md): upstream's add_dup,
// query_dup, dups, start_dup, pause_dup, remove_dup and set_dup_fail_mode.

var (
	dupTableArg = Arg{Name: "app_name", Kind: KindTable}
	dupIDArg    = Arg{Name: "dup_id"}
)

func init() {
	register(
		&Command{Name: "add_dup", Group: "duplication", Summary: "duplicate a table to another cluster",
			Help: "Starts shipping the table's writes to the remote cluster (a name configured in the\n" +
				"meta servers' [duplication] section). The meta server creates the follower table there.\n" +
				"With -s the table's existing rows are copied first (a checkpoint); without it only writes\n" +
				"committed from now on are shipped. The remote cluster must not be this cluster.\n" +
				"JSON: {app_name, remote_cluster_name, appid, dupid, is_duplicating_checkpoint,\n" +
				"remote_app_name, remote_replica_count, result}.",
			Args: []Arg{dupTableArg, {Name: "remote_cluster", Kind: KindCluster}},
			Flags: []Flag{
				{Short: "s", Long: "sst", Help: "copy the existing data (a checkpoint) before the new writes"},
				{Short: "a", Long: "remote_app_name", Value: "table", Help: "the follower table's name (default: the same)"},
				{Short: "r", Long: "remote_replica_count", Value: "n", Help: "the follower table's replica count (default 0: the same)"},
			},
			JSON: true, Run: runAddDup},
		&Command{Name: "start_dup", Group: "duplication", Summary: "resume a paused duplication",
			Args: []Arg{dupTableArg, dupIDArg}, JSON: true,
			Run: func(c *Call) error { return modifyDupStatus(c, admintypes.DuplicationStatus_DS_LOG, "starting") }},
		&Command{Name: "pause_dup", Group: "duplication", Summary: "pause a duplication (its logs are kept)",
			Args: []Arg{dupTableArg, dupIDArg}, JSON: true,
			Run: func(c *Call) error { return modifyDupStatus(c, admintypes.DuplicationStatus_DS_PAUSE, "pausing") }},
		&Command{Name: "remove_dup", Group: "duplication", Summary: "remove a duplication (the follower table stays)",
			Args: []Arg{dupTableArg, dupIDArg}, JSON: true,
			Run: func(c *Call) error { return modifyDupStatus(c, admintypes.DuplicationStatus_DS_REMOVED, "removing") }},
		&Command{Name: "set_dup_fail_mode", Group: "duplication", Summary: "set what a duplication does when shipping fails",
			Help: "slow: retry the failed batch until it succeeds (nothing is lost; the default).\n" +
				"skip: drop the failed batch after its retries and go on (writes may be missing remotely).",
			Args: []Arg{dupTableArg, dupIDArg, {Name: "slow|skip"}}, JSON: true, Run: runSetDupFailMode},
	)
}

// dupID parses a dup_id argument.
func dupID(s string) (int32, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n <= 0 {
		return 0, usagef("invalid dup_id %q: want a positive number (see query_dup)", s)
	}
	return int32(n), nil
}

// isOwnCluster reports whether name is the cluster the shell talks to.
func (c *Call) isOwnCluster(name string) bool { return c.s.cluster != "" && name == c.s.cluster }

func runAddDup(c *Call) error {
	a := admin.DupAdd{Table: c.args[0], RemoteCluster: c.args[1], Checkpoint: c.Switch("sst"), RemoteTable: c.Str("remote_app_name", c.args[0])}
	if a.Table == "" || a.RemoteCluster == "" || a.RemoteTable == "" {
		return usagef("app_name, remote_cluster and remote_app_name must not be empty")
	}
	n, err := c.Int("remote_replica_count", 0)
	if err != nil {
		return err
	}
	if n < 0 || n > 1<<31-1 {
		return usagef("invalid remote_replica_count %d: want 0 (same as the source) or more", n)
	}
	a.RemoteReplicaCount = int32(n)
	bracket := func(extra string) string {
		return fmt.Sprintf("[app_name: %s, remote_cluster_name: %s, %sis_duplicating_checkpoint: %t, remote_app_name: %s, remote_replica_count: %d]",
			a.Table, a.RemoteCluster, extra, a.Checkpoint, a.RemoteTable, a.RemoteReplicaCount)
	}
	j := map[string]any{"app_name": a.Table, "remote_cluster_name": a.RemoteCluster, "is_duplicating_checkpoint": a.Checkpoint,
		"remote_app_name": a.RemoteTable, "remote_replica_count": a.RemoteReplicaCount}
	if !c.JSON() {
		c.Printf("trying to add duplication %s", bracket(""))
	}
	if c.isOwnCluster(a.RemoteCluster) {
		return usagef("illegal operation: adding duplication to itself (remote cluster %s is this cluster)", a.RemoteCluster)
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	res, err := c.s.admin.AddDuplication(ctx, a)
	if res.RemoteTable != "" {
		a.RemoteTable = res.RemoteTable
		j["remote_app_name"] = a.RemoteTable
	}
	if res.RemoteReplicaCount > 0 {
		a.RemoteReplicaCount = res.RemoteReplicaCount
		j["remote_replica_count"] = a.RemoteReplicaCount
	}
	ids := fmt.Sprintf("appid: %d, dupid: %d, ", res.AppID, res.DupID)
	switch {
	case err == nil:
		j["appid"], j["dupid"], j["result"] = res.AppID, res.DupID, "ERR_OK"
		return c.Done(j, "adding duplication succeed %s", bracket(ids))
	case admin.IsDupExist(err):
		j["appid"], j["dupid"], j["result"] = res.AppID, res.DupID, string(base.ERR_DUP_EXIST)
		return c.Done(j, "WARNING: duplication has been existing %s", bracket(ids))
	}
	msg := fmt.Sprintf("ERROR: adding duplication failed [app_name: %s, remote_cluster_name: %s, error: %s]", a.Table, a.RemoteCluster, errnoText(err))
	if hint := hintText(err); hint != errnoText(err) {
		msg += "\ndetail: " + hint
	}
	return failf(err, "%s", msg)
}

// dupTarget parses the app_name and dup_id arguments.
func dupTarget(c *Call) (string, int32, error) {
	if c.args[0] == "" {
		return "", 0, usagef("app_name must not be empty")
	}
	id, err := dupID(c.args[1])
	return c.args[0], id, err
}

// dupNotFound is the note upstream adds when a duplication does not exist.
func dupNotFound(err error) string {
	if errors.Is(err, base.ERR_OBJECT_NOT_FOUND) {
		return " [duplication not found]"
	}
	return ""
}

func modifyDupStatus(c *Call, st admintypes.DuplicationStatus, verb string) error {
	table, id, err := dupTarget(c)
	if err != nil {
		return err
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	if err := c.s.admin.SetDuplicationStatus(ctx, table, id, st); err != nil {
		return failf(err, "ERROR: %s duplication(%d) for app %s failed, error=%s%s", verb, id, table, describe(err), dupNotFound(err))
	}
	return c.Done(map[string]any{"app_name": table, "dupid": id, "status": st.String(), "result": "ERR_OK"},
		"%s duplication(%d) for app %s succeed", verb, id, table)
}

func runSetDupFailMode(c *Call) error {
	table, id, err := dupTarget(c)
	if err != nil {
		return err
	}
	word := strings.ToLower(c.args[2])
	var mode admintypes.DuplicationFailMode
	switch word {
	case "slow":
		mode = admintypes.DuplicationFailMode_FAIL_SLOW
	case "skip":
		mode = admintypes.DuplicationFailMode_FAIL_SKIP
	default:
		return usagef("invalid fail_mode %q: want slow or skip", c.args[2])
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	if err := c.s.admin.SetDuplicationFailMode(ctx, table, id, mode); err != nil {
		return failf(err, "ERROR: set duplication(%d) fail_mode (%s) for app %s failed, error=%s%s", id, word, table, describe(err), dupNotFound(err))
	}
	return c.Done(map[string]any{"app_name": table, "dupid": id, "fail_mode": mode.String(), "result": "ERR_OK"},
		"set duplication(%d) fail_mode (%s) for app %s succeed", id, word, table)
}
