package admin

import (
	"context"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// ListTablesMatching lists tables in the given status (AS_INVALID: every
// status) whose names match pattern under match (the meta server applies
// the pattern; PMT_MATCH_ALL ignores it).
func (c *Client) ListTablesMatching(ctx context.Context, status layer2.AppStatus, pattern string, match admin.PatternMatchType) ([]*layer2.AppInfo, error) {
	req := &admin.ConfigurationListAppsRequest{Status: status}
	if match != admin.PatternMatchType_PMT_INVALID && match != admin.PatternMatchType_PMT_MATCH_ALL {
		req.AppNamePattern = &pattern
		req.MatchType = &match
	}
	args := &admin.MetaListAppsArgs{Req: req}
	res := admin.NewMetaListAppsResult()
	if err := c.call(ctx, catalog.RPC_CM_LIST_APPS, args, res, func() errGetter { return res.Success }); err != nil {
		return nil, err
	}
	if err := check("list tables", res.Success, res.Success.GetHintMessage()); err != nil {
		return nil, err
	}
	return res.Success.Infos, nil
}

// RenameTable gives table oldName the name newName.
func (c *Client) RenameTable(ctx context.Context, oldName, newName string) error {
	args := &admin.MetaRenameAppArgs{Req: &admin.ConfigurationRenameAppRequest{OldAppName: oldName, NewAppName_: newName}}
	res := admin.NewMetaRenameAppResult()
	if err := c.call(ctx, catalog.RPC_CM_RENAME_APP, args, res, func() errGetter { return res.Success }); err != nil {
		return err
	}
	return check("rename table "+oldName, res.Success, res.Success.GetHintMessage())
}

// ReplicaCount returns a table's max replica count.
func (c *Client) ReplicaCount(ctx context.Context, table string) (int32, error) {
	args := &admin.MetaGetMaxReplicaCountArgs{Req: &admin.ConfigurationGetMaxReplicaCountRequest{AppName: table}}
	res := admin.NewMetaGetMaxReplicaCountResult()
	if err := c.call(ctx, catalog.RPC_CM_GET_MAX_REPLICA_COUNT, args, res, func() errGetter { return res.Success }); err != nil {
		return 0, err
	}
	if err := check("get replica count of "+table, res.Success, res.Success.GetHintMessage()); err != nil {
		return 0, err
	}
	return res.Success.MaxReplicaCount, nil
}

// SetReplicaCount changes a table's max replica count and returns the old
// one.
func (c *Client) SetReplicaCount(ctx context.Context, table string, n int32) (old int32, err error) {
	args := &admin.MetaSetMaxReplicaCountArgs{Req: &admin.ConfigurationSetMaxReplicaCountRequest{AppName: table, MaxReplicaCount: n}}
	res := admin.NewMetaSetMaxReplicaCountResult()
	if err := c.call(ctx, catalog.RPC_CM_SET_MAX_REPLICA_COUNT, args, res, func() errGetter { return res.Success }); err != nil {
		return 0, err
	}
	if err := check("set replica count of "+table, res.Success, res.Success.GetHintMessage()); err != nil {
		return 0, err
	}
	return res.Success.OldMaxReplicaCount, nil
}

// AtomicIdempotent says whether a table's atomic writes (incr,
// check_and_set, check_and_mutate) are made idempotent.
func (c *Client) AtomicIdempotent(ctx context.Context, table string) (bool, error) {
	args := &admin.MetaGetAtomicIdempotentArgs{Req: &admin.ConfigurationGetAtomicIdempotentRequest{AppName: table}}
	res := admin.NewMetaGetAtomicIdempotentResult()
	if err := c.call(ctx, catalog.RPC_CM_GET_ATOMIC_IDEMPOTENT, args, res, func() errGetter { return res.Success }); err != nil {
		return false, err
	}
	if err := check("get atomic idempotent of "+table, res.Success, res.Success.GetHintMessage()); err != nil {
		return false, err
	}
	return res.Success.AtomicIdempotent, nil
}

// SetAtomicIdempotent turns a table's atomic idempotence on or off and
// returns the previous setting.
func (c *Client) SetAtomicIdempotent(ctx context.Context, table string, on bool) (old bool, err error) {
	args := &admin.MetaSetAtomicIdempotentArgs{Req: &admin.ConfigurationSetAtomicIdempotentRequest{AppName: table, AtomicIdempotent: on}}
	res := admin.NewMetaSetAtomicIdempotentResult()
	if err := c.call(ctx, catalog.RPC_CM_SET_ATOMIC_IDEMPOTENT, args, res, func() errGetter { return res.Success }); err != nil {
		return false, err
	}
	if err := check("set atomic idempotent of "+table, res.Success, res.Success.GetHintMessage()); err != nil {
		return false, err
	}
	return res.Success.OldAtomicIdempotent, nil
}

// MetaLevels are the meta server's function levels, least active first.
var MetaLevels = []admin.MetaFunctionLevel{
	admin.MetaFunctionLevel_fl_stopped, admin.MetaFunctionLevel_fl_blind, admin.MetaFunctionLevel_fl_freezed,
	admin.MetaFunctionLevel_fl_steady, admin.MetaFunctionLevel_fl_lively,
}

// MetaLevel returns the meta server's function level.
func (c *Client) MetaLevel(ctx context.Context) (admin.MetaFunctionLevel, error) {
	return c.controlMeta(ctx, admin.MetaFunctionLevel_fl_invalid)
}

// SetMetaLevel changes the meta server's function level and returns the
// previous one.
func (c *Client) SetMetaLevel(ctx context.Context, level admin.MetaFunctionLevel) (admin.MetaFunctionLevel, error) {
	return c.controlMeta(ctx, level)
}

func (c *Client) controlMeta(ctx context.Context, level admin.MetaFunctionLevel) (admin.MetaFunctionLevel, error) {
	args := &admin.MetaControlMetaArgs{Req: &admin.ConfigurationMetaControlRequest{Level: level}}
	res := admin.NewMetaControlMetaResult()
	if err := c.call(ctx, catalog.RPC_CM_CONTROL_META, args, res, func() errGetter { return res.Success }); err != nil {
		return 0, err
	}
	if err := check("control meta level", res.Success, ""); err != nil {
		return 0, err
	}
	return res.Success.OldLevel, nil
}

// IsNotFound reports whether err says a table does not exist.
func IsNotFound(err error) bool {
	var oe *OpError
	if !asOpError(err, &oe) {
		return false
	}
	return oe.Errno == base.ERR_OBJECT_NOT_FOUND || oe.Errno == base.ERR_APP_NOT_EXIST
}
