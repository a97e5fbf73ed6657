// Partition split admin structs: protocol.md §3.7.4.

include "dsn.thrift"

namespace go gen.admin

enum split_status {
    NOT_SPLIT = 0,
    SPLITTING = 1,
    PAUSING = 2,
    PAUSED = 3,
    CANCELING = 4
}

enum split_control_type {
    PAUSE = 0,
    RESTART = 1,
    CANCEL = 2
}

struct start_partition_split_request {
    1: string app_name;
    // Must be twice the current partition count.
    2: i32 new_partition_count;
}

struct start_partition_split_response {
    1: dsn.error_code err;
    2: string hint_msg;
}

struct control_split_request {
    1: string app_name;
    2: split_control_type control_type;
    // -1: every partition.
    3: i32 parent_pidx;
    4: optional i32 old_partition_count;
}

struct control_split_response {
    1: dsn.error_code err;
    2: optional string hint_msg;
}

struct query_split_request {
    1: string app_name;
}

struct query_split_response {
    1: dsn.error_code err;
    2: i32 new_partition_count;
    // Parent partition index -> its split status.
    3: map<i32, split_status> status;
    4: optional string hint_msg;
}
