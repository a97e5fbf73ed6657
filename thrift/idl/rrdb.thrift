// Storage (table data) RPCs served by the primary of a partition:
// protocol.md §2.2, enums §3.3, structs §3.4.
//
// Requiredness: fields without a qualifier have default requiredness and are
// always written. Optional fields whose upstream IDL default is the zero
// value (get_scanner_request.only_return_count = false) carry no default
// literal here: the Go generator then represents them as pointers and writes
// them exactly when they are set, which reproduces the go-client's bytes (it
// never sets them), while a server that wants C++-identical bytes sets them
// explicitly. An absent field reads as nil, i.e. the default value.

include "dsn.thrift"

namespace go gen.rrdb

enum filter_type {
    FT_NO_FILTER = 0,
    FT_MATCH_ANYWHERE = 1,
    FT_MATCH_PREFIX = 2,
    FT_MATCH_POSTFIX = 3
}

enum cas_check_type {
    CT_NO_CHECK = 0,

    // existence checks
    CT_VALUE_NOT_EXIST = 1,
    CT_VALUE_NOT_EXIST_OR_EMPTY = 2,
    CT_VALUE_EXIST = 3,
    CT_VALUE_NOT_EMPTY = 4,

    // substring checks against check_operand
    CT_VALUE_MATCH_ANYWHERE = 5,
    CT_VALUE_MATCH_PREFIX = 6,
    CT_VALUE_MATCH_POSTFIX = 7,

    // unsigned byte-wise comparisons
    CT_VALUE_BYTES_LESS = 8,
    CT_VALUE_BYTES_LESS_OR_EQUAL = 9,
    CT_VALUE_BYTES_EQUAL = 10,
    CT_VALUE_BYTES_GREATER_OR_EQUAL = 11,
    CT_VALUE_BYTES_GREATER = 12,

    // int64 comparisons (value and operand parsed as integers)
    CT_VALUE_INT_LESS = 13,
    CT_VALUE_INT_LESS_OR_EQUAL = 14,
    CT_VALUE_INT_EQUAL = 15,
    CT_VALUE_INT_GREATER_OR_EQUAL = 16,
    CT_VALUE_INT_GREATER = 17
}

enum mutate_operation {
    MO_PUT = 0,
    MO_DELETE = 1
}

// Internal: set by a primary that turns an atomic write into a plain put
// before replicating it. Clients never send it.
enum update_type {
    UT_PUT = 0,
    UT_INCR = 1,
    UT_CHECK_AND_SET = 2,
    UT_CHECK_AND_MUTATE_PUT = 3,
    UT_CHECK_AND_MUTATE_REMOVE = 4
}

// PUT argument. key is the encoded full key (u16 BE hash key length, hash
// key, sort key).
struct update_request {
    1: dsn.blob key;
    2: dsn.blob value;
    3: i32 expire_ts_seconds;
    4: optional update_type type;
    5: optional bool check_value_returned;
    6: optional bool check_value_exist;
    7: optional dsn.blob check_value;
}

// Reply of PUT, MULTI_PUT and REMOVE.
struct update_response {
    1: i32 error;
    2: i32 app_id;
    3: i32 partition_index;
    4: i64 decree;
    5: string server;
}

// Reply of GET. Field id 5 is unused on purpose.
struct read_response {
    1: i32 error;
    2: dsn.blob value;
    3: i32 app_id;
    4: i32 partition_index;
    6: string server;
}

// Reply of TTL. Field id 5 is unused on purpose.
struct ttl_response {
    1: i32 error;
    2: i32 ttl_seconds;
    3: i32 app_id;
    4: i32 partition_index;
    6: string server;
}

// Reply of SORTKEY_COUNT. Field id 5 is unused on purpose.
struct count_response {
    1: i32 error;
    2: i64 count;
    3: i32 app_id;
    4: i32 partition_index;
    6: string server;
}

// One record. key is a sort key in multi_put/multi_get and a full encoded
// key in scan replies.
struct key_value {
    1: dsn.blob key;
    2: dsn.blob value;
    3: optional i32 expire_ts_seconds;
}

struct multi_put_request {
    1: dsn.blob hash_key;
    2: list<key_value> kvs;
    3: i32 expire_ts_seconds;
}

struct multi_remove_request {
    1: dsn.blob hash_key;
    2: list<dsn.blob> sort_keys;
    // Deprecated; the server ignores it.
    3: i64 max_count;
}

struct multi_remove_response {
    1: i32 error;
    2: i64 count;
    3: i32 app_id;
    4: i32 partition_index;
    5: i64 decree;
    6: string server;
}

struct multi_get_request {
    1: dsn.blob hash_key;
    2: list<dsn.blob> sort_keys;
    3: i32 max_kv_count;
    4: i32 max_kv_size;
    5: bool no_value;
    6: dsn.blob start_sortkey;
    7: dsn.blob stop_sortkey;
    8: bool start_inclusive;
    9: bool stop_inclusive;
    10: filter_type sort_key_filter_type;
    11: dsn.blob sort_key_filter_pattern;
    12: bool reverse;
}

// Reply of MULTI_GET. Field id 5 is unused on purpose.
struct multi_get_response {
    1: i32 error;
    2: list<key_value> kvs;
    3: i32 app_id;
    4: i32 partition_index;
    6: string server;
}

struct full_key {
    1: dsn.blob hash_key;
    2: dsn.blob sort_key;
}

struct batch_get_request {
    1: list<full_key> keys;
}

struct full_data {
    1: dsn.blob hash_key;
    2: dsn.blob sort_key;
    3: dsn.blob value;
}

// Reply of BATCH_GET. Field id 5 is unused on purpose.
struct batch_get_response {
    1: i32 error;
    2: list<full_data> data;
    3: i32 app_id;
    4: i32 partition_index;
    6: string server;
}

struct incr_request {
    1: dsn.blob key;
    2: i64 increment;
    3: i32 expire_ts_seconds;
}

struct incr_response {
    1: i32 error;
    2: i64 new_value;
    3: i32 app_id;
    4: i32 partition_index;
    5: i64 decree;
    6: string server;
}

struct check_and_set_request {
    1: dsn.blob hash_key;
    2: dsn.blob check_sort_key;
    3: cas_check_type check_type;
    4: dsn.blob check_operand;
    5: bool set_diff_sort_key;
    6: dsn.blob set_sort_key;
    7: dsn.blob set_value;
    8: i32 set_expire_ts_seconds;
    9: bool return_check_value;
}

struct check_and_set_response {
    1: i32 error;
    2: bool check_value_returned;
    3: bool check_value_exist;
    4: dsn.blob check_value;
    5: i32 app_id;
    6: i32 partition_index;
    7: i64 decree;
    8: string server;
}

struct mutate {
    1: mutate_operation operation;
    2: dsn.blob sort_key;
    3: dsn.blob value;
    4: i32 set_expire_ts_seconds;
}

struct check_and_mutate_request {
    1: dsn.blob hash_key;
    2: dsn.blob check_sort_key;
    3: cas_check_type check_type;
    4: dsn.blob check_operand;
    5: list<mutate> mutate_list;
    6: bool return_check_value;
}

// Same layout as check_and_set_response.
struct check_and_mutate_response {
    1: i32 error;
    2: bool check_value_returned;
    3: bool check_value_exist;
    4: dsn.blob check_value;
    5: i32 app_id;
    6: i32 partition_index;
    7: i64 decree;
    8: string server;
}

struct get_scanner_request {
    1: dsn.blob start_key;
    2: dsn.blob stop_key;
    3: bool start_inclusive;
    4: bool stop_inclusive;
    5: i32 batch_size;
    6: bool no_value;
    7: filter_type hash_key_filter_type;
    8: dsn.blob hash_key_filter_pattern;
    9: filter_type sort_key_filter_type;
    10: dsn.blob sort_key_filter_pattern;
    // No IDL default: the server treats an absent value as true.
    11: optional bool validate_partition_hash;
    12: optional bool return_expire_ts;
    13: optional bool full_scan;
    // Upstream default false; see the requiredness note at the top.
    14: optional bool only_return_count;
}

struct scan_request {
    1: i64 context_id;
}

struct scan_response {
    1: i32 error;
    2: list<key_value> kvs;
    3: i64 context_id;
    4: i32 app_id;
    5: i32 partition_index;
    6: string server;
    7: optional i32 kv_count;
}

// One method per storage RPC; each takes a single argument with id 1.
// get/remove/ttl take the encoded full key, sortkey_count the raw hash key.
// RPC_RRDB_RRDB_DUPLICATE: a master cluster's primary ships mutations from
// its log to the follower table (design notes §7.3). Every field optional,
// as upstream's: a follower reads what it is given.
struct duplicate_entry {
    1: optional i64 timestamp;         // the mutation's timestamp (µs)
    2: optional dsn.task_code task_code;  // the original write's RPC name
    3: optional dsn.blob raw_message;  // the original write's args bytes
    4: optional i64 cluster_id;        // the writing cluster's duplication id
    5: optional bool verify_timetag;   // last-write-wins check on the follower
}

struct duplicate_request {
    1: optional list<duplicate_entry> entries;
}

struct duplicate_response {
    1: optional i32 error;
    2: optional string error_hint;
}

service rrdb {
    update_response put(1: update_request update);
    update_response multi_put(1: multi_put_request request);
    update_response remove(1: dsn.blob key);
    multi_remove_response multi_remove(1: multi_remove_request request);
    incr_response incr(1: incr_request request);
    check_and_set_response check_and_set(1: check_and_set_request request);
    check_and_mutate_response check_and_mutate(1: check_and_mutate_request request);
    read_response get(1: dsn.blob key);
    multi_get_response multi_get(1: multi_get_request request);
    batch_get_response batch_get(1: batch_get_request request);
    count_response sortkey_count(1: dsn.blob hash_key);
    ttl_response ttl(1: dsn.blob key);
    scan_response get_scanner(1: get_scanner_request request);
    scan_response scan(1: scan_request request);
    oneway void clear_scanner(1: i64 context_id);
    // Server to server: a master cluster's primary ships its writes to the
    // follower table (RPC_RRDB_RRDB_DUPLICATE).
    duplicate_response duplicate(1: duplicate_request request);
}
