package admin

import (
	"context"
	"errors"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// TableEnvs returns the envs of an available table. A table that does not
// exist, or is not available, gives an *OpError with ERR_OBJECT_NOT_FOUND.
func (c *Client) TableEnvs(ctx context.Context, table string) (map[string]string, error) {
	infos, err := c.ListTablesMatching(ctx, layer2.AppStatus_AS_AVAILABLE, table, admin.PatternMatchType_PMT_MATCH_EXACT)
	if err != nil {
		return nil, err
	}
	for _, a := range infos {
		if a.AppName == table {
			if a.Envs == nil {
				return map[string]string{}, nil
			}
			return a.Envs, nil
		}
	}
	return nil, &OpError{Op: "get envs of " + table, Errno: base.ERR_OBJECT_NOT_FOUND}
}

// SetEnvs sets envs of a table (keys[i] = values[i]); the meta server
// validates them. It returns the meta's hint, if any.
func (c *Client) SetEnvs(ctx context.Context, table string, keys, values []string) (string, error) {
	return c.updateEnvs(ctx, &admin.ConfigurationUpdateAppEnvRequest{AppName: table, Op: admin.AppEnvOperation_APP_ENV_OP_SET, Keys: keys, Values: values})
}

// DelEnvs removes envs of a table.
func (c *Client) DelEnvs(ctx context.Context, table string, keys []string) (string, error) {
	return c.updateEnvs(ctx, &admin.ConfigurationUpdateAppEnvRequest{AppName: table, Op: admin.AppEnvOperation_APP_ENV_OP_DEL, Keys: keys})
}

// ClearEnvs removes every env of a table whose key starts with prefix (""
// removes them all).
func (c *Client) ClearEnvs(ctx context.Context, table, prefix string) (string, error) {
	return c.updateEnvs(ctx, &admin.ConfigurationUpdateAppEnvRequest{AppName: table, Op: admin.AppEnvOperation_APP_ENV_OP_CLEAR, ClearPrefix: &prefix})
}

func (c *Client) updateEnvs(ctx context.Context, req *admin.ConfigurationUpdateAppEnvRequest) (string, error) {
	args := &admin.MetaUpdateAppEnvArgs{Req: req}
	res := admin.NewMetaUpdateAppEnvResult()
	if err := c.call(ctx, catalog.RPC_CM_UPDATE_APP_ENV, args, res, func() errGetter { return res.Success }); err != nil {
		return "", err
	}
	if err := check("update envs of "+req.AppName, res.Success, res.Success.GetHintMessage()); err != nil {
		return "", err
	}
	return res.Success.GetHintMessage(), nil
}

func asOpError(err error, target **OpError) bool { return errors.As(err, target) }
