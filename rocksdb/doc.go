// Package rocksdb is the embedded storage engine of a Pegasus replica: one
// RocksDB instance (through cgo and grocksdb) with a data column family for
// user records and a meta column family for Pegasus bookkeeping.
//
// The package knows nothing about Pegasus's key and value schema; that lives
// in server/storage. What it guarantees is the storage half of the
// replication contract:
//
//   - Every Write applies one batch together with its decree, in one atomic
//     RocksDB write, and refuses a decree that is not newer than the last one
//     applied, so replaying the mutation log never applies a mutation twice.
//   - The meta column family is flushed atomically with the data column
//     family (atomic_flush), so with RocksDB's WAL disabled the decree found
//     after a crash or in a checkpoint exactly matches the data beside it.
//   - Checkpoints (hard-linked RocksDB checkpoints) report the decree they
//     contain, read back from the checkpoint itself.
//   - An optional expiry predicate runs as a compaction filter on the data
//     column family, so expired records are dropped physically.
//
// A DB is safe for concurrent use. Close waits for in-flight calls, closes
// iterators that are still open, and frees every C object; any call after
// Close returns ErrClosed instead of touching freed memory.
package rocksdb
