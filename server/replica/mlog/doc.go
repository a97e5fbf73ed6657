// Package mlog is a replica server's mutation log: one append-only log
// shared by every replica the server hosts, so that concurrent writes to
// all its partitions share one write and one fsync (group commit). Entries
// carry their partition (gpid), ballot and decree; the mutation bytes are
// opaque. It replays on restart, cuts a torn tail at the first bad record,
// and garbage-collects segments whose entries are all durable in their
// replicas' storage.
//
// On disk: <dir>/log.<n> segment files, n counting up from 1. A segment is
// a sequence of records: u32 length · u32 checksum · payload, where the
// payload is i32 app id · i32 partition index · i64 ballot · i64 decree ·
// data, and the checksum is the payload's CRC-32C XOR the CRC-32C of n (a
// version 2 segment: its first record is a header, app id -1; a rolled
// one's last is an end record; version 1 segments, without either, have
// plain CRCs). Segments roll over at a size limit. The log keeps, per
// segment, the highest decree of each partition in it; GC drops the oldest
// segments while every partition's entries in them are at or below what
// its storage has made durable, and keeps their files (recycle.<n>) for
// later segments within a byte budget (segfmt.go says why that is safe).
//
// Durability policy: SyncEveryBatch (default) makes an append return only
// after its batch was fsynced — an acknowledged write then survives power
// loss on every node; SyncPeriodic returns after the write system call and
// fsyncs on a timer, trading the last interval of acknowledged writes on a
// simultaneous power loss for throughput (upstream's behaviour).
package mlog
