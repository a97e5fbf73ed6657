// Internal protocol between meta servers and replica servers (design notes
// §3.8–3.10, §12): failure-detector beacons, config sync, configuration
// updates and proposals. Clients never see these messages; they travel on
// the same THFT transport as client RPCs. The shapes follow upstream's so
// that reasoning about PacificA carries over; the field ids are ours.

include "dsn.thrift"
include "layer2.thrift"
include "metadata.thrift"
include "partition_split.thrift"
include "duplication.thrift"

namespace go gen.replication

// A replica server's liveness ping to the meta server it believes leads.
// RPC_FD_FAILURE_DETECTOR_PING.
struct beacon_msg {
    1: i64 time;                       // sender's clock when sent (ms), echoed in the ack
    2: dsn.rpc_address from_addr;
    3: dsn.rpc_address to_addr;
    4: i64 start_time;                 // sender's process start (ms since epoch)
    5: optional dsn.host_port hp_from_addr;
    6: optional dsn.host_port hp_to_addr;
}

struct beacon_ack {
    1: i64 time;                       // echo of beacon_msg.time
    2: dsn.rpc_address this_node;
    3: dsn.rpc_address primary_node;   // the leader as this meta knows it
    4: bool is_master;                 // only an ack with true renews the worker's lease
    5: bool allowed;                   // false: the meta refuses this worker
    6: optional dsn.host_port hp_this_node;
    7: optional dsn.host_port hp_primary_node;
}

// What a replica server reports about one replica it stores.
struct replica_info {
    1: dsn.gpid pid;
    2: i64 ballot;
    3: metadata.partition_status status;
    4: i64 last_committed_decree;
    5: i64 last_prepared_decree;
    6: i64 last_durable_decree;
    7: string app_type;
    8: string disk_tag;
}

// A configuration change, as proposed to a replica (RPC_CONFIG_PROPOSAL,
// one-way, meta → replica server) or requested of the meta
// (RPC_CM_UPDATE_PARTITION_CONFIGURATION, replica server → meta), and the
// unit of a config sync reply.
struct configuration_update_request {
    1: layer2.app_info info;
    2: layer2.partition_configuration config;   // the full proposed configuration
    3: metadata.config_type type;
    4: dsn.rpc_address node;                    // the member being changed
    5: optional dsn.host_port hp_node;
    // In a config sync reply: the meta's split status of this (parent)
    // partition, when its table is splitting (design notes §8).
    6: optional partition_split.split_status meta_split_status;
}

struct configuration_update_response {
    1: dsn.error_code err;
    2: layer2.partition_configuration config;   // the stored configuration after the call
}

// RPC_CM_CONFIG_SYNC: a replica server's periodic report of what it stores;
// the reply is every partition the meta says this node serves.
struct configuration_query_by_node_request {
    1: dsn.rpc_address node;
    2: list<replica_info> stored_replicas;
    3: optional dsn.host_port hp_node;
}

struct configuration_query_by_node_response {
    1: dsn.error_code err;
    2: list<configuration_update_request> partitions;
    3: list<replica_info> gc_replicas;          // replicas the node may delete
}

service replication {
    beacon_ack ping(1: beacon_msg beacon);
    configuration_query_by_node_response config_sync(1: configuration_query_by_node_request req);
    configuration_update_response update_partition_configuration(1: configuration_update_request req);
    oneway void config_proposal(1: configuration_update_request proposal);
}

// File copy between servers (learning a checkpoint from a primary, later
// backup): a server shares a directory under a session id; a peer lists it
// and fetches it in chunks, checking each file's CRC-32C.
// RPC_FILECOPY_LIST and RPC_FILECOPY_FETCH.
struct file_meta {
    1: string name;          // path relative to the shared directory
    2: i64 size;
    3: i32 crc32c;           // of the whole file
}

struct filecopy_list_request {
    1: string session;
}

struct filecopy_list_response {
    1: dsn.error_code err;
    2: list<file_meta> files;
}

struct filecopy_fetch_request {
    1: string session;
    2: string name;
    3: i64 offset;
    4: i32 length;           // at most the server's chunk limit
}

struct filecopy_fetch_response {
    1: dsn.error_code err;
    2: dsn.blob data;        // shorter than asked only at the end of the file
    3: i32 crc32c;           // of data
}

service filecopy {
    filecopy_list_response list_files(1: filecopy_list_request req);
    filecopy_fetch_response fetch_chunk(1: filecopy_fetch_request req);
}

// Replica-to-replica protocol: the PacificA messages of server/pacifica
// (pacifica.Message), one one-way RPC per message type, between the
// replica servers holding one partition. Each request carries one
// peer_message; answers travel as requests of their own (RPC_PREPARE_ACK,
// RPC_GROUP_CHECK_ACK, RPC_LEARN_ACK), so a slow peer never holds a reply
// slot. Fields a message type does not use are optional and left out.

// One replicated log entry (pacifica.Mutation): what a primary prepares and
// a learner is sent from the primary's prepare list.
struct mutation_data {
    1: i64 ballot;                     // the ballot it was prepared under
    2: i64 decree;
    3: i64 last_committed;             // the preparing primary's commit point
    4: i64 timestamp_us;
    5: list<binary> updates;           // serialized writes; none: an empty write
}

// The members of a partition (pacifica.Config): partition_configuration
// without the meta's bookkeeping. An absent primary is the zero
// rpc_address.
struct replica_config {
    1: dsn.gpid pid;
    2: i64 ballot;
    3: i32 max_replica_count;
    4: dsn.rpc_address primary;
    5: list<dsn.rpc_address> secondaries;
}

// A learner's progress (pacifica.LearnPhase).
enum learn_phase {
    LP_NONE = 0,
    LP_WITHOUT_PREPARE = 1,
    LP_COPYING = 2,
    LP_WITH_PREPARE = 3,
    LP_SUCCEEDED = 4,
}

// One replica-to-replica message. Its type is the RPC name it travels
// under. An optional field is absent when its value is the zero value.
struct peer_message {
    1: dsn.gpid pid;
    2: dsn.rpc_address from_node;
    3: dsn.rpc_address to_node;
    4: i64 ballot;                                // the sender's ballot
    5: optional dsn.error_code err;
    6: optional replica_config config;            // prepare, group check
    7: optional metadata.partition_status receiver_status;
    8: optional i64 signature;                    // a learning session (uint64 bits)
    9: optional mutation_data mutation;           // prepare
    10: optional i64 decree;                      // prepare ack
    11: optional i64 ack_ballot;                  // prepare ack, group check ack
    12: optional i64 committed;                   // a commit point
    13: optional learn_phase learner;             // group check ack
    14: optional list<mutation_data> entries;     // learn ack
    15: optional i64 prepare_start;               // learn ack
    16: optional i64 copy_from;                   // learn ack
    17: optional i64 copy_to;                     // learn ack
    18: optional bool from_scratch;               // learn ack
    // The partition's table, sent with a group check that invites a
    // learner so that a server without the replica can create it.
    19: optional layer2.app_info app;
    // Group check: the lowest decree a duplication of this partition has
    // confirmed; secondaries keep their log above it (design notes §7.4).
    20: optional i64 dup_confirmed;
    // Group check during a split: the table's new partition count, which
    // tells a secondary to create its child replica (design notes §8).
    21: optional i32 split_partition_count;
    // Group check in a split's registration step: the decree at which every
    // member's child stops following its parent. Group check ack: the
    // member's child holds exactly this decree on disk.
    22: optional i64 split_child_decree;
}

// RPC_LEARN_CHECKPOINT: a learner's server asks the primary's server to
// checkpoint the partition's storage at a decree of at least min_decree
// and share it; the learner fetches it with RPC_FILECOPY_LIST/FETCH under
// session. signature names the learning session the primary granted.
struct learn_checkpoint_request {
    1: dsn.gpid pid;
    2: i64 signature;
    3: i64 min_decree;
}

struct learn_checkpoint_response {
    1: dsn.error_code err;
    2: string session;                 // the filecopy session holding the checkpoint
    3: i64 decree;                     // the checkpoint's decree
}

service peer {
    oneway void prepare(1: peer_message msg);                  // RPC_PREPARE
    oneway void prepare_ack(1: peer_message msg);              // RPC_PREPARE_ACK
    oneway void group_check(1: peer_message msg);              // RPC_GROUP_CHECK
    oneway void group_check_ack(1: peer_message msg);          // RPC_GROUP_CHECK_ACK
    oneway void learn(1: peer_message msg);                    // RPC_LEARN
    oneway void learn_ack(1: peer_message msg);                // RPC_LEARN_ACK
    oneway void learn_completion_notify(1: peer_message msg);  // RPC_LEARN_COMPLETION_NOTIFY
    learn_checkpoint_response learn_checkpoint(1: learn_checkpoint_request req);
}

// Cold backup and restore between the meta server and the replica servers
// (docs/backup.md).
//
// RPC_COLD_BACKUP: the meta server asks a partition's primary to upload a
// checkpoint of it into a backup, and asks again until the answer says it
// is done. The first request starts the upload in the background; later
// ones report on it. The provider's root travels with the request, so the
// replica servers need no backup configuration of their own.
struct cold_backup_request {
    1: dsn.gpid pid;
    2: i64 backup_id;
    3: string provider_type;           // e.g. local_service
    4: string provider_root;
    5: string cluster_name;            // the backup's location (backup.Location)
    6: string app_name;
    7: string backup_path;             // optional prefix under the root; "" for none
}

struct cold_backup_response {
    // ERR_OK: uploaded; ERR_BUSY: still uploading (see progress);
    // ERR_INVALID_STATE: not the primary; anything else: the upload failed
    // (hint says why) and a new request starts it again.
    1: dsn.error_code err;
    2: i32 progress;                   // 0..1000
    3: i64 checkpoint_decree;
    4: string hint;
    5: i32 file_count;
    6: i64 total_size;
}

// RPC_CM_REPORT_RESTORE_STATUS: a replica server restoring a partition
// from a backup tells the meta server how far it got, and whether it
// failed (err ERR_CORRUPTION: the backup's files do not match their
// manifest; the meta server then fails the restore).
struct restore_report_request {
    1: dsn.gpid pid;
    2: dsn.error_code err;             // ERR_OK: done; ERR_BUSY: downloading
    3: i32 progress;                   // 0..1000
    4: string hint;
}

struct restore_report_response {
    1: dsn.error_code err;
}

service cold_backup {
    cold_backup_response upload(1: cold_backup_request req);                    // RPC_COLD_BACKUP
    restore_report_response report_restore(1: restore_report_request req);    // RPC_CM_REPORT_RESTORE_STATUS
}

// Partition split between replica servers and the meta server (design
// notes §8). Shapes and field ids follow upstream's.
//
// RPC_CM_REGISTER_CHILD_REPLICA: a splitting parent's primary asks the meta
// server to make its child a partition of its own.
struct register_child_request {
    1: layer2.app_info app;
    2: layer2.partition_configuration parent_config;
    3: layer2.partition_configuration child_config;
    4: dsn.rpc_address primary_address;
    5: optional dsn.host_port hp_primary;
}

struct register_child_response {
    1: dsn.error_code err;
    2: layer2.app_info app;
    3: layer2.partition_configuration parent_config;
    4: layer2.partition_configuration child_config;
}

// RPC_CM_NOTIFY_STOP_SPLIT: a parent's primary confirms that it paused or
// canceled its split as the meta server asked.
struct notify_stop_split_request {
    1: string app_name;
    2: dsn.gpid parent_gpid;
    3: partition_split.split_status meta_split_status;
    4: i32 partition_count;
}

struct notify_stop_split_response {
    1: dsn.error_code err;
}

// RPC_CM_QUERY_CHILD_STATE: a parent's primary asks whether its child was
// registered already (after a restart or ballot change mid-split).
struct query_child_state_request {
    1: string app_name;
    2: dsn.gpid pid;
    3: i32 partition_count;
}

struct query_child_state_response {
    1: dsn.error_code err;
    2: optional i32 partition_count;
    3: optional layer2.partition_configuration child_config;
}

service split {
    register_child_response register_child(1: register_child_request req);              // RPC_CM_REGISTER_CHILD_REPLICA
    notify_stop_split_response notify_stop_split(1: notify_stop_split_request req);     // RPC_CM_NOTIFY_STOP_SPLIT
    query_child_state_response query_child_state(1: query_child_state_request req);     // RPC_CM_QUERY_CHILD_STATE
}

// Duplication between replica servers and the meta server (design notes
// §7.4). RPC_CM_DUPLICATION_SYNC: every duplication_sync_interval a replica
// server reports, per primary partition and duplication, what the follower
// confirmed; the reply is the meta's authoritative duplication map.
struct duplication_confirm_entry {
    1: i32 dupid;
    2: i64 confirmed_decree;
    3: optional bool checkpoint_prepared = false;
    4: optional i64 last_committed_decree;
}

// One partition's confirmations (a list rather than upstream's map keyed by
// gpid, whose struct keys the Go generator handles poorly).
struct duplication_partition_confirms {
    1: dsn.gpid pid;
    2: list<duplication_confirm_entry> confirms;
}

struct duplication_sync_request {
    1: dsn.rpc_address node;
    2: list<duplication_partition_confirms> confirm_list;
    3: optional dsn.host_port hp_node;
}

struct duplication_sync_response {
    1: dsn.error_code err;
    // app id -> dupid -> duplication (status, fail mode, remote, progress).
    2: map<i32, map<i32, duplication.duplication_entry>> dup_map;
}

service duplication {
    duplication_sync_response sync(1: duplication_sync_request req);    // RPC_CM_DUPLICATION_SYNC
}
