// Package mlog is a replica server's mutation log: one append-only log
// shared by every replica the server hosts, so that concurrent writes to
// all its partitions share one write and one fsync (group commit). Entries
// carry their partition (gpid), ballot and decree; the mutation bytes are
// opaque. It replays on restart, cuts a torn tail at the first bad record,
// and garbage-collects segments whose entries are all durable in their
// replicas' storage.
//
// On disk: <dir>/log.<n> segment files, n counting up from 1. A segment is
// a sequence of records: u32 length · u32 CRC-32C of the payload ·
// payload, where the payload is i32 app id · i32 partition index · i64
// ballot · i64 decree · data. Segments roll over at a size limit. The log
// keeps, per segment, the highest decree of each partition in it; GC drops
// the oldest segments while every partition's entries in them are at or
// below what its storage has made durable.
//
// Durability policy: SyncEveryBatch (default) makes an append return only
// after its batch was fsynced — an acknowledged write then survives power
// loss on every node; SyncPeriodic returns after the write system call and
// fsyncs on a timer, trading the last interval of acknowledged writes on a
// simultaneous power loss for throughput (upstream's behaviour).
package mlog
