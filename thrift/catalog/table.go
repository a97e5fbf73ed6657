package catalog

import (
	"sort"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/cmd"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/radmin"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/gen/security"
)

// entries is the catalogue, in the order of protocol.md §2.
var entries = []Entry{
	// §2.2 storage RPCs.
	call(RPC_RRDB_RRDB_PUT, Replica, Write,
		func(a *rrdb.RrdbPutArgs) **rrdb.UpdateRequest { return &a.Update },
		func(r *rrdb.RrdbPutResult) **rrdb.UpdateResponse { return &r.Success }),
	call(RPC_RRDB_RRDB_MULTI_PUT, Replica, Write,
		func(a *rrdb.RrdbMultiPutArgs) **rrdb.MultiPutRequest { return &a.Request },
		func(r *rrdb.RrdbMultiPutResult) **rrdb.UpdateResponse { return &r.Success }),
	call(RPC_RRDB_RRDB_REMOVE, Replica, Write,
		func(a *rrdb.RrdbRemoveArgs) **base.Blob { return &a.Key },
		func(r *rrdb.RrdbRemoveResult) **rrdb.UpdateResponse { return &r.Success }),
	call(RPC_RRDB_RRDB_MULTI_REMOVE, Replica, Write,
		func(a *rrdb.RrdbMultiRemoveArgs) **rrdb.MultiRemoveRequest { return &a.Request },
		func(r *rrdb.RrdbMultiRemoveResult) **rrdb.MultiRemoveResponse { return &r.Success }),
	call(RPC_RRDB_RRDB_INCR, Replica, Write,
		func(a *rrdb.RrdbIncrArgs) **rrdb.IncrRequest { return &a.Request },
		func(r *rrdb.RrdbIncrResult) **rrdb.IncrResponse { return &r.Success }),
	call(RPC_RRDB_RRDB_CHECK_AND_SET, Replica, Write,
		func(a *rrdb.RrdbCheckAndSetArgs) **rrdb.CheckAndSetRequest { return &a.Request },
		func(r *rrdb.RrdbCheckAndSetResult) **rrdb.CheckAndSetResponse { return &r.Success }),
	call(RPC_RRDB_RRDB_CHECK_AND_MUTATE, Replica, Write,
		func(a *rrdb.RrdbCheckAndMutateArgs) **rrdb.CheckAndMutateRequest { return &a.Request },
		func(r *rrdb.RrdbCheckAndMutateResult) **rrdb.CheckAndMutateResponse { return &r.Success }),
	call(RPC_RRDB_RRDB_GET, Replica, Read,
		func(a *rrdb.RrdbGetArgs) **base.Blob { return &a.Key },
		func(r *rrdb.RrdbGetResult) **rrdb.ReadResponse { return &r.Success }),
	call(RPC_RRDB_RRDB_MULTI_GET, Replica, Read,
		func(a *rrdb.RrdbMultiGetArgs) **rrdb.MultiGetRequest { return &a.Request },
		func(r *rrdb.RrdbMultiGetResult) **rrdb.MultiGetResponse { return &r.Success }),
	call(RPC_RRDB_RRDB_BATCH_GET, Replica, Read,
		func(a *rrdb.RrdbBatchGetArgs) **rrdb.BatchGetRequest { return &a.Request },
		func(r *rrdb.RrdbBatchGetResult) **rrdb.BatchGetResponse { return &r.Success }),
	call(RPC_RRDB_RRDB_SORTKEY_COUNT, Replica, Read,
		func(a *rrdb.RrdbSortkeyCountArgs) **base.Blob { return &a.HashKey },
		func(r *rrdb.RrdbSortkeyCountResult) **rrdb.CountResponse { return &r.Success }),
	call(RPC_RRDB_RRDB_TTL, Replica, Read,
		func(a *rrdb.RrdbTTLArgs) **base.Blob { return &a.Key },
		func(r *rrdb.RrdbTTLResult) **rrdb.TTLResponse { return &r.Success }),
	call(RPC_RRDB_RRDB_GET_SCANNER, Replica, Read,
		func(a *rrdb.RrdbGetScannerArgs) **rrdb.GetScannerRequest { return &a.Request },
		func(r *rrdb.RrdbGetScannerResult) **rrdb.ScanResponse { return &r.Success }),
	call(RPC_RRDB_RRDB_SCAN, Replica, Read,
		func(a *rrdb.RrdbScanArgs) **rrdb.ScanRequest { return &a.Request },
		func(r *rrdb.RrdbScanResult) **rrdb.ScanResponse { return &r.Success }),
	oneway(RPC_RRDB_RRDB_CLEAR_SCANNER, Replica, Read,
		func(a *rrdb.RrdbClearScannerArgs) *int64 { return &a.ContextID }),
	call(RPC_RRDB_RRDB_DUPLICATE, Replica, Write,
		func(a *rrdb.RrdbDuplicateArgs) **rrdb.DuplicateRequest { return &a.Request },
		func(r *rrdb.RrdbDuplicateResult) **rrdb.DuplicateResponse { return &r.Success }),
	reserved(RPC_RRDB_RRDB_BULK_LOAD, Replica, Write),

	// §2.3 meta-server RPCs. Routing queries count as reads.
	call(RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX, Meta, Read,
		func(a *admin.MetaQueryConfigArgs) **layer2.QueryCfgRequest { return &a.Query },
		func(r *admin.MetaQueryConfigResult) **layer2.QueryCfgResponse { return &r.Success }),
	call(RPC_CM_CREATE_APP, Meta, Admin,
		func(a *admin.MetaCreateAppArgs) **admin.ConfigurationCreateAppRequest { return &a.Req },
		func(r *admin.MetaCreateAppResult) **admin.ConfigurationCreateAppResponse { return &r.Success }),
	call(RPC_CM_DROP_APP, Meta, Admin,
		func(a *admin.MetaDropAppArgs) **admin.ConfigurationDropAppRequest { return &a.Req },
		func(r *admin.MetaDropAppResult) **admin.ConfigurationDropAppResponse { return &r.Success }),
	call(RPC_CM_RECALL_APP, Meta, Admin,
		func(a *admin.MetaRecallAppArgs) **admin.ConfigurationRecallAppRequest { return &a.Req },
		func(r *admin.MetaRecallAppResult) **admin.ConfigurationRecallAppResponse { return &r.Success }),
	call(RPC_CM_RENAME_APP, Meta, Admin,
		func(a *admin.MetaRenameAppArgs) **admin.ConfigurationRenameAppRequest { return &a.Req },
		func(r *admin.MetaRenameAppResult) **admin.ConfigurationRenameAppResponse { return &r.Success }),
	call(RPC_CM_LIST_APPS, Meta, Admin,
		func(a *admin.MetaListAppsArgs) **admin.ConfigurationListAppsRequest { return &a.Req },
		func(r *admin.MetaListAppsResult) **admin.ConfigurationListAppsResponse { return &r.Success }),
	call(RPC_CM_LIST_NODES, Meta, Admin,
		func(a *admin.MetaListNodesArgs) **admin.ConfigurationListNodesRequest { return &a.Req },
		func(r *admin.MetaListNodesResult) **admin.ConfigurationListNodesResponse { return &r.Success }),
	call(RPC_CM_CLUSTER_INFO, Meta, Admin,
		func(a *admin.MetaClusterInfoArgs) **admin.ConfigurationClusterInfoRequest { return &a.Req },
		func(r *admin.MetaClusterInfoResult) **admin.ConfigurationClusterInfoResponse { return &r.Success }),
	call(RPC_CM_CONTROL_META, Meta, Admin,
		func(a *admin.MetaControlMetaArgs) **admin.ConfigurationMetaControlRequest { return &a.Req },
		func(r *admin.MetaControlMetaResult) **admin.ConfigurationMetaControlResponse { return &r.Success }),
	call(RPC_CM_PROPOSE_BALANCER, Meta, Admin,
		func(a *admin.MetaProposeBalancerArgs) **admin.ConfigurationBalancerRequest { return &a.Req },
		func(r *admin.MetaProposeBalancerResult) **admin.ConfigurationBalancerResponse { return &r.Success }),
	call(RPC_CM_UPDATE_APP_ENV, Meta, Admin,
		func(a *admin.MetaUpdateAppEnvArgs) **admin.ConfigurationUpdateAppEnvRequest { return &a.Req },
		func(r *admin.MetaUpdateAppEnvResult) **admin.ConfigurationUpdateAppEnvResponse { return &r.Success }),
	call(RPC_CM_DDD_DIAGNOSE, Meta, Admin,
		func(a *admin.MetaDddDiagnoseArgs) **admin.DddDiagnoseRequest { return &a.Req },
		func(r *admin.MetaDddDiagnoseResult) **admin.DddDiagnoseResponse { return &r.Success }),
	call(RPC_CM_START_RECOVERY, Meta, Admin,
		func(a *admin.MetaStartRecoveryArgs) **admin.ConfigurationRecoveryRequest { return &a.Req },
		func(r *admin.MetaStartRecoveryResult) **admin.ConfigurationRecoveryResponse { return &r.Success }),
	call(RPC_CM_GET_MAX_REPLICA_COUNT, Meta, Admin,
		func(a *admin.MetaGetMaxReplicaCountArgs) **admin.ConfigurationGetMaxReplicaCountRequest {
			return &a.Req
		},
		func(r *admin.MetaGetMaxReplicaCountResult) **admin.ConfigurationGetMaxReplicaCountResponse {
			return &r.Success
		}),
	call(RPC_CM_SET_MAX_REPLICA_COUNT, Meta, Admin,
		func(a *admin.MetaSetMaxReplicaCountArgs) **admin.ConfigurationSetMaxReplicaCountRequest {
			return &a.Req
		},
		func(r *admin.MetaSetMaxReplicaCountResult) **admin.ConfigurationSetMaxReplicaCountResponse {
			return &r.Success
		}),
	call(RPC_CM_GET_ATOMIC_IDEMPOTENT, Meta, Admin,
		func(a *admin.MetaGetAtomicIdempotentArgs) **admin.ConfigurationGetAtomicIdempotentRequest {
			return &a.Req
		},
		func(r *admin.MetaGetAtomicIdempotentResult) **admin.ConfigurationGetAtomicIdempotentResponse {
			return &r.Success
		}),
	call(RPC_CM_SET_ATOMIC_IDEMPOTENT, Meta, Admin,
		func(a *admin.MetaSetAtomicIdempotentArgs) **admin.ConfigurationSetAtomicIdempotentRequest {
			return &a.Req
		},
		func(r *admin.MetaSetAtomicIdempotentResult) **admin.ConfigurationSetAtomicIdempotentResponse {
			return &r.Success
		}),
	call(RPC_CM_START_MANUAL_COMPACT, Meta, Admin,
		func(a *admin.MetaStartManualCompactArgs) **admin.StartAppManualCompactRequest { return &a.Req },
		func(r *admin.MetaStartManualCompactResult) **admin.StartAppManualCompactResponse { return &r.Success }),
	call(RPC_CM_QUERY_MANUAL_COMPACT_STATUS, Meta, Admin,
		func(a *admin.MetaQueryManualCompactArgs) **admin.QueryAppManualCompactRequest { return &a.Req },
		func(r *admin.MetaQueryManualCompactResult) **admin.QueryAppManualCompactResponse { return &r.Success }),
	call(RPC_CM_ADD_DUPLICATION, Meta, Admin,
		func(a *admin.MetaAddDuplicationArgs) **admin.DuplicationAddRequest { return &a.Req },
		func(r *admin.MetaAddDuplicationResult) **admin.DuplicationAddResponse { return &r.Success }),
	call(RPC_CM_MODIFY_DUPLICATION, Meta, Admin,
		func(a *admin.MetaModifyDuplicationArgs) **admin.DuplicationModifyRequest { return &a.Req },
		func(r *admin.MetaModifyDuplicationResult) **admin.DuplicationModifyResponse { return &r.Success }),
	call(RPC_CM_QUERY_DUPLICATION, Meta, Admin,
		func(a *admin.MetaQueryDuplicationArgs) **admin.DuplicationQueryRequest { return &a.Req },
		func(r *admin.MetaQueryDuplicationResult) **admin.DuplicationQueryResponse { return &r.Success }),
	call(RPC_CM_LIST_DUPLICATION, Meta, Admin,
		func(a *admin.MetaListDuplicationArgs) **admin.DuplicationListRequest { return &a.Req },
		func(r *admin.MetaListDuplicationResult) **admin.DuplicationListResponse { return &r.Success }),
	call(RPC_CM_START_PARTITION_SPLIT, Meta, Admin,
		func(a *admin.MetaStartPartitionSplitArgs) **admin.StartPartitionSplitRequest { return &a.Req },
		func(r *admin.MetaStartPartitionSplitResult) **admin.StartPartitionSplitResponse { return &r.Success }),
	call(RPC_CM_CONTROL_PARTITION_SPLIT, Meta, Admin,
		func(a *admin.MetaControlPartitionSplitArgs) **admin.ControlSplitRequest { return &a.Req },
		func(r *admin.MetaControlPartitionSplitResult) **admin.ControlSplitResponse { return &r.Success }),
	call(RPC_CM_QUERY_PARTITION_SPLIT, Meta, Admin,
		func(a *admin.MetaQueryPartitionSplitArgs) **admin.QuerySplitRequest { return &a.Req },
		func(r *admin.MetaQueryPartitionSplitResult) **admin.QuerySplitResponse { return &r.Success }),
	call(RPC_CM_START_BULK_LOAD, Meta, Admin,
		func(a *admin.MetaStartBulkLoadArgs) **admin.StartBulkLoadRequest { return &a.Req },
		func(r *admin.MetaStartBulkLoadResult) **admin.StartBulkLoadResponse { return &r.Success }),
	call(RPC_CM_CONTROL_BULK_LOAD, Meta, Admin,
		func(a *admin.MetaControlBulkLoadArgs) **admin.ControlBulkLoadRequest { return &a.Req },
		func(r *admin.MetaControlBulkLoadResult) **admin.ControlBulkLoadResponse { return &r.Success }),
	call(RPC_CM_QUERY_BULK_LOAD_STATUS, Meta, Admin,
		func(a *admin.MetaQueryBulkLoadStatusArgs) **admin.QueryBulkLoadRequest { return &a.Req },
		func(r *admin.MetaQueryBulkLoadStatusResult) **admin.QueryBulkLoadResponse { return &r.Success }),
	call(RPC_CM_CLEAR_BULK_LOAD, Meta, Admin,
		func(a *admin.MetaClearBulkLoadArgs) **admin.ClearBulkLoadStateRequest { return &a.Req },
		func(r *admin.MetaClearBulkLoadResult) **admin.ClearBulkLoadStateResponse { return &r.Success }),
	call(RPC_CM_START_BACKUP_APP, Meta, Admin,
		func(a *admin.MetaStartBackupAppArgs) **admin.StartBackupAppRequest { return &a.Req },
		func(r *admin.MetaStartBackupAppResult) **admin.StartBackupAppResponse { return &r.Success }),
	call(RPC_CM_QUERY_BACKUP_STATUS, Meta, Admin,
		func(a *admin.MetaQueryBackupStatusArgs) **admin.QueryBackupStatusRequest { return &a.Req },
		func(r *admin.MetaQueryBackupStatusResult) **admin.QueryBackupStatusResponse { return &r.Success }),
	call(RPC_CM_ADD_BACKUP_POLICY, Meta, Admin,
		func(a *admin.MetaAddBackupPolicyArgs) **admin.ConfigurationAddBackupPolicyRequest { return &a.Req },
		func(r *admin.MetaAddBackupPolicyResult) **admin.ConfigurationAddBackupPolicyResponse {
			return &r.Success
		}),
	call(RPC_CM_QUERY_BACKUP_POLICY, Meta, Admin,
		func(a *admin.MetaQueryBackupPolicyArgs) **admin.ConfigurationQueryBackupPolicyRequest { return &a.Req },
		func(r *admin.MetaQueryBackupPolicyResult) **admin.ConfigurationQueryBackupPolicyResponse {
			return &r.Success
		}),
	call(RPC_CM_MODIFY_BACKUP_POLICY, Meta, Admin,
		func(a *admin.MetaModifyBackupPolicyArgs) **admin.ConfigurationModifyBackupPolicyRequest {
			return &a.Req
		},
		func(r *admin.MetaModifyBackupPolicyResult) **admin.ConfigurationModifyBackupPolicyResponse {
			return &r.Success
		}),
	call(RPC_CM_START_RESTORE, Meta, Admin,
		func(a *admin.MetaStartRestoreArgs) **admin.ConfigurationRestoreRequest { return &a.Req },
		func(r *admin.MetaStartRestoreResult) **admin.ConfigurationCreateAppResponse { return &r.Success }),
	call(RPC_CM_QUERY_RESTORE_STATUS, Meta, Admin,
		func(a *admin.MetaQueryRestoreStatusArgs) **admin.ConfigurationQueryRestoreRequest { return &a.Req },
		func(r *admin.MetaQueryRestoreStatusResult) **admin.ConfigurationQueryRestoreResponse {
			return &r.Success
		}),

	// Internal meta <-> replica-server protocol (thrift/idl/replication.thrift).
	call(RPC_FD_FAILURE_DETECTOR_PING, Meta, Admin,
		func(a *replication.ReplicationPingArgs) **replication.BeaconMsg { return &a.Beacon },
		func(r *replication.ReplicationPingResult) **replication.BeaconAck { return &r.Success }),
	call(RPC_CM_CONFIG_SYNC, Meta, Admin,
		func(a *replication.ReplicationConfigSyncArgs) **replication.ConfigurationQueryByNodeRequest {
			return &a.Req
		},
		func(r *replication.ReplicationConfigSyncResult) **replication.ConfigurationQueryByNodeResponse {
			return &r.Success
		}),
	call(RPC_CM_UPDATE_PARTITION_CONFIGURATION, Meta, Admin,
		func(a *replication.ReplicationUpdatePartitionConfigurationArgs) **replication.ConfigurationUpdateRequest {
			return &a.Req
		},
		func(r *replication.ReplicationUpdatePartitionConfigurationResult) **replication.ConfigurationUpdateResponse {
			return &r.Success
		}),
	oneway(RPC_CONFIG_PROPOSAL, ReplicaAdmin, Admin,
		func(a *replication.ReplicationConfigProposalArgs) **replication.ConfigurationUpdateRequest {
			return &a.Proposal
		}),
	call(RPC_FILECOPY_LIST, ReplicaAdmin, Admin,
		func(a *replication.FilecopyListFilesArgs) **replication.FilecopyListRequest { return &a.Req },
		func(r *replication.FilecopyListFilesResult) **replication.FilecopyListResponse { return &r.Success }),
	call(RPC_FILECOPY_FETCH, ReplicaAdmin, Admin,
		func(a *replication.FilecopyFetchChunkArgs) **replication.FilecopyFetchRequest { return &a.Req },
		func(r *replication.FilecopyFetchChunkResult) **replication.FilecopyFetchResponse { return &r.Success }),
	// Replica-to-replica PacificA messages (service peer).
	oneway(RPC_PREPARE, ReplicaAdmin, Admin,
		func(a *replication.PeerPrepareArgs) **replication.PeerMessage { return &a.Msg }),
	oneway(RPC_PREPARE_ACK, ReplicaAdmin, Admin,
		func(a *replication.PeerPrepareAckArgs) **replication.PeerMessage { return &a.Msg }),
	oneway(RPC_GROUP_CHECK, ReplicaAdmin, Admin,
		func(a *replication.PeerGroupCheckArgs) **replication.PeerMessage { return &a.Msg }),
	oneway(RPC_GROUP_CHECK_ACK, ReplicaAdmin, Admin,
		func(a *replication.PeerGroupCheckAckArgs) **replication.PeerMessage { return &a.Msg }),
	oneway(RPC_LEARN, ReplicaAdmin, Admin,
		func(a *replication.PeerLearnArgs) **replication.PeerMessage { return &a.Msg }),
	oneway(RPC_LEARN_ACK, ReplicaAdmin, Admin,
		func(a *replication.PeerLearnAckArgs) **replication.PeerMessage { return &a.Msg }),
	oneway(RPC_LEARN_COMPLETION_NOTIFY, ReplicaAdmin, Admin,
		func(a *replication.PeerLearnCompletionNotifyArgs) **replication.PeerMessage { return &a.Msg }),
	call(RPC_LEARN_CHECKPOINT, ReplicaAdmin, Admin,
		func(a *replication.PeerLearnCheckpointArgs) **replication.LearnCheckpointRequest { return &a.Req },
		func(r *replication.PeerLearnCheckpointResult) **replication.LearnCheckpointResponse {
			return &r.Success
		}),
	call(RPC_CM_DUPLICATION_SYNC, Meta, Admin,
		func(a *replication.DuplicationSyncArgs) **replication.DuplicationSyncRequest { return &a.Req },
		func(r *replication.DuplicationSyncResult) **replication.DuplicationSyncResponse { return &r.Success }),
	call(RPC_COLD_BACKUP, ReplicaAdmin, Admin,
		func(a *replication.ColdBackupUploadArgs) **replication.ColdBackupRequest { return &a.Req },
		func(r *replication.ColdBackupUploadResult) **replication.ColdBackupResponse { return &r.Success }),
	call(RPC_CM_REPORT_RESTORE_STATUS, Meta, Admin,
		func(a *replication.ColdBackupReportRestoreArgs) **replication.RestoreReportRequest { return &a.Req },
		func(r *replication.ColdBackupReportRestoreResult) **replication.RestoreReportResponse {
			return &r.Success
		}),
	call(RPC_CM_REGISTER_CHILD_REPLICA, Meta, Admin,
		func(a *replication.SplitRegisterChildArgs) **replication.RegisterChildRequest { return &a.Req },
		func(r *replication.SplitRegisterChildResult) **replication.RegisterChildResponse { return &r.Success }),
	call(RPC_CM_NOTIFY_STOP_SPLIT, Meta, Admin,
		func(a *replication.SplitNotifyStopSplitArgs) **replication.NotifyStopSplitRequest { return &a.Req },
		func(r *replication.SplitNotifyStopSplitResult) **replication.NotifyStopSplitResponse {
			return &r.Success
		}),
	call(RPC_CM_QUERY_CHILD_STATE, Meta, Admin,
		func(a *replication.SplitQueryChildStateArgs) **replication.QueryChildStateRequest { return &a.Req },
		func(r *replication.SplitQueryChildStateResult) **replication.QueryChildStateResponse {
			return &r.Success
		}),

	// §2.4 replica-server admin RPCs.
	call(RPC_QUERY_DISK_INFO, ReplicaAdmin, Admin,
		func(a *radmin.ReplicaAdminQueryDiskInfoArgs) **radmin.QueryDiskInfoRequest { return &a.Req },
		func(r *radmin.ReplicaAdminQueryDiskInfoResult) **radmin.QueryDiskInfoResponse { return &r.Success }),
	call(RPC_REPLICA_DISK_MIGRATE, ReplicaAdmin, Admin,
		func(a *radmin.ReplicaAdminDiskMigrateArgs) **radmin.ReplicaDiskMigrateRequest { return &a.Req },
		func(r *radmin.ReplicaAdminDiskMigrateResult) **radmin.ReplicaDiskMigrateResponse { return &r.Success }),
	call(RPC_DETECT_HOTKEY, ReplicaAdmin, Admin,
		func(a *radmin.ReplicaAdminDetectHotkeyArgs) **radmin.DetectHotkeyRequest { return &a.Req },
		func(r *radmin.ReplicaAdminDetectHotkeyResult) **radmin.DetectHotkeyResponse { return &r.Success }),
	call(RPC_ADD_NEW_DISK, ReplicaAdmin, Admin,
		func(a *radmin.ReplicaAdminAddNewDiskArgs) **radmin.AddNewDiskRequest { return &a.Req },
		func(r *radmin.ReplicaAdminAddNewDiskResult) **radmin.AddNewDiskResponse { return &r.Success }),
	call(RPC_QUERY_APP_INFO, ReplicaAdmin, Admin,
		func(a *radmin.ReplicaAdminQueryAppInfoArgs) **radmin.QueryAppInfoRequest { return &a.Req },
		func(r *radmin.ReplicaAdminQueryAppInfoResult) **radmin.QueryAppInfoResponse { return &r.Success }),

	// §2.5 remote command: the result is a plain string.
	call(RPC_CLI_CLI_CALL, Any, Admin,
		func(a *cmd.RemoteCmdCallArgs) **cmd.Command { return &a.Cmd },
		func(r *cmd.RemoteCmdCallResult) **string { return &r.Success }),

	// §2.6 authentication handshake.
	call(RPC_NEGOTIATION, Any, Admin,
		func(a *security.SecurityNegotiateArgs) **security.NegotiationRequest { return &a.Request },
		func(r *security.SecurityNegotiateResult) **security.NegotiationResponse { return &r.Success }),
}

// byName indexes entries; a test checks that no name is listed twice.
var byName = func() map[string]Entry {
	m := make(map[string]Entry, len(entries))
	for _, e := range entries {
		m[e.Name] = e
	}
	return m
}()

// Lookup returns the entry of an RPC name. ok is false for names that are not
// in the catalogue; reserved names are found, with Reserved set.
func Lookup(name string) (e Entry, ok bool) {
	e, ok = byName[name]
	return e, ok
}

// All returns every entry, reserved ones included, sorted by name.
func All() []Entry {
	out := append([]Entry(nil), entries...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
