package storage

// Storage status codes: RocksDB Status::Code values carried in the i32
// error field of rrdb responses (protocol.md §4.4). They keep their upstream
// names.
const (
	StatusOk                 int32 = 0  // kOk
	StatusNotFound           int32 = 1  // kNotFound
	StatusCorruption         int32 = 2  // kCorruption
	StatusNotSupported       int32 = 3  // kNotSupported
	StatusInvalidArgument    int32 = 4  // kInvalidArgument
	StatusIOError            int32 = 5  // kIOError
	StatusMergeInProgress    int32 = 6  // kMergeInProgress
	StatusIncomplete         int32 = 7  // kIncomplete
	StatusShutdownInProgress int32 = 8  // kShutdownInProgress
	StatusTimedOut           int32 = 9  // kTimedOut
	StatusAborted            int32 = 10 // kAborted
	StatusBusy               int32 = 11 // kBusy
	StatusExpired            int32 = 12 // kExpired
	StatusTryAgain           int32 = 13 // kTryAgain
)

// statusNames are the names the Go client reports for non-zero codes.
var statusNames = [...]string{
	"Ok", "NotFound", "Corruption", "NotSupported", "InvalidArgument", "IOError",
	"MergeInProgress", "Incomplete", "ShutdownInProgress", "TimedOut", "Aborted",
	"Busy", "Expired", "TryAgain",
}

// StatusName returns the client-facing name of a storage status code.
func StatusName(code int32) string {
	if code >= 0 && int(code) < len(statusNames) {
		return statusNames[code]
	}
	return "Unknown"
}
