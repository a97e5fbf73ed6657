package admin

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// Online partition split as plain calls (docs/split.md): start, query,
// pause/restart/cancel, and a wait that follows a split to its end.

// StartPartitionSplit asks the meta to double table's partitions to
// newCount (which must be twice the current count).
func (c *Client) StartPartitionSplit(ctx context.Context, table string, newCount int32) error {
	req := &admin.StartPartitionSplitRequest{AppName: table, NewPartitionCount_: newCount}
	res := admin.NewMetaStartPartitionSplitResult()
	if err := c.call(ctx, catalog.RPC_CM_START_PARTITION_SPLIT, &admin.MetaStartPartitionSplitArgs{Req: req}, res, func() errGetter { return res.Success }); err != nil {
		return err
	}
	hint := ""
	if res.Success != nil {
		hint = res.Success.HintMsg
	}
	return check("start partition split", res.Success, hint)
}

// SplitState is a split as the meta reports it: the target count and the
// status of every parent that has not registered its child yet.
type SplitState struct {
	NewCount int32
	// Parents maps a parent's partition index to its status; parents whose
	// child registered are absent.
	Parents map[int32]admin.SplitStatus
}

// OldCount is the partition count before the split.
func (s SplitState) OldCount() int32 { return s.NewCount / 2 }

// Pending lists the parents still splitting (or paused, canceling),
// in index order.
func (s SplitState) Pending() []int32 {
	out := make([]int32, 0, len(s.Parents))
	for p := range s.Parents {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// ErrNotSplitting is wrapped when the table has no split under way.
var ErrNotSplitting = errors.New("the table is not splitting")

// QueryPartitionSplit returns table's split state. A table that is not
// splitting gives an error wrapping ErrNotSplitting (the meta's
// ERR_INVALID_STATE).
func (c *Client) QueryPartitionSplit(ctx context.Context, table string) (SplitState, error) {
	res := admin.NewMetaQueryPartitionSplitResult()
	args := &admin.MetaQueryPartitionSplitArgs{Req: &admin.QuerySplitRequest{AppName: table}}
	if err := c.call(ctx, catalog.RPC_CM_QUERY_PARTITION_SPLIT, args, res, func() errGetter { return res.Success }); err != nil {
		return SplitState{}, err
	}
	r := res.Success
	if err := check("query partition split", r, r.GetHintMsg()); err != nil {
		if r.GetErr().Code() == base.ERR_INVALID_STATE {
			return SplitState{}, fmt.Errorf("%w: %w", ErrNotSplitting, err)
		}
		return SplitState{}, err
	}
	st := SplitState{NewCount: r.NewPartitionCount_, Parents: map[int32]admin.SplitStatus{}}
	for p, s := range r.Status {
		if s != admin.SplitStatus_NOT_SPLIT {
			st.Parents[p] = s
		}
	}
	return st, nil
}

// SplitControl is what ControlPartitionSplit asks for.
type SplitControl = admin.SplitControlType

// The controls.
const (
	SplitPause   = admin.SplitControlType_PAUSE
	SplitRestart = admin.SplitControlType_RESTART
	SplitCancel  = admin.SplitControlType_CANCEL
)

// AllParents is the parent index that means every parent.
const AllParents int32 = -1

// ControlPartitionSplit pauses or restarts one parent's split (or every
// parent's, with AllParents), or cancels the whole split. oldCount is the
// count before the split; it is required for CANCEL (the meta checks it)
// and sent for the others when positive. A cancel after a child registered
// is refused with ERR_CHILD_REGISTERED.
func (c *Client) ControlPartitionSplit(ctx context.Context, table string, ctl SplitControl, parent, oldCount int32) error {
	req := &admin.ControlSplitRequest{AppName: table, ControlType: ctl, ParentPidx: parent}
	if oldCount > 0 {
		req.OldPartitionCount = &oldCount
	}
	res := admin.NewMetaControlPartitionSplitResult()
	if err := c.call(ctx, catalog.RPC_CM_CONTROL_PARTITION_SPLIT, &admin.MetaControlPartitionSplitArgs{Req: req}, res, func() errGetter { return res.Success }); err != nil {
		return err
	}
	hint := ""
	if res.Success != nil {
		hint = res.Success.GetHintMsg()
		if hint == "" && res.Success.GetErr().Code() == base.ERR_CHILD_REGISTERED {
			hint = "a child partition has already registered; the split can no longer be canceled, only paused or left to finish"
		}
	}
	return check(fmt.Sprintf("%s partition split", ctlVerb(ctl)), res.Success, hint)
}

func ctlVerb(ctl SplitControl) string {
	switch ctl {
	case SplitPause:
		return "pause"
	case SplitRestart:
		return "restart"
	case SplitCancel:
		return "cancel"
	}
	return ctl.String()
}

// SplitOutcome is how a split ended.
type SplitOutcome string

// The outcomes.
const (
	SplitFinished SplitOutcome = "finished" // every child registered: the table has NewCount partitions
	SplitCanceled SplitOutcome = "canceled" // the table is back at the old count
)

// SplitProgress is one observation of a split while waiting for it.
type SplitProgress struct {
	OldCount, NewCount int32
	// Parent holds each parent's status as the meta lists it; a parent it
	// no longer lists is NOT_SPLIT (its child registered, counted in
	// Registered, or its cancel confirmed).
	Parent     []admin.SplitStatus
	Registered int
}

// WaitPartitionSplit polls the split of table every interval until it has
// finished (every child registered, the configuration has newCount
// partitions, none with ballot -1) or has been canceled (the configuration
// is back at newCount/2 partitions), calling progress after every poll.
// It returns ctx's error if ctx ends first.
func (c *Client) WaitPartitionSplit(ctx context.Context, table string, newCount int32, interval time.Duration, progress func(SplitProgress)) (SplitOutcome, error) {
	old := newCount / 2
	for {
		st, qerr := c.QueryPartitionSplit(ctx, table)
		if qerr != nil && !errors.Is(qerr, ErrNotSplitting) && (ctx.Err() != nil || refused(qerr)) {
			return "", qerr
		}
		cfg, cerr := c.QueryConfig(ctx, table)
		if cerr != nil && (ctx.Err() != nil || refused(cerr)) {
			return "", cerr
		}
		if cerr == nil && qerr == nil || cerr == nil && errors.Is(qerr, ErrNotSplitting) {
			p := SplitProgress{OldCount: old, NewCount: newCount, Parent: make([]admin.SplitStatus, old)}
			registered := childrenRegistered(cfg.Partitions, old, cfg.PartitionCount)
			for i := range old {
				s, ok := st.Parents[i]
				switch {
				case qerr == nil && ok:
					p.Parent[i] = s
				case registered[i]:
					p.Registered++
				}
				// Otherwise NOT_SPLIT: not listed by the meta (done, or its
				// cancel confirmed) and its child not registered.
			}
			if progress != nil {
				progress(p)
			}
			if errors.Is(qerr, ErrNotSplitting) {
				switch {
				case cfg.PartitionCount == newCount && p.Registered == int(old):
					return SplitFinished, nil
				case cfg.PartitionCount == old:
					return SplitCanceled, nil
				}
			}
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", fmt.Errorf("wait for the split of %s: %w", table, ctx.Err())
		case <-t.C:
		}
	}
}

// childrenRegistered reports, per parent index below old, whether its
// child (old + i) has a configuration with a ballot >= 0.
func childrenRegistered(parts []*layer2.PartitionConfiguration, old, count int32) []bool {
	out := make([]bool, old)
	if count != 2*old {
		return out
	}
	for _, pc := range parts {
		if pc == nil || pc.Pid == nil {
			continue
		}
		if i := pc.Pid.PartitionIndex - old; i >= 0 && i < old && pc.Ballot >= 0 {
			out[i] = true
		}
	}
	return out
}

// refused reports whether err is the meta's answer (not a transport
// failure worth retrying).
func refused(err error) bool {
	var oe *OpError
	return errors.As(err, &oe)
}
