// Package base holds hand-written Go codecs for the six rDSN placeholder
// types of the Pegasus wire protocol (protocol.md §3.1) and the catalogue of
// error-code names (§4.1).
//
// The IDL in thrift/idl/dsn.thrift declares blob, error_code, task_code,
// gpid, rpc_address and host_port as empty structs so that generated code
// tags their fields with the STRUCT type byte and calls Read/Write on them.
// The types here have the names the generator references (Blob, ErrorCode,
// TaskCode, Gpid, RPCAddress, HostPort) and read and write the raw payload
// instead of a thrift struct: no field headers and no STOP byte.
//
// Every Write method accepts a nil receiver and writes the zero value, since
// generated code writes default-requiredness fields even when they are nil.
package base

// GoUnusedProtection__ is referenced by every generated package that includes
// dsn.thrift ("var _ = base.GoUnusedProtection__"); it has no other use.
var GoUnusedProtection__ int //nolint:revive,stylecheck // name fixed by the thrift generator
