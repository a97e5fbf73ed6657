// Bulk load admin structs: protocol.md §3.7.5.
//
// Requiredness: the optional fields of partition_bulk_load_state have
// upstream defaults equal to their zero values (0, IS_INVALID, false, false).
// They carry no default literal here, so the Go generator makes them pointers
// written exactly when set; an absent field reads as nil, i.e. the default.

include "dsn.thrift"

namespace go gen.admin

enum bulk_load_status {
    BLS_INVALID = 0,
    BLS_DOWNLOADING = 1,
    BLS_DOWNLOADED = 2,
    BLS_INGESTING = 3,
    BLS_SUCCEED = 4,
    BLS_FAILED = 5,
    BLS_PAUSING = 6,
    BLS_PAUSED = 7,
    BLS_CANCELED = 8
}

enum ingestion_status {
    IS_INVALID = 0,
    IS_RUNNING = 1,
    IS_SUCCEED = 2,
    IS_FAILED = 3
}

enum bulk_load_control_type {
    BLC_PAUSE = 0,
    BLC_RESTART = 1,
    BLC_CANCEL = 2,
    BLC_FORCE_CANCEL = 3
}

struct start_bulk_load_request {
    1: string app_name;
    2: string cluster_name;
    3: string file_provider_type;
    4: string remote_root_path;
    // Ingest below the existing data.
    5: bool ingest_behind = false;
}

struct start_bulk_load_response {
    1: dsn.error_code err;
    2: string hint_msg;
}

struct control_bulk_load_request {
    1: string app_name;
    2: bulk_load_control_type type;
}

struct control_bulk_load_response {
    1: dsn.error_code err;
    2: optional string hint_msg;
}

struct query_bulk_load_request {
    1: string app_name;
}

// Bulk-load progress of one replica.
struct partition_bulk_load_state {
    1: optional i32 download_progress;
    2: optional dsn.error_code download_status;
    3: optional ingestion_status ingest_status;
    4: optional bool is_cleaned_up;
    5: optional bool is_paused;
}

struct query_bulk_load_response {
    1: dsn.error_code err;
    2: string app_name;
    3: bulk_load_status app_status;
    // Indexed by partition.
    4: list<bulk_load_status> partitions_status;
    5: i32 max_replica_count;
    // Indexed by partition: replica node -> its state.
    6: list<map<dsn.rpc_address, partition_bulk_load_state>> bulk_load_states;
    7: optional string hint_msg;
    8: optional bool is_bulk_loading;
    9: optional list<map<dsn.host_port, partition_bulk_load_state>> hp_bulk_load_states;
}

struct clear_bulk_load_state_request {
    1: string app_name;
}

struct clear_bulk_load_state_response {
    1: dsn.error_code err;
    2: string hint_msg;
}
