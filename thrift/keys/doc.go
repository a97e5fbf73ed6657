// Package keys implements the Pegasus record-key encoding and the partition
// hash shared by clients and servers (protocol.md §5.1, §5.3).
//
// A record is addressed by (hash key, sort key). On the wire and as the
// RocksDB key both are packed into one "encoded full key": a big-endian u16
// hash-key length, the hash key, then the sort key. Partition routing uses a
// CRC-64 of the hash key (of the sort key when the hash key is empty).
package keys
