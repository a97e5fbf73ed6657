// Cross-cluster duplication admin structs: protocol.md §3.7.3.
//
// Requiredness: duplication_add_request.is_duplicating_checkpoint is optional
// with the non-zero default true, so it keeps its default literal: the Go
// generator writes it only when it is false, and a reader that does not see
// it gets true.

include "dsn.thrift"
include "metadata.thrift"

namespace go gen.admin

enum duplication_mode {
    FULL = 0,
    INCREMENTAL = 1
}

enum duplication_status {
    DS_INIT = 0,
    // Copying a checkpoint to the follower.
    DS_PREPARE = 1,
    // Follower is applying the checkpoint.
    DS_APP = 2,
    // Shipping mutation logs.
    DS_LOG = 3,
    DS_PAUSE = 4,
    DS_REMOVED = 5
}

// What a duplication does when shipping a mutation fails.
enum duplication_fail_mode {
    FAIL_SLOW = 0,
    FAIL_SKIP = 1,
    FAIL_FAST = 2
}

struct duplication_add_request {
    1: string app_name;
    // Follower cluster; must be configured on the meta server.
    2: string remote_cluster_name;
    // true: start from a checkpoint copy; false: ship logs only.
    3: optional bool is_duplicating_checkpoint = true;
    4: optional string remote_app_name;
    5: optional i32 remote_replica_count;
}

struct duplication_add_response {
    1: dsn.error_code err;
    2: i32 appid;
    3: i32 dupid;
    4: optional string hint;
    5: optional string remote_app_name;
    6: optional i32 remote_replica_count;
}

struct duplication_modify_request {
    1: string app_name;
    2: i32 dupid;
    3: optional duplication_status status;
    4: optional duplication_fail_mode fail_mode;
}

struct duplication_modify_response {
    1: dsn.error_code err;
    2: i32 appid;
}

struct duplication_partition_state {
    1: i64 confirmed_decree;
    2: i64 last_committed_decree;
    // Our addition: how long (ms) the oldest write the follower has not
    // confirmed has been committed on the master, as the meta server saw
    // it through duplication sync; 0 when nothing is pending, unset until
    // the partition's primary has reported to the current meta leader.
    3: optional i64 lag_ms;
}

// Field id 6 is unused on purpose.
struct duplication_entry {
    1: i32 dupid;
    2: duplication_status status;
    // Follower cluster name.
    3: string remote;
    // Unix milliseconds.
    4: i64 create_ts;
    // Partition index -> confirmed decree.
    5: optional map<i32, i64> progress;
    7: optional duplication_fail_mode fail_mode;
    8: optional string remote_app_name;
    9: optional i32 remote_replica_count;
    10: optional duplication_mode mode;
    11: optional map<i32, duplication_partition_state> partition_states;
}

struct duplication_query_request {
    1: string app_name;
}

// Field id 2 is unused on purpose.
struct duplication_query_response {
    1: dsn.error_code err;
    3: i32 appid;
    4: list<duplication_entry> entry_list;
}

struct duplication_app_state {
    1: i32 appid;
    // dupid -> entry.
    2: map<i32, duplication_entry> duplications;
    3: string app_name;
    4: i32 partition_count;
}

struct duplication_list_request {
    1: string app_name_pattern;
    2: metadata.pattern_match_type match_type;
}

struct duplication_list_response {
    1: dsn.error_code err;
    2: string hint_message;
    // Table name -> its duplications.
    3: map<string, duplication_app_state> app_states;
}
