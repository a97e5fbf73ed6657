package pacifica

// Hooks for the host's partition split (design notes §8). The split itself
// lives in the host (it owns storage); it needs to know when a primary has
// nothing in flight, and to send group checks at once during its short
// registration step rather than at the next period.

// QueuedWrites is the number of client writes a primary holds that have
// no decree yet.
func (r *Replica) QueuedWrites() int { return len(r.primary.queue) }

// CheckGroupNow sends every secondary a group check at once (carrying the
// commit point), as the periodic check does but without its empty write.
// It does nothing unless the replica is a primary not reconfiguring.
func (r *Replica) CheckGroupNow() {
	if r.status != StatusPrimary || r.pending != nil {
		return
	}
	for _, s := range r.config.Secondaries {
		r.sendGroupCheck(s)
	}
}
