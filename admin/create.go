package admin

import (
	"context"

	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// CreateOptions are the settings of a new table.
type CreateOptions struct {
	Partitions int32
	Replicas   int32 // max replica count
	Envs       map[string]string
	// FailIfExist makes an existing table of that name an error
	// (ERR_APP_EXIST); otherwise it is success.
	FailIfExist bool
	// AtomicIdempotent makes incr, check_and_set and check_and_mutate
	// idempotent for the table.
	AtomicIdempotent bool
}

// CreateTableWith creates a table and returns its app id.
func (c *Client) CreateTableWith(ctx context.Context, name string, o CreateOptions) (int32, error) {
	envs := o.Envs
	if envs == nil {
		envs = map[string]string{}
	}
	opts := &admin.CreateAppOptions{
		PartitionCount: o.Partitions, ReplicaCount: o.Replicas, SuccessIfExist: !o.FailIfExist,
		AppType: "pegasus", IsStateful: true, Envs: envs,
	}
	if o.AtomicIdempotent {
		on := true
		opts.AtomicIdempotent = &on
	}
	args := &admin.MetaCreateAppArgs{Req: &admin.ConfigurationCreateAppRequest{AppName: name, Options: opts}}
	res := admin.NewMetaCreateAppResult()
	if err := c.call(ctx, catalog.RPC_CM_CREATE_APP, args, res, func() errGetter { return res.Success }); err != nil {
		return 0, err
	}
	if err := check("create table "+name, res.Success, ""); err != nil {
		return 0, err
	}
	return res.Success.Appid, nil
}
