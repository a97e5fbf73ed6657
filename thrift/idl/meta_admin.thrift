// Meta-server admin structs for tables, table envs, nodes, cluster info,
// meta control, balancing, diagnosis, recovery, replica count, atomic
// idempotence and manual compaction: protocol.md §3.7.1 and §3.7.2.
//
// Every response carries the outcome in field 1 `err`; the frame's transport
// error stays ERR_OK.
//
// Requiredness: create_app_options.atomic_idempotent and
// configuration_balancer_request.force are optional with an upstream default
// of false. They carry no default literal here, so the Go generator makes
// them pointers written exactly when set (the go-client never sets them,
// and the golden request vectors lack them); an absent field reads as nil,
// i.e. false.

include "dsn.thrift"
include "layer2.thrift"
include "metadata.thrift"

namespace go gen.admin

// ---- tables ---------------------------------------------------------------

struct create_app_options {
    1: i32 partition_count;
    2: i32 replica_count;
    3: bool success_if_exist;
    4: string app_type;
    5: bool is_stateful;
    6: map<string, string> envs;
    7: optional bool atomic_idempotent;
}

struct configuration_create_app_request {
    1: string app_name;
    2: create_app_options options;
}

// Also the reply of RPC_CM_START_RESTORE, which creates a table.
struct configuration_create_app_response {
    1: dsn.error_code err;
    2: i32 appid;
}

struct drop_app_options {
    1: bool success_if_not_exist;
    // Seconds the dropped table can still be recalled.
    2: optional i64 reserve_seconds;
}

struct configuration_drop_app_request {
    1: string app_name;
    2: drop_app_options options;
}

struct configuration_drop_app_response {
    1: dsn.error_code err;
}

struct configuration_recall_app_request {
    1: i32 app_id;
    // Empty: recall under the old name.
    2: string new_app_name;
}

struct configuration_recall_app_response {
    1: dsn.error_code err;
    2: layer2.app_info info;
}

struct configuration_rename_app_request {
    1: string old_app_name;
    2: string new_app_name;
}

struct configuration_rename_app_response {
    1: dsn.error_code err;
    2: string hint_message;
}

struct configuration_list_apps_request {
    // AS_INVALID lists tables in every status.
    1: layer2.app_status status = layer2.app_status.AS_INVALID;
    2: optional string app_name_pattern;
    3: optional metadata.pattern_match_type match_type;
}

struct configuration_list_apps_response {
    1: dsn.error_code err;
    2: list<layer2.app_info> infos;
    3: optional string hint_message;
}

struct configuration_update_app_env_request {
    1: string app_name;
    2: metadata.app_env_operation op = metadata.app_env_operation.APP_ENV_OP_INVALID;
    // set and del: the keys; set: values parallel to keys.
    3: optional list<string> keys;
    4: optional list<string> values;
    // clear: only keys starting with "<clear_prefix>."; empty clears all.
    5: optional string clear_prefix;
}

struct configuration_update_app_env_response {
    1: dsn.error_code err;
    2: string hint_message;
}

struct configuration_get_max_replica_count_request {
    1: string app_name;
}

struct configuration_get_max_replica_count_response {
    1: dsn.error_code err;
    2: i32 max_replica_count;
    3: string hint_message;
}

struct configuration_set_max_replica_count_request {
    1: string app_name;
    2: i32 max_replica_count;
}

struct configuration_set_max_replica_count_response {
    1: dsn.error_code err;
    2: i32 old_max_replica_count;
    3: string hint_message;
}

struct configuration_get_atomic_idempotent_request {
    1: string app_name;
}

struct configuration_get_atomic_idempotent_response {
    1: dsn.error_code err;
    2: bool atomic_idempotent;
    3: string hint_message;
}

struct configuration_set_atomic_idempotent_request {
    1: string app_name;
    2: bool atomic_idempotent;
}

struct configuration_set_atomic_idempotent_response {
    1: dsn.error_code err;
    2: bool old_atomic_idempotent;
    3: string hint_message;
}

struct start_app_manual_compact_request {
    1: string app_name;
    // Unix seconds: compact data written before this time.
    2: optional i64 trigger_time;
    3: optional i32 target_level;
    4: optional bool bottommost;
    // Partitions compacting at once on one node.
    5: optional i32 max_running_count;
}

struct start_app_manual_compact_response {
    1: dsn.error_code err;
    2: string hint_msg;
}

struct query_app_manual_compact_request {
    1: string app_name;
}

struct query_app_manual_compact_response {
    1: dsn.error_code err;
    2: string hint_msg;
    // Percent, 0..100.
    3: optional i32 progress;
}

// ---- nodes, cluster, meta control -----------------------------------------

struct configuration_list_nodes_request {
    1: metadata.node_status status = metadata.node_status.NS_INVALID;
}

struct node_info {
    1: metadata.node_status status = metadata.node_status.NS_INVALID;
    2: dsn.rpc_address node;
    3: optional dsn.host_port hp_node;
}

struct configuration_list_nodes_response {
    1: dsn.error_code err;
    2: list<node_info> infos;
}

struct configuration_cluster_info_request {
}

// keys[i] names the item whose value is values[i].
struct configuration_cluster_info_response {
    1: dsn.error_code err;
    2: list<string> keys;
    3: list<string> values;
}

struct configuration_meta_control_request {
    // fl_invalid only queries the current level.
    1: metadata.meta_function_level level;
}

struct configuration_meta_control_response {
    1: dsn.error_code err;
    2: metadata.meta_function_level old_level;
}

// ---- balancing -----------------------------------------------------------

// Field id 4 is unused on purpose.
struct configuration_proposal_action {
    // The node that carries the action out.
    1: dsn.rpc_address target;
    // The node the action is about.
    2: dsn.rpc_address node;
    3: metadata.config_type type;
    5: optional dsn.host_port hp_target;
    6: optional dsn.host_port hp_node;
}

struct configuration_balancer_request {
    1: dsn.gpid gpid;
    2: list<configuration_proposal_action> action_list;
    // Upstream default false; see the requiredness note at the top.
    3: optional bool force;
    4: optional metadata.balancer_request_type balance_type;
}

struct configuration_balancer_response {
    1: dsn.error_code err;
}

// ---- diagnosis -----------------------------------------------------------

struct ddd_diagnose_request {
    // app_id -1: every table; partition_index -1: every partition.
    1: dsn.gpid pid;
}

struct ddd_node_info {
    1: dsn.rpc_address node;
    2: i64 drop_time_ms;
    3: bool is_alive;
    4: bool is_collected;
    5: i64 ballot;
    6: i64 last_committed_decree;
    7: i64 last_prepared_decree;
    8: optional dsn.host_port hp_node;
}

struct ddd_partition_info {
    1: layer2.partition_configuration config;
    2: list<ddd_node_info> dropped;
    3: string reason;
}

struct ddd_diagnose_response {
    1: dsn.error_code err;
    2: list<ddd_partition_info> partitions;
}

// ---- recovery ------------------------------------------------------------

struct configuration_recovery_request {
    1: list<dsn.rpc_address> recovery_nodes;
    2: bool skip_bad_nodes;
    3: bool skip_lost_partitions;
    4: optional list<dsn.host_port> hp_recovery_nodes;
}

struct configuration_recovery_response {
    1: dsn.error_code err;
    2: string hint_message;
}
