package meta

import (
	"testing"

	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// TestServerAdminRPCs runs the table-setting RPCs over TCP, checking what
// each reply carries and what the following queries see.
func TestServerAdminRPCs(t *testing.T) {
	m := startMeta(t, fastOptions(metastore.NewMemory()))
	startReplica(t, m.addr)
	waitAlive(t, m.addr, 1)
	id := createTable(t, m.addr, "orders", 2)
	createTable(t, m.addr, "users", 1)

	rn := call[*admin.ConfigurationRenameAppResponse](t, m.addr, catalog.RPC_CM_RENAME_APP,
		&admin.ConfigurationRenameAppRequest{OldAppName: "orders", NewAppName_: "users"})
	if rn.Err.Code() != base.ERR_APP_EXIST || rn.HintMessage == "" {
		t.Fatalf("rename onto a taken name: %+v", rn)
	}
	rn = call[*admin.ConfigurationRenameAppResponse](t, m.addr, catalog.RPC_CM_RENAME_APP,
		&admin.ConfigurationRenameAppRequest{OldAppName: "orders", NewAppName_: "orders2"})
	if rn.Err.Code() != base.ERR_OK {
		t.Fatalf("rename: %+v", rn)
	}
	if q := queryCfg(t, m.addr, "orders2"); q.Err.Code() != base.ERR_OK || q.AppID != id {
		t.Fatalf("query after rename: %+v", q)
	}

	get := call[*admin.ConfigurationGetMaxReplicaCountResponse](t, m.addr, catalog.RPC_CM_GET_MAX_REPLICA_COUNT,
		&admin.ConfigurationGetMaxReplicaCountRequest{AppName: "orders2"})
	if get.Err.Code() != base.ERR_OK || get.MaxReplicaCount != 3 {
		t.Fatalf("get max replica count: %+v", get)
	}
	set := call[*admin.ConfigurationSetMaxReplicaCountResponse](t, m.addr, catalog.RPC_CM_SET_MAX_REPLICA_COUNT,
		&admin.ConfigurationSetMaxReplicaCountRequest{AppName: "orders2", MaxReplicaCount: 1})
	if set.Err.Code() != base.ERR_OK || set.OldMaxReplicaCount != 3 {
		t.Fatalf("set max replica count: %+v", set)
	}
	if q := queryCfg(t, m.addr, "orders2"); q.Partitions[1].MaxReplicaCount != 1 {
		t.Fatalf("partition after set: %+v", q.Partitions[1])
	}
	set = call[*admin.ConfigurationSetMaxReplicaCountResponse](t, m.addr, catalog.RPC_CM_SET_MAX_REPLICA_COUNT,
		&admin.ConfigurationSetMaxReplicaCountRequest{AppName: "orders2", MaxReplicaCount: 0})
	if set.Err.Code() != base.ERR_INVALID_PARAMETERS || set.HintMessage == "" {
		t.Fatalf("set 0: %+v", set)
	}

	sai := call[*admin.ConfigurationSetAtomicIdempotentResponse](t, m.addr, catalog.RPC_CM_SET_ATOMIC_IDEMPOTENT,
		&admin.ConfigurationSetAtomicIdempotentRequest{AppName: "users", AtomicIdempotent: true})
	gai := call[*admin.ConfigurationGetAtomicIdempotentResponse](t, m.addr, catalog.RPC_CM_GET_ATOMIC_IDEMPOTENT,
		&admin.ConfigurationGetAtomicIdempotentRequest{AppName: "users"})
	if sai.Err.Code() != base.ERR_OK || sai.OldAtomicIdempotent || gai.Err.Code() != base.ERR_OK || !gai.AtomicIdempotent {
		t.Fatalf("atomic idempotent: %+v %+v", sai, gai)
	}

	setEnv := func(keys, values []string) *admin.ConfigurationUpdateAppEnvResponse {
		return call[*admin.ConfigurationUpdateAppEnvResponse](t, m.addr, catalog.RPC_CM_UPDATE_APP_ENV,
			&admin.ConfigurationUpdateAppEnvRequest{AppName: "users", Op: admin.AppEnvOperation_APP_ENV_OP_SET, Keys: keys, Values: values})
	}
	if r := setEnv([]string{"default_ttl"}, []string{"-5"}); r.Err.Code() != base.ERR_INVALID_PARAMETERS || r.HintMessage == "" {
		t.Fatalf("negative ttl: %+v", r)
	}
	if r := setEnv([]string{"manual_compact.once.trigger_time", "default_ttl"}, []string{"1", "7"}); r.Err.Code() != base.ERR_OK {
		t.Fatalf("set envs: %+v", r)
	}
	prefix := "manual_compact"
	clear := call[*admin.ConfigurationUpdateAppEnvResponse](t, m.addr, catalog.RPC_CM_UPDATE_APP_ENV,
		&admin.ConfigurationUpdateAppEnvRequest{AppName: "users", Op: admin.AppEnvOperation_APP_ENV_OP_CLEAR, ClearPrefix: &prefix})
	if clear.Err.Code() != base.ERR_OK {
		t.Fatalf("clear: %+v", clear)
	}
	pattern, match := "u.*", admin.PatternMatchType_PMT_MATCH_REGEX
	list := call[*admin.ConfigurationListAppsResponse](t, m.addr, catalog.RPC_CM_LIST_APPS,
		&admin.ConfigurationListAppsRequest{Status: layer2.AppStatus_AS_AVAILABLE, AppNamePattern: &pattern, MatchType: &match})
	if list.Err.Code() != base.ERR_OK || len(list.Infos) != 1 || list.Infos[0].AppName != "users" ||
		len(list.Infos[0].Envs) != 1 || list.Infos[0].Envs["default_ttl"] != "7" || !*list.Infos[0].AtomicIdempotent {
		t.Fatalf("list: %+v", list)
	}
	bad := "("
	list = call[*admin.ConfigurationListAppsResponse](t, m.addr, catalog.RPC_CM_LIST_APPS,
		&admin.ConfigurationListAppsRequest{AppNamePattern: &bad, MatchType: &match})
	if list.Err.Code() != base.ERR_INVALID_PARAMETERS || list.HintMessage == nil {
		t.Fatalf("list with a bad regex: %+v", list)
	}

	ctl := call[*admin.ConfigurationMetaControlResponse](t, m.addr, catalog.RPC_CM_CONTROL_META,
		&admin.ConfigurationMetaControlRequest{Level: admin.MetaFunctionLevel_fl_invalid})
	if ctl.Err.Code() != base.ERR_OK || ctl.OldLevel != admin.MetaFunctionLevel_fl_steady {
		t.Fatalf("query level: %+v", ctl)
	}
	ctl = call[*admin.ConfigurationMetaControlResponse](t, m.addr, catalog.RPC_CM_CONTROL_META,
		&admin.ConfigurationMetaControlRequest{Level: 123})
	if ctl.Err.Code() != base.ERR_INVALID_PARAMETERS {
		t.Fatalf("bad level: %+v", ctl)
	}
	ctl = call[*admin.ConfigurationMetaControlResponse](t, m.addr, catalog.RPC_CM_CONTROL_META,
		&admin.ConfigurationMetaControlRequest{Level: admin.MetaFunctionLevel_fl_freezed})
	if ctl.Err.Code() != base.ERR_OK {
		t.Fatalf("freeze: %+v", ctl)
	}
	c := call[*admin.ConfigurationCreateAppResponse](t, m.addr, catalog.RPC_CM_CREATE_APP,
		&admin.ConfigurationCreateAppRequest{AppName: "more", Options: &admin.CreateAppOptions{PartitionCount: 2}})
	if c.Err.Code() != base.ERR_STATE_FREEZED {
		t.Fatalf("create when frozen: %+v", c)
	}
	info := call[*admin.ConfigurationClusterInfoResponse](t, m.addr, catalog.RPC_CM_CLUSTER_INFO, &admin.ConfigurationClusterInfoRequest{})
	kv := map[string]string{}
	for i, k := range info.Keys {
		kv[k] = info.Values[i]
	}
	if kv["meta_function_level"] != "freezed" || kv["alive_node_count"] != "1" || kv["available_app_count"] != "2" ||
		kv["primary_meta_server"] != m.addr || kv["meta_store"] != "memory" || kv["partition_count"] != "3" {
		t.Fatalf("cluster info %v", kv)
	}
}
