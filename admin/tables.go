package admin

import (
	"context"
	"time"

	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// CreateTable creates a table and returns its app id. With ifNotExist, an
// existing table of that name is not an error. (CreateTableWith takes every
// option.)
func (c *Client) CreateTable(ctx context.Context, name string, partitions, replicas int32, envs map[string]string, ifNotExist bool) (int32, error) {
	return c.CreateTableWith(ctx, name, CreateOptions{Partitions: partitions, Replicas: replicas, Envs: envs, FailIfExist: !ifNotExist})
}

// DropTable soft-deletes a table; it stays recallable for reserve (0: the
// meta's hold period).
func (c *Client) DropTable(ctx context.Context, name string, reserve time.Duration) error {
	opts := &admin.DropAppOptions{}
	if reserve > 0 {
		secs := int64(reserve / time.Second)
		opts.ReserveSeconds = &secs
	}
	args := &admin.MetaDropAppArgs{Req: &admin.ConfigurationDropAppRequest{AppName: name, Options: opts}}
	res := admin.NewMetaDropAppResult()
	if err := c.call(ctx, catalog.RPC_CM_DROP_APP, args, res, func() errGetter { return res.Success }); err != nil {
		return err
	}
	return check("drop table "+name, res.Success, "")
}

// RecallTable brings back a dropped table, under newName if not empty.
func (c *Client) RecallTable(ctx context.Context, appID int32, newName string) (*layer2.AppInfo, error) {
	args := &admin.MetaRecallAppArgs{Req: &admin.ConfigurationRecallAppRequest{AppID: appID, NewAppName_: newName}}
	res := admin.NewMetaRecallAppResult()
	if err := c.call(ctx, catalog.RPC_CM_RECALL_APP, args, res, func() errGetter { return res.Success }); err != nil {
		return nil, err
	}
	if err := check("recall table", res.Success, ""); err != nil {
		return nil, err
	}
	return res.Success.Info, nil
}

// ListTables lists tables in the given status (AS_INVALID: every status).
func (c *Client) ListTables(ctx context.Context, status layer2.AppStatus) ([]*layer2.AppInfo, error) {
	args := &admin.MetaListAppsArgs{Req: &admin.ConfigurationListAppsRequest{Status: status}}
	res := admin.NewMetaListAppsResult()
	if err := c.call(ctx, catalog.RPC_CM_LIST_APPS, args, res, func() errGetter { return res.Success }); err != nil {
		return nil, err
	}
	if err := check("list tables", res.Success, res.Success.GetHintMessage()); err != nil {
		return nil, err
	}
	return res.Success.Infos, nil
}

// QueryConfig returns a table's partition configurations.
func (c *Client) QueryConfig(ctx context.Context, table string) (*layer2.QueryCfgResponse, error) {
	args := &admin.MetaQueryConfigArgs{Query: &layer2.QueryCfgRequest{AppName: table, PartitionIndices: []int32{}}}
	res := admin.NewMetaQueryConfigResult()
	if err := c.call(ctx, catalog.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX, args, res, func() errGetter { return res.Success }); err != nil {
		return nil, err
	}
	if err := check("query config of "+table, res.Success, ""); err != nil {
		return nil, err
	}
	return res.Success, nil
}

// ListNodes lists replica servers in the given status (NS_INVALID: all).
func (c *Client) ListNodes(ctx context.Context, status admin.NodeStatus) ([]*admin.NodeInfo, error) {
	args := &admin.MetaListNodesArgs{Req: &admin.ConfigurationListNodesRequest{Status: status}}
	res := admin.NewMetaListNodesResult()
	if err := c.call(ctx, catalog.RPC_CM_LIST_NODES, args, res, func() errGetter { return res.Success }); err != nil {
		return nil, err
	}
	if err := check("list nodes", res.Success, ""); err != nil {
		return nil, err
	}
	return res.Success.Infos, nil
}

// ClusterInfo returns the meta's cluster description as ordered key/value pairs.
func (c *Client) ClusterInfo(ctx context.Context) ([][2]string, error) {
	args := &admin.MetaClusterInfoArgs{Req: &admin.ConfigurationClusterInfoRequest{}}
	res := admin.NewMetaClusterInfoResult()
	if err := c.call(ctx, catalog.RPC_CM_CLUSTER_INFO, args, res, func() errGetter { return res.Success }); err != nil {
		return nil, err
	}
	if err := check("cluster info", res.Success, ""); err != nil {
		return nil, err
	}
	out := make([][2]string, 0, len(res.Success.Keys))
	for i, k := range res.Success.Keys {
		v := ""
		if i < len(res.Success.Values) {
			v = res.Success.Values[i]
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}
