package storage

import (
	"fmt"
)

// Op names the kind of a write in a mutation.
type Op int

// The write operations of the rrdb service.
const (
	OpPut            Op = iota // Request: *rrdb.UpdateRequest
	OpRemove                   // Request: *base.Blob (encoded full key)
	OpMultiPut                 // Request: *rrdb.MultiPutRequest
	OpMultiRemove              // Request: *rrdb.MultiRemoveRequest
	OpIncr                     // Request: *rrdb.IncrRequest
	OpCheckAndSet              // Request: *rrdb.CheckAndSetRequest
	OpCheckAndMutate           // Request: *rrdb.CheckAndMutateRequest
	// OpDuplicate re-executes writes another cluster shipped (cross-cluster
	// duplication), each with its own timetag. Request: *Duplicate;
	// response: *rrdb.DuplicateResponse.
	OpDuplicate
)

var opNames = [...]string{"put", "remove", "multi_put", "multi_remove", "incr", "check_and_set", "check_and_mutate", "duplicate"}

func (o Op) String() string {
	if o >= 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// Write is one client write request inside a mutation.
type Write struct {
	Op      Op
	Request any
}

// Mutation is what the replica applies at one decree: zero or more writes
// (zero is the "empty write" that only advances the decree), executed in
// order as one atomic batch.
type Mutation struct {
	Decree int64
	// TimestampUs is the mutation's timestamp (µs since the Unix epoch),
	// assigned once by the primary. Every time-dependent decision of the
	// writes uses it, never the local clock, so all replicas agree.
	TimestampUs int64
	Writes      []Write
}

// Duplicate is the request of OpDuplicate: writes another cluster of the
// duplication group applied and shipped here, in their original order.
type Duplicate struct {
	Entries []DuplicatedWrite
}

// DuplicatedWrite is one shipped write.
type DuplicatedWrite struct {
	// TimestampUs is the write's timestamp on the cluster that took it (µs
	// since the Unix epoch); with ClusterID it makes the stored timetag.
	TimestampUs int64
	// ClusterID is the duplication id of that cluster (1..127).
	ClusterID uint8
	// VerifyTimetag asks for last-write-wins: a key whose stored live value
	// carries a timetag >= this write's keeps its value.
	VerifyTimetag bool
	// Write is the original put, remove, multi_put or multi_remove.
	Write Write
}
