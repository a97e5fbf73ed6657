// Package peerwire is the wire form of what replica servers exchange and
// log for PacificA (server/pacifica): the replica-to-replica messages as
// one-way THFT RPCs (one RPC name per pacifica.MsgType, each carrying a
// replication.peer_message), the body of a mutation-log record, and the
// conversions between pacifica.Config and the meta server's
// partition_configuration.
//
// Encoding is the only thing this package does: it opens no connections
// and keeps no state. Decode validates what arrives (known type, valid
// gpid, IPv4 endpoints, non-negative ballots and decrees), so the state
// machine never sees a value a correct peer could not have sent.
package peerwire
