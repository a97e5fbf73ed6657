package storage

import (
	"context"
	"time"
)

// rangeLimiter bounds one range read by records visited, bytes returned and
// elapsed time (§5.2). Like upstream it checks the clock only every
// max/10 visits; a cancelled ctx counts as the time limit.
type rangeLimiter struct {
	ctx      context.Context
	clock    Clock
	start    time.Time
	maxTime  time.Duration // <= 0: none
	maxCount int
	maxSize  int64 // <= 0: none
	every    int

	count    int
	size     int64
	exceeded bool // the time limit (or ctx) stopped the read
}

func newRangeLimiter(ctx context.Context, clock Clock, maxCount int, maxSize int64, maxTime time.Duration) *rangeLimiter {
	every := 1
	if maxCount > 10 {
		every = maxCount / 10
	}
	return &rangeLimiter{
		ctx: ctx, clock: clock, start: clock.Now(), maxTime: maxTime,
		maxCount: maxCount, maxSize: maxSize, every: every,
	}
}

// valid reports whether another record may be visited.
func (l *rangeLimiter) valid() bool {
	if l.count >= l.maxCount {
		return false
	}
	if l.maxSize > 0 && l.size >= l.maxSize {
		return false
	}
	return l.timeOK()
}

// timeOK reports whether the time limit still holds, consulting the clock
// (and ctx) only on every l.every-th visit.
func (l *rangeLimiter) timeOK() bool {
	if (l.count+1)%l.every != 0 {
		return true
	}
	if l.overTime() {
		l.exceeded = true
		return false
	}
	return true
}

// checkAfterIncomplete is the final time check of a scan batch that did not
// reach the end of its range.
func (l *rangeLimiter) checkAfterIncomplete() {
	if l.overTime() {
		l.exceeded = true
	}
}

func (l *rangeLimiter) overTime() bool {
	if l.ctx.Err() != nil {
		return true
	}
	return l.maxTime > 0 && l.clock.Now().Sub(l.start) > l.maxTime
}

func (l *rangeLimiter) addCount()          { l.count++ }
func (l *rangeLimiter) addSize(size int64) { l.size += size }
