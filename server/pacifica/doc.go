// Package pacifica is the replication core of a replica server: the
// PacificA protocol as Pegasus runs it (design notes §3), for one replica
// of one partition, as a pure state machine. It has no goroutines,
// sockets, disks or clocks. The host — the replica server — feeds it
// events and carries out what it asks, in the shape of go.etcd.io/raft:
//
//   - events: Propose (a client write), Step (a message from another
//     replica), Tick (time), Proposal (a configuration proposal from the
//     meta), ConfigReply (the meta's answer to a ConfigRequest),
//     ConfigFromMeta and NotListed (config sync), LeaseExpired and
//     LeaseRenewed (the server's failure detector), LearnInstalled and
//     LearnFailed (a checkpoint copy the host ran for learning), Fail (a
//     local I/O error);
//   - Ready returns everything the host must do: the ballot to persist
//     (HardState), mutations to append to the log (Entries), mutations to
//     apply to storage in decree order (Committed, with the client tokens
//     to answer on the primary), messages to send, refusals to answer,
//     requests to the meta, and a checkpoint copy to run (LearnTask);
//   - Advance tells the replica the host did it: the entries are durable,
//     so acks may go out and commits may happen.
//
// One Replica value is one partition's replica on one server. Its roles
// are the partition statuses: the primary assigns decrees under its ballot
// and prepares each mutation on every secondary; a mutation commits once
// every member has logged it, and a client is answered once its mutation
// is applied on the primary. Secondaries log, ack, and apply up to the
// commit point the primary tells them. The group check carries the commit
// point when writes stop and catches failed members; the primary asks the
// meta to remove them, becoming primary again at the next ballot and
// re-preparing whatever was in flight (reconciliation). A new member first
// learns as a potential secondary, then the primary asks the meta to make
// it a secondary. Reads are the host's business; CanRead says when the
// primary may serve them.
//
// docs/replication.md describes the host's side: the order in which it
// handles a Ready, how it runs the log, learning and config sync, and the
// invariants the simulator (sim_test.go) checks over thousands of seeded
// runs against the real meta.State.
package pacifica
