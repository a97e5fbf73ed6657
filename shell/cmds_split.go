package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/thrift/base"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// Online partition split (docs/split.md). Upstream's C++ shell has no such
// commands (shell.md §2.10); these take snake_case names in its style and
// accept the admin-cli spellings ("partition-split start -a t -p 16") as
// two-word aliases.

var (
	splitTableFlag  = Flag{Short: "a", Long: "app_name", Value: "table", Kind: KindTable, Help: "the table (instead of the first argument)"}
	splitParentFlag = Flag{Short: "i", Long: "parent_pidx", Value: "pidx", Help: "one parent partition (default: every parent)"}
	splitWaitFlag   = Flag{Long: "wait", Help: "follow the split until it ends, with a progress bar of the parents whose child registered; exit 1 if it ends otherwise than asked"}
	splitWaitLimit  = Flag{Long: "wait_timeout", Value: "seconds", Help: "give up waiting after this long (default 3600)"}
)

func init() {
	register(
		&Command{Name: "start_partition_split", Aliases: []string{"partition-split start"}, Group: "tables",
			Summary: "double a table's partitions online",
			Help: "Starts an online split of the table from n to new_count = 2n partitions. Parent i gets\n" +
				"child i+n; reads and writes go on while each child copies its parent's data, and pause\n" +
				"only for the short step in which the child registers. JSON: {app_name, new_partition_count,\n" +
				"result} (with --wait also outcome and seconds).",
			Args: []Arg{{Name: "table", Optional: true, Kind: KindTable}, {Name: "new_count", Optional: true}},
			Flags: []Flag{splitTableFlag,
				{Short: "p", Long: "new_partition_count", Value: "n", Help: "the new partition count (instead of the second argument)"},
				splitWaitFlag, splitWaitLimit},
			JSON: true, Run: runStartSplit},
		&Command{Name: "query_partition_split", Aliases: []string{"partition-split query"}, Group: "tables",
			Summary: "show a table's split: every parent not yet done and its status",
			Help: "Lists the parents whose child has not registered yet with their status (SPLITTING,\n" +
				"PAUSING, PAUSED, CANCELING). Exit 1 if the table is not splitting. JSON: {app_name,\n" +
				"old_partition_count, new_partition_count, registered, parents: {pidx: status}}.",
			Args:  []Arg{{Name: "table", Optional: true, Kind: KindTable}},
			Flags: []Flag{splitTableFlag},
			JSON:  true, Output: true, Run: runQuerySplit},
		&Command{Name: "pause_partition_split", Aliases: []string{"partition-split pause"}, Group: "tables",
			Summary: "pause a split, for one parent or all",
			Help: "The parents' primaries stop their split and drop their unregistered children; the\n" +
				"parents go PAUSING, then PAUSED. Children already registered stay. restart_partition_split\n" +
				"starts the paused parents again from scratch.",
			Args:  []Arg{{Name: "table", Optional: true, Kind: KindTable}, {Name: "parent_pidx", Optional: true}},
			Flags: []Flag{splitTableFlag, splitParentFlag, {Long: "wait", Help: "wait until the parents are PAUSED"}, splitWaitLimit},
			JSON:  true, Run: func(c *Call) error { return runControlSplit(c, admin.SplitPause) }},
		&Command{Name: "restart_partition_split", Aliases: []string{"partition-split restart"}, Group: "tables",
			Summary: "restart a paused split, for one parent or all",
			Args:    []Arg{{Name: "table", Optional: true, Kind: KindTable}, {Name: "parent_pidx", Optional: true}},
			Flags:   []Flag{splitTableFlag, splitParentFlag},
			JSON:    true, Run: func(c *Call) error { return runControlSplit(c, admin.SplitRestart) }},
		&Command{Name: "cancel_partition_split", Aliases: []string{"partition-split cancel"}, Group: "tables",
			Summary: "cancel a split whose children have not registered",
			Help: "Every parent drops its child; when all have, the table is back at its old partition\n" +
				"count. Refused (ERR_CHILD_REGISTERED) once any child registered: such a split can only be\n" +
				"paused or left to finish.",
			Args:  []Arg{{Name: "table", Optional: true, Kind: KindTable}},
			Flags: []Flag{splitTableFlag, {Long: "wait", Help: "wait until the table is back at its old partition count"}, splitWaitLimit},
			JSON:  true, Run: func(c *Call) error { return runControlSplit(c, admin.SplitCancel) }},
	)
}

// splitTable is the table from the first argument or -a.
func (c *Call) splitTable() (string, error) {
	pos := ""
	if len(c.args) > 0 {
		pos = c.args[0]
	}
	flag := c.Str("app_name", "")
	switch {
	case pos != "" && flag != "" && pos != flag:
		return "", usagef("two tables given: %s and -a %s", pos, flag)
	case pos != "":
		return pos, nil
	case flag != "":
		return flag, nil
	}
	return "", usagef("the table is required")
}

// splitNumber is the second argument or the flag long, parsed; def when
// neither is given.
func (c *Call) splitNumber(long string, def int64) (int64, error) {
	v, given := c.vals[long]
	if len(c.args) > 1 {
		if given && v != c.args[1] {
			return 0, usagef("two values of %s given: %s and %s", long, c.args[1], v)
		}
		v, given = c.args[1], true
	}
	if !given {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, usagef("parse %s as %s failed", v, long)
	}
	return n, nil
}

func (c *Call) waitLimit() (time.Duration, error) {
	s, err := c.Int("wait_timeout", 3600)
	if err != nil {
		return 0, err
	}
	if s <= 0 {
		return 0, usagef("wait_timeout should be positive")
	}
	return time.Duration(s) * time.Second, nil
}

func runStartSplit(c *Call) error {
	table, err := c.splitTable()
	if err != nil {
		return err
	}
	n, err := c.splitNumber("new_partition_count", 0)
	if err != nil {
		return err
	}
	if n <= 0 {
		return usagef("the new partition count is required and must be positive")
	}
	limit, err := c.waitLimit()
	if err != nil {
		return err
	}
	ctx, cancel := c.adminCtx()
	err = c.s.admin.StartPartitionSplit(ctx, table, int32(n))
	cancel()
	if err != nil {
		return failf(err, "start partition split of %s to %d failed: %s", table, n, describe(err))
	}
	out := map[string]any{"app_name": table, "new_partition_count": n, "result": string(base.ERR_OK)}
	if !c.Switch("wait") {
		return c.Done(out, "start partition split of %s to %d partitions succeed", table, n)
	}
	if !c.JSON() {
		c.Printf("start partition split of %s to %d partitions succeed", table, n)
	}
	began := time.Now()
	outcome, err := c.waitSplit(table, int32(n), limit)
	if err != nil {
		return err
	}
	out["outcome"], out["seconds"] = string(outcome), time.Since(began).Seconds()
	if outcome != admin.SplitFinished {
		if c.JSON() {
			_ = writeJSON(c.out, out)
		}
		return failf(nil, "partition split of %s was %s", table, outcome)
	}
	return c.Done(out, "partition split of %s finished: %d partitions (%.1fs)", table, n, time.Since(began).Seconds())
}

// waitSplit follows table's split to its end with a progress bar counting
// the parents whose child registered; the bar's title (or the plain
// line) says how many parents are splitting, paused, canceling.
func (c *Call) waitSplit(table string, newCount int32, limit time.Duration) (admin.SplitOutcome, error) {
	ctx, cancel := context.WithTimeout(c.ctx, limit)
	defer cancel()
	var p *progress
	var last admin.SplitProgress
	outcome, err := c.s.admin.WaitPartitionSplit(ctx, table, newCount, 500*time.Millisecond, func(sp admin.SplitProgress) {
		last = sp
		if p == nil {
			p = c.s.startProgress("split "+table, int(sp.OldCount), "", func(progressState) string {
				return fmt.Sprintf("split %s: %s", table, splitSummary(last))
			})
		}
		if p.bar != nil {
			p.title(fmt.Sprintf("split %s: %s", table, splitSummary(sp)))
		}
		p.update(sp.Registered, 0)
	})
	if p != nil {
		p.finish()
	}
	if err != nil {
		if c.ctx.Err() != nil {
			return "", err
		}
		return "", failf(err, "wait for the split of %s: %s (last: %s)", table, describe(err), splitSummary(last))
	}
	return outcome, nil
}

// splitSummary is one line about a split's progress: how many children
// registered and how many parents are in each other status.
func splitSummary(sp admin.SplitProgress) string {
	counts := map[admintypes.SplitStatus]int{}
	for _, s := range sp.Parent {
		if s != admintypes.SplitStatus_NOT_SPLIT {
			counts[s]++
		}
	}
	parts := []string{fmt.Sprintf("%d/%d children registered", sp.Registered, sp.OldCount)}
	for _, s := range []admintypes.SplitStatus{admintypes.SplitStatus_SPLITTING, admintypes.SplitStatus_PAUSING,
		admintypes.SplitStatus_PAUSED, admintypes.SplitStatus_CANCELING} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], strings.ToLower(s.String())))
		}
	}
	return strings.Join(parts, ", ")
}

// splitView is the JSON of query_partition_split.
type splitView struct {
	AppName    string            `json:"app_name"`
	OldCount   int32             `json:"old_partition_count"`
	NewCount   int32             `json:"new_partition_count"`
	Registered int               `json:"registered"`
	Parents    map[string]string `json:"parents"`
}

func newSplitView(table string, st admin.SplitState) splitView {
	v := splitView{AppName: table, OldCount: st.OldCount(), NewCount: st.NewCount, Parents: map[string]string{}}
	v.Registered = int(v.OldCount) - len(st.Parents)
	for p, s := range st.Parents {
		v.Parents[strconv.Itoa(int(p))] = s.String()
	}
	return v
}

// writeSplitState prints a split as query_partition_split shows it.
func writeSplitState(w io.Writer, table string, st admin.SplitState) {
	v := newSplitView(table, st)
	fmt.Fprintf(w, "table %s: splitting %d -> %d partitions, %d/%d children registered\n", table, v.OldCount, v.NewCount, v.Registered, v.OldCount)
	if len(st.Parents) == 0 {
		return
	}
	fmt.Fprintf(w, "%-12s %s\n", "parent_pidx", "status")
	for _, p := range st.Pending() {
		fmt.Fprintf(w, "%-12d %s\n", p, st.Parents[p])
	}
}

func runQuerySplit(c *Call) error {
	table, err := c.splitTable()
	if err != nil {
		return err
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	st, err := c.s.admin.QueryPartitionSplit(ctx, table)
	if errors.Is(err, admin.ErrNotSplitting) {
		return failf(err, "table %s is not splitting", table)
	}
	if err != nil {
		return failf(err, "query partition split of %s failed: %s", table, describe(err))
	}
	return c.Emit(newSplitView(table, st), func(w io.Writer) { writeSplitState(w, table, st) })
}

func runControlSplit(c *Call, ctl admin.SplitControl) error {
	verb := strings.ToLower(ctl.String())
	table, err := c.splitTable()
	if err != nil {
		return err
	}
	parent := int64(admin.AllParents)
	if ctl != admin.SplitCancel {
		if parent, err = c.splitNumber("parent_pidx", int64(admin.AllParents)); err != nil {
			return err
		}
		if parent < -1 {
			return usagef("parent_pidx should be a partition index, or -1 for all")
		}
	}
	limit, err := c.waitLimit()
	if err != nil {
		return err
	}
	// The meta wants the count before the split; the query knows it.
	ctx, cancel := c.adminCtx()
	st, err := c.s.admin.QueryPartitionSplit(ctx, table)
	cancel()
	if errors.Is(err, admin.ErrNotSplitting) {
		return failf(err, "%s partition split of %s failed: the table is not splitting", verb, table)
	}
	if err != nil {
		return failf(err, "%s partition split of %s failed: %s", verb, table, describe(err))
	}
	if parent >= int64(st.OldCount()) {
		return usagef("parent_pidx %d is not a parent: %s splits %d -> %d", parent, table, st.OldCount(), st.NewCount)
	}
	ctx, cancel = c.adminCtx()
	err = c.s.admin.ControlPartitionSplit(ctx, table, ctl, int32(parent), st.OldCount())
	cancel()
	if err != nil {
		return failf(err, "%s partition split of %s failed: %s", verb, table, describe(err))
	}
	out := map[string]any{"app_name": table, "control": ctl.String(), "parent_pidx": parent, "result": string(base.ERR_OK)}
	which := "every parent"
	if parent >= 0 {
		which = fmt.Sprintf("parent %d", parent)
	}
	if !c.Switch("wait") {
		return c.Done(out, "%s partition split of %s (%s) succeed", verb, table, which)
	}
	if !c.JSON() {
		c.Printf("%s partition split of %s (%s) succeed", verb, table, which)
	}
	switch ctl {
	case admin.SplitCancel:
		outcome, err := c.waitSplit(table, st.NewCount, limit)
		if err != nil {
			return err
		}
		out["outcome"] = string(outcome)
		if outcome != admin.SplitCanceled {
			return failf(nil, "partition split of %s %s instead of being canceled", table, outcome)
		}
		return c.Done(out, "partition split of %s canceled: back at %d partitions", table, st.OldCount())
	case admin.SplitPause:
		if err := c.waitPaused(table, int32(parent), limit); err != nil {
			return err
		}
		return c.Done(out, "partition split of %s paused (%s)", table, which)
	}
	return c.Done(out, "%s partition split of %s (%s) succeed", verb, table, which)
}

// waitPaused polls until the parent (or every pending parent) is PAUSED;
// a parent whose child registered meanwhile counts as done.
func (c *Call) waitPaused(table string, parent int32, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := c.adminCtx()
		st, err := c.s.admin.QueryPartitionSplit(ctx, table)
		cancel()
		if errors.Is(err, admin.ErrNotSplitting) {
			return nil // every child registered before the pause took hold
		}
		if err == nil && allPaused(st, parent) {
			return nil
		}
		if time.Now().After(deadline) {
			return failf(err, "the split of %s is not paused after %v", table, limit)
		}
		select {
		case <-c.ctx.Done():
			return c.ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func allPaused(st admin.SplitState, parent int32) bool {
	for p, s := range st.Parents {
		if (parent < 0 || p == parent) && s != admintypes.SplitStatus_PAUSED {
			return false
		}
	}
	return true
}
