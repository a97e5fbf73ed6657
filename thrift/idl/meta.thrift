// The meta-server RPCs of protocol.md §2.3, one method per RPC. Each method
// takes one argument with id 1, so the generated MetaXxxArgs struct writes
// field 1 and MetaXxxResult writes `success` as field 0. The RPC names
// (RPC_CM_...) are not derived from the method names; see thrift/catalog.

include "layer2.thrift"
include "meta_admin.thrift"
include "duplication.thrift"
include "partition_split.thrift"
include "bulk_load.thrift"
include "backup.thrift"

namespace go gen.admin

service meta {
    // routing
    layer2.query_cfg_response query_config(1: layer2.query_cfg_request query);

    // tables
    meta_admin.configuration_create_app_response create_app(1: meta_admin.configuration_create_app_request req);
    meta_admin.configuration_drop_app_response drop_app(1: meta_admin.configuration_drop_app_request req);
    meta_admin.configuration_recall_app_response recall_app(1: meta_admin.configuration_recall_app_request req);
    meta_admin.configuration_rename_app_response rename_app(1: meta_admin.configuration_rename_app_request req);
    meta_admin.configuration_list_apps_response list_apps(1: meta_admin.configuration_list_apps_request req);
    meta_admin.configuration_update_app_env_response update_app_env(1: meta_admin.configuration_update_app_env_request req);
    meta_admin.configuration_get_max_replica_count_response get_max_replica_count(1: meta_admin.configuration_get_max_replica_count_request req);
    meta_admin.configuration_set_max_replica_count_response set_max_replica_count(1: meta_admin.configuration_set_max_replica_count_request req);
    meta_admin.configuration_get_atomic_idempotent_response get_atomic_idempotent(1: meta_admin.configuration_get_atomic_idempotent_request req);
    meta_admin.configuration_set_atomic_idempotent_response set_atomic_idempotent(1: meta_admin.configuration_set_atomic_idempotent_request req);
    meta_admin.start_app_manual_compact_response start_manual_compact(1: meta_admin.start_app_manual_compact_request req);
    meta_admin.query_app_manual_compact_response query_manual_compact(1: meta_admin.query_app_manual_compact_request req);

    // nodes, cluster, meta control, balancing, diagnosis, recovery
    meta_admin.configuration_list_nodes_response list_nodes(1: meta_admin.configuration_list_nodes_request req);
    meta_admin.configuration_cluster_info_response cluster_info(1: meta_admin.configuration_cluster_info_request req);
    meta_admin.configuration_meta_control_response control_meta(1: meta_admin.configuration_meta_control_request req);
    meta_admin.configuration_balancer_response propose_balancer(1: meta_admin.configuration_balancer_request req);
    meta_admin.ddd_diagnose_response ddd_diagnose(1: meta_admin.ddd_diagnose_request req);
    meta_admin.configuration_recovery_response start_recovery(1: meta_admin.configuration_recovery_request req);

    // duplication
    duplication.duplication_add_response add_duplication(1: duplication.duplication_add_request req);
    duplication.duplication_modify_response modify_duplication(1: duplication.duplication_modify_request req);
    duplication.duplication_query_response query_duplication(1: duplication.duplication_query_request req);
    duplication.duplication_list_response list_duplication(1: duplication.duplication_list_request req);

    // partition split
    partition_split.start_partition_split_response start_partition_split(1: partition_split.start_partition_split_request req);
    partition_split.control_split_response control_partition_split(1: partition_split.control_split_request req);
    partition_split.query_split_response query_partition_split(1: partition_split.query_split_request req);

    // bulk load
    bulk_load.start_bulk_load_response start_bulk_load(1: bulk_load.start_bulk_load_request req);
    bulk_load.control_bulk_load_response control_bulk_load(1: bulk_load.control_bulk_load_request req);
    bulk_load.query_bulk_load_response query_bulk_load_status(1: bulk_load.query_bulk_load_request req);
    bulk_load.clear_bulk_load_state_response clear_bulk_load(1: bulk_load.clear_bulk_load_state_request req);

    // backup and restore
    backup.start_backup_app_response start_backup_app(1: backup.start_backup_app_request req);
    backup.query_backup_status_response query_backup_status(1: backup.query_backup_status_request req);
    backup.configuration_add_backup_policy_response add_backup_policy(1: backup.configuration_add_backup_policy_request req);
    backup.configuration_query_backup_policy_response query_backup_policy(1: backup.configuration_query_backup_policy_request req);
    backup.configuration_modify_backup_policy_response modify_backup_policy(1: backup.configuration_modify_backup_policy_request req);
    meta_admin.configuration_create_app_response start_restore(1: backup.configuration_restore_request req);
    backup.configuration_query_restore_response query_restore_status(1: backup.configuration_query_restore_request req);
}
