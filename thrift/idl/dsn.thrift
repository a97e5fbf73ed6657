// The six rDSN placeholder types of protocol.md §3.1.
//
// They are declared here as empty structs only so that the thrift compiler
// tags every field, list element and map entry of these types with the
// STRUCT (12) type byte and calls Read/Write on them. The code the compiler
// generates for this file is thrown away (see scripts/gen-thrift.sh): the
// hand-written package github.com/pegasus-go/pegasus/thrift/base provides
// types of the same names whose Read/Write methods use the raw payloads:
//
//   blob        i32 length + bytes (like thrift binary)
//   error_code  thrift string holding the error name (e.g. "ERR_OK")
//   task_code   thrift string holding a task/RPC name
//   gpid        one i64: app_id in the low 32 bits, partition index in the high 32
//   rpc_address one i64: ipv4 << 32 | port << 16 | type (1 = IPv4)
//   host_port   thrift string host, i16 port (unsigned), one byte type
//
// None of them is followed by a STOP byte on the wire.

namespace go base

struct blob {}
struct error_code {}
struct task_code {}
struct gpid {}
struct rpc_address {}
struct host_port {}
