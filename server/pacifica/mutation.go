package pacifica

import "slices"

// Token identifies a client write on the replica server that received it.
// The host chooses it and gets it back when the write is answered; it is
// never replicated.
type Token uint64

// Write is one client write handed to a primary by Propose.
type Write struct {
	Token Token
	// Payload is the serialized request; the state machine never looks
	// inside it.
	Payload []byte
	// Batchable writes (put and remove upstream) may share a mutation with
	// neighbouring batchable writes; any other write gets a mutation of its
	// own.
	Batchable bool
	// TimestampUs is the host's clock when the write arrived. A mutation's
	// timestamp is the largest of its writes', kept strictly increasing.
	TimestampUs int64
}

// Mutation is one replicated log entry: the unit the primary prepares,
// every member logs, and storage applies atomically at its decree.
type Mutation struct {
	// Ballot is the configuration under which the mutation was prepared. A
	// new primary re-prepares uncommitted mutations under its own ballot,
	// keeping decree, timestamp and updates.
	Ballot int64
	Decree int64
	// LastCommitted is the preparing primary's commit point: receivers learn
	// from it that every decree up to it is committed.
	LastCommitted int64
	TimestampUs   int64
	// Updates are the payloads of the batched writes, in order. None means
	// an empty write, which only advances the decree.
	Updates [][]byte
}

// Clone returns a copy that shares no slices with m.
func (m Mutation) Clone() Mutation {
	m.Updates = slices.Clone(m.Updates)
	for i, u := range m.Updates {
		m.Updates[i] = slices.Clone(u)
	}
	return m
}

// Empty reports whether m is an empty write.
func (m Mutation) Empty() bool { return len(m.Updates) == 0 }

// sameContent reports whether a and b carry the same writes, whatever
// ballot they were prepared under.
func sameContent(a, b Mutation) bool {
	return a.Decree == b.Decree && a.TimestampUs == b.TimestampUs &&
		slices.EqualFunc(a.Updates, b.Updates, slices.Equal)
}
