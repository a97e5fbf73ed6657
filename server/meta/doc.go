// Package meta is the meta server: it owns the cluster's tables and their
// partition configurations, tracks which replica servers are alive, and
// decides which replica server serves each partition.
//
// The package has two layers, as etcd/raft separates its state machine from
// the code that runs it:
//
//   - State is a pure state machine: no sockets, disks, clocks or
//     goroutines. Each method takes a request (and the current time where
//     time matters) and returns what the outside world must do: a Change to
//     persist before it may be applied, proposals to send to replica
//     servers, and the values to reply with. Tests drive it directly,
//     including a seeded randomized simulation (sim_test.go).
//   - Server is the shell: it loads State from a metastore.Store when it
//     becomes leader, serves the meta RPCs on an rpc.Server, persists every
//     Change before applying it (docs/cluster-protocol.md), runs the
//     failure-detector and cure timers, and sends RPC_CONFIG_PROPOSAL to
//     replica servers.
//
// Leadership comes from an Election; AlwaysLeader serves a cluster with one
// meta server, ZooKeeperElection several that share a ZooKeeper store. A
// meta server that does not lead answers as protocol.md §6.3 describes.
// Every term starts by claiming the epoch node and every commit of the term
// is fenced by it (fence.go), so a deposed leader cannot overwrite its
// successor (docs/meta-ha.md).
package meta
