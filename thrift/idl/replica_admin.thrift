// Node-level admin RPCs served by a replica server (header app_id and
// partition_index 0): protocol.md §2.4 and §3.7.7, plus query_app_info of
// §3.7.1, which replica servers serve too.

include "dsn.thrift"
include "layer2.thrift"

namespace go gen.radmin

enum disk_status {
    NORMAL = 0,
    SPACE_INSUFFICIENT = 1,
    IO_ERROR = 2
}

enum disk_migration_status {
    IDLE = 0,
    MOVING = 1,
    MOVED = 2,
    CLOSED = 3
}

enum hotkey_type {
    READ = 0,
    WRITE = 1
}

enum detect_action {
    START = 0,
    STOP = 1,
    QUERY = 2
}

struct query_disk_info_request {
    // The replica server asked.
    1: dsn.rpc_address node1;
    // Only replicas of this table; empty for all.
    2: string app_name;
    3: optional dsn.host_port hp_node1;
}

struct disk_info {
    1: string tag;
    2: string full_dir;
    3: i64 disk_capacity_mb;
    4: i64 disk_available_mb;
    // app_id -> replicas of that table on this disk.
    5: map<i32, set<dsn.gpid>> holding_primary_replicas;
    6: map<i32, set<dsn.gpid>> holding_secondary_replicas;
}

struct query_disk_info_response {
    1: dsn.error_code err;
    2: i64 total_capacity_mb;
    3: i64 total_available_mb;
    4: list<disk_info> disk_infos;
}

struct replica_disk_migrate_request {
    1: dsn.gpid pid;
    2: string origin_disk;
    3: string target_disk;
}

struct replica_disk_migrate_response {
    1: dsn.error_code err;
    2: optional string hint;
}

struct detect_hotkey_request {
    1: hotkey_type type;
    2: detect_action action;
    3: dsn.gpid pid;
}

struct detect_hotkey_response {
    1: dsn.error_code err;
    2: optional string err_hint;
    3: optional string hotkey_result;
}

struct add_new_disk_request {
    1: string disk_str;
}

struct add_new_disk_response {
    1: dsn.error_code err;
    2: optional string err_hint;
}

struct query_app_info_request {
    // The asking meta server.
    1: dsn.rpc_address meta_server;
    2: optional dsn.host_port hp_meta_server;
}

struct query_app_info_response {
    1: dsn.error_code err;
    2: list<layer2.app_info> apps;
}

service replica_admin {
    query_disk_info_response query_disk_info(1: query_disk_info_request req);
    replica_disk_migrate_response disk_migrate(1: replica_disk_migrate_request req);
    detect_hotkey_response detect_hotkey(1: detect_hotkey_request req);
    add_new_disk_response add_new_disk(1: add_new_disk_request req);
    query_app_info_response query_app_info(1: query_app_info_request req);
}
