package base

// Errno is an rDSN error-code name as sent on the wire (protocol.md §4.1).
// The numeric values of these codes are process-local and never sent; only
// the names travel. Constants keep their wire spelling so that grep finds
// them next to the spec.
type Errno string

// Error codes, in the order of protocol.md §4.1.
//
//revive:disable:var-naming wire names are kept as they are.
const (
	ERR_OK                             Errno = "ERR_OK"
	ERR_UNKNOWN                        Errno = "ERR_UNKNOWN"
	ERR_SERVICE_NOT_FOUND              Errno = "ERR_SERVICE_NOT_FOUND"
	ERR_SERVICE_ALREADY_RUNNING        Errno = "ERR_SERVICE_ALREADY_RUNNING"
	ERR_IO_PENDING                     Errno = "ERR_IO_PENDING"
	ERR_TIMEOUT                        Errno = "ERR_TIMEOUT"
	ERR_SERVICE_NOT_ACTIVE             Errno = "ERR_SERVICE_NOT_ACTIVE"
	ERR_BUSY                           Errno = "ERR_BUSY"
	ERR_NETWORK_INIT_FAILED            Errno = "ERR_NETWORK_INIT_FAILED"
	ERR_FORWARD_TO_OTHERS              Errno = "ERR_FORWARD_TO_OTHERS"
	ERR_OBJECT_NOT_FOUND               Errno = "ERR_OBJECT_NOT_FOUND"
	ERR_HANDLER_NOT_FOUND              Errno = "ERR_HANDLER_NOT_FOUND"
	ERR_LEARN_FILE_FAILED              Errno = "ERR_LEARN_FILE_FAILED"
	ERR_GET_LEARN_STATE_FAILED         Errno = "ERR_GET_LEARN_STATE_FAILED"
	ERR_INVALID_VERSION                Errno = "ERR_INVALID_VERSION"
	ERR_INVALID_PARAMETERS             Errno = "ERR_INVALID_PARAMETERS"
	ERR_CAPACITY_EXCEEDED              Errno = "ERR_CAPACITY_EXCEEDED"
	ERR_INVALID_STATE                  Errno = "ERR_INVALID_STATE"
	ERR_INACTIVE_STATE                 Errno = "ERR_INACTIVE_STATE"
	ERR_NOT_ENOUGH_MEMBER              Errno = "ERR_NOT_ENOUGH_MEMBER"
	ERR_FILE_OPERATION_FAILED          Errno = "ERR_FILE_OPERATION_FAILED"
	ERR_HANDLE_EOF                     Errno = "ERR_HANDLE_EOF"
	ERR_WRONG_CHECKSUM                 Errno = "ERR_WRONG_CHECKSUM"
	ERR_INVALID_DATA                   Errno = "ERR_INVALID_DATA"
	ERR_INVALID_HANDLE                 Errno = "ERR_INVALID_HANDLE"
	ERR_INCOMPLETE_DATA                Errno = "ERR_INCOMPLETE_DATA"
	ERR_VERSION_OUTDATED               Errno = "ERR_VERSION_OUTDATED"
	ERR_PATH_NOT_FOUND                 Errno = "ERR_PATH_NOT_FOUND"
	ERR_PATH_ALREADY_EXIST             Errno = "ERR_PATH_ALREADY_EXIST"
	ERR_ADDRESS_ALREADY_USED           Errno = "ERR_ADDRESS_ALREADY_USED"
	ERR_STATE_FREEZED                  Errno = "ERR_STATE_FREEZED"
	ERR_LOCAL_APP_FAILURE              Errno = "ERR_LOCAL_APP_FAILURE"
	ERR_BIND_IOCP_FAILED               Errno = "ERR_BIND_IOCP_FAILED"
	ERR_NETWORK_START_FAILED           Errno = "ERR_NETWORK_START_FAILED"
	ERR_NOT_IMPLEMENTED                Errno = "ERR_NOT_IMPLEMENTED"
	ERR_CHECKPOINT_FAILED              Errno = "ERR_CHECKPOINT_FAILED"
	ERR_WRONG_TIMING                   Errno = "ERR_WRONG_TIMING"
	ERR_NO_NEED_OPERATE                Errno = "ERR_NO_NEED_OPERATE"
	ERR_CORRUPTION                     Errno = "ERR_CORRUPTION"
	ERR_TRY_AGAIN                      Errno = "ERR_TRY_AGAIN"
	ERR_CLUSTER_NOT_FOUND              Errno = "ERR_CLUSTER_NOT_FOUND"
	ERR_CLUSTER_ALREADY_EXIST          Errno = "ERR_CLUSTER_ALREADY_EXIST"
	ERR_SERVICE_ALREADY_EXIST          Errno = "ERR_SERVICE_ALREADY_EXIST"
	ERR_INJECTED                       Errno = "ERR_INJECTED"
	ERR_REPLICATION_FAILURE            Errno = "ERR_REPLICATION_FAILURE"
	ERR_APP_EXIST                      Errno = "ERR_APP_EXIST"
	ERR_APP_NOT_EXIST                  Errno = "ERR_APP_NOT_EXIST"
	ERR_BUSY_CREATING                  Errno = "ERR_BUSY_CREATING"
	ERR_BUSY_DROPPING                  Errno = "ERR_BUSY_DROPPING"
	ERR_NETWORK_FAILURE                Errno = "ERR_NETWORK_FAILURE"
	ERR_UNDER_RECOVERY                 Errno = "ERR_UNDER_RECOVERY"
	ERR_LEARNER_NOT_FOUND              Errno = "ERR_LEARNER_NOT_FOUND"
	ERR_OPERATION_DISABLED             Errno = "ERR_OPERATION_DISABLED"
	ERR_EXPIRED                        Errno = "ERR_EXPIRED"
	ERR_LOCK_ALREADY_EXIST             Errno = "ERR_LOCK_ALREADY_EXIST"
	ERR_HOLD_BY_OTHERS                 Errno = "ERR_HOLD_BY_OTHERS"
	ERR_RECURSIVE_LOCK                 Errno = "ERR_RECURSIVE_LOCK"
	ERR_NO_OWNER                       Errno = "ERR_NO_OWNER"
	ERR_NODE_ALREADY_EXIST             Errno = "ERR_NODE_ALREADY_EXIST"
	ERR_INCONSISTENT_STATE             Errno = "ERR_INCONSISTENT_STATE"
	ERR_ARRAY_INDEX_OUT_OF_RANGE       Errno = "ERR_ARRAY_INDEX_OUT_OF_RANGE"
	ERR_DIR_NOT_EMPTY                  Errno = "ERR_DIR_NOT_EMPTY"
	ERR_FS_INTERNAL                    Errno = "ERR_FS_INTERNAL"
	ERR_IGNORE_BAD_DATA                Errno = "ERR_IGNORE_BAD_DATA"
	ERR_APP_DROPPED                    Errno = "ERR_APP_DROPPED"
	ERR_MOCK_INTERNAL                  Errno = "ERR_MOCK_INTERNAL"
	ERR_ZOOKEEPER_OPERATION            Errno = "ERR_ZOOKEEPER_OPERATION"
	ERR_CHILD_REGISTERED               Errno = "ERR_CHILD_REGISTERED"
	ERR_INGESTION_FAILED               Errno = "ERR_INGESTION_FAILED"
	ERR_UNAUTHENTICATED                Errno = "ERR_UNAUTHENTICATED"
	ERR_KRB5_INTERNAL                  Errno = "ERR_KRB5_INTERNAL"
	ERR_SASL_INTERNAL                  Errno = "ERR_SASL_INTERNAL"
	ERR_SASL_INCOMPLETE                Errno = "ERR_SASL_INCOMPLETE"
	ERR_ACL_DENY                       Errno = "ERR_ACL_DENY"
	ERR_SPLITTING                      Errno = "ERR_SPLITTING"
	ERR_PARENT_PARTITION_MISUSED       Errno = "ERR_PARENT_PARTITION_MISUSED"
	ERR_CHILD_NOT_READY                Errno = "ERR_CHILD_NOT_READY"
	ERR_DISK_INSUFFICIENT              Errno = "ERR_DISK_INSUFFICIENT"
	ERR_RETRY_EXHAUSTED                Errno = "ERR_RETRY_EXHAUSTED"
	ERR_SYNC_RANGER_POLICIES_FAILED    Errno = "ERR_SYNC_RANGER_POLICIES_FAILED"
	ERR_RANGER_PARSE_ACL               Errno = "ERR_RANGER_PARSE_ACL"
	ERR_RANGER_POLICIES_NO_NEED_UPDATE Errno = "ERR_RANGER_POLICIES_NO_NEED_UPDATE"
	ERR_RDB_CORRUPTION                 Errno = "ERR_RDB_CORRUPTION"
	ERR_DISK_IO_ERROR                  Errno = "ERR_DISK_IO_ERROR"
	ERR_CURL_FAILED                    Errno = "ERR_CURL_FAILED"
	ERR_DUP_EXIST                      Errno = "ERR_DUP_EXIST"
	ERR_HTTP_ERROR                     Errno = "ERR_HTTP_ERROR"
	ERR_NOT_MATCHED                    Errno = "ERR_NOT_MATCHED"

	// ERR_SESSION_RESET exists only in clients (connection lost or could
	// not connect); a server never sends it.
	ERR_SESSION_RESET Errno = "ERR_SESSION_RESET"
)

//revive:enable:var-naming

// clientSupport records which clients can decode a name.
type clientSupport struct {
	goClient   bool
	javaClient bool
}

// errnoCatalogue lists every name of §4.1 with the clients that parse it.
var errnoCatalogue = map[Errno]clientSupport{
	ERR_OK:                             {true, true},
	ERR_UNKNOWN:                        {true, true},
	ERR_SERVICE_NOT_FOUND:              {true, true},
	ERR_SERVICE_ALREADY_RUNNING:        {true, true},
	ERR_IO_PENDING:                     {true, true},
	ERR_TIMEOUT:                        {true, true},
	ERR_SERVICE_NOT_ACTIVE:             {true, true},
	ERR_BUSY:                           {true, true},
	ERR_NETWORK_INIT_FAILED:            {true, true},
	ERR_FORWARD_TO_OTHERS:              {true, true},
	ERR_OBJECT_NOT_FOUND:               {true, true},
	ERR_HANDLER_NOT_FOUND:              {true, true},
	ERR_LEARN_FILE_FAILED:              {true, true},
	ERR_GET_LEARN_STATE_FAILED:         {true, true},
	ERR_INVALID_VERSION:                {true, true},
	ERR_INVALID_PARAMETERS:             {true, true},
	ERR_CAPACITY_EXCEEDED:              {true, true},
	ERR_INVALID_STATE:                  {true, true},
	ERR_INACTIVE_STATE:                 {true, true},
	ERR_NOT_ENOUGH_MEMBER:              {true, true},
	ERR_FILE_OPERATION_FAILED:          {true, true},
	ERR_HANDLE_EOF:                     {true, true},
	ERR_WRONG_CHECKSUM:                 {true, true},
	ERR_INVALID_DATA:                   {true, true},
	ERR_INVALID_HANDLE:                 {true, true},
	ERR_INCOMPLETE_DATA:                {true, true},
	ERR_VERSION_OUTDATED:               {true, true},
	ERR_PATH_NOT_FOUND:                 {true, true},
	ERR_PATH_ALREADY_EXIST:             {true, true},
	ERR_ADDRESS_ALREADY_USED:           {true, true},
	ERR_STATE_FREEZED:                  {true, true},
	ERR_LOCAL_APP_FAILURE:              {true, true},
	ERR_BIND_IOCP_FAILED:               {true, true},
	ERR_NETWORK_START_FAILED:           {true, true},
	ERR_NOT_IMPLEMENTED:                {true, true},
	ERR_CHECKPOINT_FAILED:              {true, true},
	ERR_WRONG_TIMING:                   {true, true},
	ERR_NO_NEED_OPERATE:                {true, true},
	ERR_CORRUPTION:                     {true, true},
	ERR_TRY_AGAIN:                      {true, true},
	ERR_CLUSTER_NOT_FOUND:              {true, true},
	ERR_CLUSTER_ALREADY_EXIST:          {true, true},
	ERR_SERVICE_ALREADY_EXIST:          {true, true},
	ERR_INJECTED:                       {true, true},
	ERR_REPLICATION_FAILURE:            {true, true},
	ERR_APP_EXIST:                      {true, true},
	ERR_APP_NOT_EXIST:                  {true, true},
	ERR_BUSY_CREATING:                  {true, true},
	ERR_BUSY_DROPPING:                  {true, true},
	ERR_NETWORK_FAILURE:                {true, true},
	ERR_UNDER_RECOVERY:                 {true, true},
	ERR_LEARNER_NOT_FOUND:              {false, true},
	ERR_OPERATION_DISABLED:             {true, true},
	ERR_EXPIRED:                        {true, true},
	ERR_LOCK_ALREADY_EXIST:             {true, true},
	ERR_HOLD_BY_OTHERS:                 {true, true},
	ERR_RECURSIVE_LOCK:                 {true, true},
	ERR_NO_OWNER:                       {true, true},
	ERR_NODE_ALREADY_EXIST:             {true, true},
	ERR_INCONSISTENT_STATE:             {true, true},
	ERR_ARRAY_INDEX_OUT_OF_RANGE:       {true, true},
	ERR_DIR_NOT_EMPTY:                  {false, true},
	ERR_FS_INTERNAL:                    {false, true},
	ERR_IGNORE_BAD_DATA:                {false, true},
	ERR_APP_DROPPED:                    {true, true},
	ERR_MOCK_INTERNAL:                  {false, true},
	ERR_ZOOKEEPER_OPERATION:            {true, true},
	ERR_CHILD_REGISTERED:               {true, true},
	ERR_INGESTION_FAILED:               {true, true},
	ERR_UNAUTHENTICATED:                {true, true},
	ERR_KRB5_INTERNAL:                  {true, true},
	ERR_SASL_INTERNAL:                  {true, true},
	ERR_SASL_INCOMPLETE:                {true, true},
	ERR_ACL_DENY:                       {true, true},
	ERR_SPLITTING:                      {true, true},
	ERR_PARENT_PARTITION_MISUSED:       {true, true},
	ERR_CHILD_NOT_READY:                {true, true},
	ERR_DISK_INSUFFICIENT:              {true, true},
	ERR_RETRY_EXHAUSTED:                {false, false},
	ERR_SYNC_RANGER_POLICIES_FAILED:    {false, false},
	ERR_RANGER_PARSE_ACL:               {false, false},
	ERR_RANGER_POLICIES_NO_NEED_UPDATE: {false, false},
	ERR_RDB_CORRUPTION:                 {false, false},
	ERR_DISK_IO_ERROR:                  {false, false},
	ERR_CURL_FAILED:                    {false, false},
	ERR_DUP_EXIST:                      {false, false},
	ERR_HTTP_ERROR:                     {false, false},
	ERR_NOT_MATCHED:                    {false, false},
	ERR_SESSION_RESET:                  {true, true},
}
