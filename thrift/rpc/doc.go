// Package rpc carries Pegasus thrift RPCs over TCP: a Server that reads
// THFT request frames, dispatches them by RPC name to registered handlers
// with many requests in flight per connection, and writes replies tagged
// with each request's seqid; and a client Conn that pipelines calls on one
// connection, matches replies by seqid, honours each call's context
// deadline, and fails every pending call when the connection drops.
package rpc
