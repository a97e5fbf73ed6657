// Package replica is the replica server: it hosts partitions (one storage
// engine each), routes every data RPC by the request header's
// (app_id, partition_index) to the replica that serves it, and runs each
// replica's write path, which orders writes, gives them decrees and applies
// them to storage.
//
// The path of a write reads top to bottom: thrift/rpc receives the frame →
// Server.route finds the replica → the replica's write loop turns it into a
// mutation with the next decree → storage applies it → the reply goes back.
// Replication (PacificA) slots in between the write loop and storage.
package replica
