// Package storage implements Pegasus data semantics for one partition
// replica on top of the rocksdb package: the key and value schema, TTL, every
// rrdb read and write operation, and server-side scanner contexts
// (protocol.md §5).
//
// A Partition is driven by its replica: Apply is called by one goroutine at a
// time with mutations in decree order, and every write of a mutation lands in
// one atomic RocksDB batch together with the decree. Reads may run
// concurrently with Apply and with each other.
//
// Writes never consult the local clock: every time-dependent decision of a
// write (TTL expiry seen by read-before-write, default_ttl, timetags) uses the
// mutation's timestamp, so every replica applying the same mutation stores
// the same bytes. Reads decide expiry with the injected Clock.
package storage
