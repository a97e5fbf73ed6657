// Backup and restore admin structs: protocol.md §3.7.6. A restore creates a
// new table, so RPC_CM_START_RESTORE replies with
// configuration_create_app_response (meta_admin.thrift).

include "dsn.thrift"

namespace go gen.admin

struct start_backup_app_request {
    // Block service name, e.g. "local_service".
    1: string backup_provider_type;
    2: i32 app_id;
    3: optional string backup_path;
}

struct start_backup_app_response {
    1: dsn.error_code err;
    2: string hint_message;
    3: optional i64 backup_id;
}

struct query_backup_status_request {
    1: i32 app_id;
    // Absent: every backup of the table.
    2: optional i64 backup_id;
}

struct backup_item {
    1: i64 backup_id;
    2: string app_name;
    3: string backup_provider_type;
    4: string backup_path;
    5: i64 start_time_ms;
    6: i64 end_time_ms;
    7: bool is_backup_failed;
}

struct query_backup_status_response {
    1: dsn.error_code err;
    2: string hint_message;
    3: optional list<backup_item> backup_items;
}

struct configuration_add_backup_policy_request {
    1: string backup_provider_type;
    2: string policy_name;
    3: list<i32> app_ids;
    4: i64 backup_interval_seconds;
    5: i32 backup_history_count_to_keep;
    6: string start_time;
}

struct configuration_add_backup_policy_response {
    1: dsn.error_code err;
    2: string hint_message;
}

struct configuration_query_backup_policy_request {
    1: list<string> policy_names;
    2: i32 backup_info_count;
}

struct policy_entry {
    1: string policy_name;
    2: string backup_provider_type;
    // A decimal string, unlike the i64 of the add request.
    3: string backup_interval_seconds;
    4: set<i32> app_ids;
    5: i32 backup_history_count_to_keep;
    6: string start_time;
    7: bool is_disable;
}

struct backup_entry {
    1: i64 backup_id;
    2: i64 start_time_ms;
    3: i64 end_time_ms;
    4: set<i32> app_ids;
}

struct configuration_query_backup_policy_response {
    1: dsn.error_code err;
    2: list<policy_entry> policys;
    // backup_infos[i] belongs to policys[i].
    3: list<list<backup_entry>> backup_infos;
    4: optional string hint_msg;
}

struct configuration_modify_backup_policy_request {
    1: string policy_name;
    2: optional list<i32> add_appids;
    3: optional list<i32> removal_appids;
    4: optional i64 new_backup_interval_sec;
    5: optional i32 backup_history_count_to_keep;
    6: optional bool is_disable;
    7: optional string start_time;
    8: optional bool force_disable;
}

struct configuration_modify_backup_policy_response {
    1: dsn.error_code err;
    2: string hint_message;
}

struct configuration_restore_request {
    1: string cluster_name;
    2: string policy_name;
    // The backup id to restore.
    3: i64 time_stamp;
    4: string app_name;
    // Id of the table that was backed up.
    5: i32 app_id;
    6: string new_app_name;
    7: string backup_provider_name;
    8: bool skip_bad_partition;
    9: optional string restore_path;
}

struct configuration_query_restore_request {
    1: i32 restore_app_id;
}

struct configuration_query_restore_response {
    1: dsn.error_code err;
    // Indexed by partition.
    2: list<dsn.error_code> restore_status;
    3: list<i32> restore_progress;
}
