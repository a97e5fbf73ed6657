// Package metastore holds the meta server's durable state: a tree of small
// values addressed by slash-separated paths, shaped like ZooKeeper so that a
// ZooKeeper backend can implement the same interface.
//
// The meta server keeps, for example, one node per table at /apps/<app_id>
// and one per partition at /apps/<app_id>/<partition_index>. A Store offers
// Get, Put, Delete and Children on single nodes and Commit for several
// changes that must land together (create a table with all its partitions).
//
// Two implementations live here: Memory, for tests, and Bolt, an embedded
// bbolt file in the meta server's data directory whose commits are fsync'd
// before they return (the default for a single meta server).
package metastore
