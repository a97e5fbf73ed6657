// Enums shared by the meta-server admin structs: protocol.md §3.6. The
// duplication, split and bulk-load enums live next to their structs.

namespace go gen.admin

// Kinds of membership change proposed for a partition.
enum config_type {
    CT_INVALID = 0,
    CT_ASSIGN_PRIMARY = 1,
    CT_UPGRADE_TO_PRIMARY = 2,
    CT_ADD_SECONDARY = 3,
    CT_UPGRADE_TO_SECONDARY = 4,
    CT_DOWNGRADE_TO_SECONDARY = 5,
    CT_DOWNGRADE_TO_INACTIVE = 6,
    CT_REMOVE = 7,
    CT_ADD_SECONDARY_FOR_LB = 8,
    CT_PRIMARY_FORCE_UPDATE_BALLOT = 9,
    CT_DROP_PARTITION = 10,
    CT_REGISTER_CHILD = 11
}

enum node_status {
    NS_INVALID = 0,
    NS_ALIVE = 1,
    NS_UNALIVE = 2
}

enum app_env_operation {
    APP_ENV_OP_INVALID = 0,
    APP_ENV_OP_SET = 1,
    APP_ENV_OP_DEL = 2,
    APP_ENV_OP_CLEAR = 3
}

// How much the meta server is allowed to do on its own. The values are
// deliberately sparse.
enum meta_function_level {
    fl_stopped = 100,
    fl_blind = 200,
    fl_freezed = 300,
    fl_steady = 400,
    fl_lively = 500,
    fl_invalid = 10000
}

enum balancer_request_type {
    move_primary = 0,
    copy_primary = 1,
    copy_secondary = 2
}

enum partition_status {
    PS_INVALID = 0,
    PS_INACTIVE = 1,
    PS_ERROR = 2,
    PS_PRIMARY = 3,
    PS_SECONDARY = 4,
    PS_POTENTIAL_SECONDARY = 5,
    PS_PARTITION_SPLIT = 6
}

enum manual_compaction_status {
    IDLE = 0,
    QUEUING = 1,
    RUNNING = 2,
    FINISHED = 3
}

// Name filters of list_apps and list_duplication.
enum pattern_match_type {
    PMT_INVALID = 0,
    PMT_MATCH_ALL = 1,
    PMT_MATCH_EXACT = 2,
    PMT_MATCH_ANYWHERE = 3,
    PMT_MATCH_PREFIX = 4,
    PMT_MATCH_POSTFIX = 5,
    PMT_MATCH_REGEX = 6
}

enum checksum_type {
    CST_INVALID = 0,
    CST_NONE = 1,
    CST_MD5 = 2
}
