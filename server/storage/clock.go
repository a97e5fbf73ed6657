package storage

import (
	"sync"
	"time"
)

// PegasusEpochOffset is the Unix time of the Pegasus epoch,
// 2016-01-01T00:00:00Z. Every expire_ts is in seconds since then.
const PegasusEpochOffset = 1451606400

// Clock tells the time to reads and scanner-context bookkeeping.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// ManualClock is a Clock for tests: time moves only when told to, plus an
// optional Step added after every reading (to drive time limits inside a
// single iteration).
type ManualClock struct {
	mu   sync.Mutex
	now  time.Time // guarded by mu
	step time.Duration
}

// NewManualClock returns a clock stopped at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now returns the current manual time, then advances it by the step.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	c.now = c.now.Add(c.step)
	return t
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// SetStep makes every later Now call advance the clock by d (0 stops it).
func (c *ManualClock) SetStep(d time.Duration) {
	c.mu.Lock()
	c.step = d
	c.mu.Unlock()
}

// EpochSeconds converts a time to Pegasus epoch seconds, the unit of
// expire_ts. Times before the epoch give 0.
func EpochSeconds(t time.Time) uint32 {
	return unixToEpoch(t.Unix())
}

// epochSecondsFromMicros converts a mutation timestamp (microseconds since
// the Unix epoch) to Pegasus epoch seconds.
func epochSecondsFromMicros(us int64) uint32 {
	return unixToEpoch(us / 1_000_000)
}

func unixToEpoch(unix int64) uint32 {
	s := unix - PegasusEpochOffset
	if s <= 0 {
		return 0
	}
	if s > int64(^uint32(0)) {
		return ^uint32(0)
	}
	return uint32(s)
}

// isExpired reports whether a record with expireTs is expired at now (both
// Pegasus epoch seconds); 0 means the record never expires.
func isExpired(expireTs, now uint32) bool {
	return expireTs != 0 && expireTs <= now
}
