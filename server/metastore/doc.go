// Package metastore holds the meta server's durable state: a tree of small
// versioned values addressed by slash-separated paths, shaped like
// ZooKeeper so that every backend implements the same interface.
//
// The meta server keeps, for example, one node per table at /apps/<app_id>
// and one per partition at /apps/<app_id>/<partition_index>. A Store offers
// Get, Put, Delete and Children on single nodes and Commit for several
// changes that must land together (create a table with all its partitions).
// A commit may carry check ops (CheckOp) that make it apply only while
// given nodes still have the versions the writer read: the meta leader
// fences every write this way (docs/meta-ha.md).
//
// Three implementations live here: Memory, for tests; Bolt, an embedded
// bbolt file in the meta server's data directory whose commits are fsync'd
// before they return (the default for a single meta server); and
// ZooKeeper, for several meta servers sharing one state, whose commits
// are ZooKeeper multi-ops. Package zkserver runs a local ZooKeeper server
// for the HA onebox and tests.
package metastore
