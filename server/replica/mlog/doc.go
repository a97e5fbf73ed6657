// Package mlog is a replica's mutation log: an append-only sequence of
// entries (ballot, decree, opaque mutation bytes) in segment files, with
// group commit — many concurrent appends share one write and one fsync —
// replay on restart, a torn tail cut off at the first bad record, and
// garbage collection of segments wholly below a decree that is durable
// elsewhere (a RocksDB checkpoint).
//
// On disk: <dir>/log.<first_decree> segment files. A segment is a sequence
// of records: u32 length · u32 CRC-32C of the payload · payload, where the
// payload is i64 ballot · i64 decree · data. Segments roll over at a size
// limit; the name records the decree of the first entry, so GC can drop a
// segment once the next one starts at or below the GC point.
//
// Durability policy: SyncEveryBatch (default) makes an append return only
// after its batch was fsynced — an acknowledged write then survives power
// loss on every node; SyncPeriodic returns after the write system call and
// fsyncs on a timer, trading the last interval of acknowledged writes on a
// simultaneous power loss for throughput (upstream's behaviour).
package mlog
