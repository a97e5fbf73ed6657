// Routing structs (dsn.layer2): protocol.md §3.5.
//
// Requiredness: app_info 12/14/15 are optional with an upstream default of
// false. They carry no default literal here, so the Go generator makes them
// pointers written exactly when set. A meta server that wants the C++
// server's bytes (which always include them) sets them explicitly; an absent
// field reads as nil, i.e. false.

include "dsn.thrift"

namespace go gen.layer2

enum app_status {
    AS_INVALID = 0,
    AS_AVAILABLE = 1,
    AS_CREATING = 2,
    AS_CREATE_FAILED = 3, // deprecated
    AS_DROPPING = 4,
    AS_DROP_FAILED = 5, // deprecated
    AS_DROPPED = 6,
    AS_RECALLING = 7
}

// Membership of one partition as known by the meta server. Clients route by
// primary (rpc_address), not by hp_primary.
struct partition_configuration {
    1: dsn.gpid pid;
    2: i64 ballot;
    3: i32 max_replica_count;
    4: dsn.rpc_address primary;
    5: list<dsn.rpc_address> secondaries;
    6: list<dsn.rpc_address> last_drops;
    7: i64 last_committed_decree;
    8: i32 partition_flags;
    9: optional dsn.host_port hp_primary;
    10: optional list<dsn.host_port> hp_secondaries;
    11: optional list<dsn.host_port> hp_last_drops;
}

// Argument of RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX. An empty index list
// asks for every partition.
struct query_cfg_request {
    1: string app_name;
    2: list<i32> partition_indices;
}

struct query_cfg_response {
    1: dsn.error_code err;
    2: i32 app_id;
    3: i32 partition_count;
    4: bool is_stateful;
    5: list<partition_configuration> partitions;
}

struct app_info {
    1: app_status status = app_status.AS_INVALID;
    2: string app_type;
    3: string app_name;
    4: i32 app_id;
    5: i32 partition_count;
    6: map<string, string> envs;
    7: bool is_stateful;
    8: i32 max_replica_count;
    9: i64 expire_second;
    10: i64 create_second;
    11: i64 drop_second;
    12: optional bool duplicating;
    // Partition count at creation time, before any split.
    13: i32 init_partition_count = -1;
    14: optional bool is_bulk_loading;
    15: optional bool atomic_idempotent;
}

// Thrift meta of a header-version-1 request frame (protocol.md §1.2.2), sent
// by the Java client between the 16-byte header and the body. Every field is
// optional; a missing one reads as 0/false.
struct request_meta {
    1: optional i32 app_id;
    2: optional i32 partition_index;
    3: optional i32 client_timeout;
    // Called partition_hash by the Java client.
    4: optional i64 client_partition_hash;
    // A read that a secondary may serve.
    5: optional bool is_backup_request;
}
