package storage

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/rocksdb"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

// ScanContextCompleted is the context id of a scan response that ends the
// scan of this partition. (Responses that return early — bad filter type,
// empty range, time limit, failure — leave the id at 0, as upstream does.)
const ScanContextCompleted int64 = -1

// scanContext is a paused scan: its iterator, positioned at the next record
// to visit, and the request parameters that still apply.
type scanContext struct {
	it             *rocksdb.Iterator
	stop           []byte
	stopInclusive  bool
	hashFilterType rrdb.FilterType
	hashPattern    []byte
	sortFilterType rrdb.FilterType
	sortPattern    []byte
	batchSize      int32
	noValue        bool
	validateHash   bool
	// partitionCount is the partition's count when the scan began: a scan
	// keeps the partitioning it started with (its iterator sees the data
	// of then), so a split registering mid-scan neither hides rows the
	// client will not look for elsewhere nor shows them twice.
	partitionCount int32
	returnExpireTs bool
	onlyCount      bool

	expires time.Time // when the context is dropped if not resumed
}

// scannerTable holds the paused scans of a partition. Every stored context
// gets a fresh id; taking a context out removes it, so a context is used by
// one request at a time.
type scannerTable struct {
	idle time.Duration

	mu        sync.Mutex
	nextID    int64                  // guarded by mu
	contexts  map[int64]*scanContext // guarded by mu
	lastSweep time.Time              // guarded by mu
	closed    bool                   // guarded by mu
}

func newScannerTable(idle time.Duration) *scannerTable {
	// Ids start at a random point so that a restarted replica does not
	// reissue ids a client may still hold; they stay non-negative because
	// clients only clear ids >= 0.
	return &scannerTable{
		idle:     idle,
		nextID:   int64(rand.Uint32()>>1) << 32,
		contexts: make(map[int64]*scanContext),
	}
}

// put stores c under a fresh id and returns it. A closed table closes the
// context instead and reports false.
func (t *scannerTable) put(c *scanContext, now time.Time) (int64, bool) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		c.it.Close()
		return 0, false
	}
	id := t.nextID
	t.nextID++
	c.expires = now.Add(t.idle)
	t.contexts[id] = c
	// Sweep opportunistically so that abandoned contexts are freed even if
	// nobody calls sweep.
	var expired []*scanContext
	if now.Sub(t.lastSweep) >= t.idle/4 {
		t.lastSweep = now
		expired = t.takeExpiredLocked(now)
	}
	t.mu.Unlock()
	closeContexts(expired)
	return id, true
}

// take removes and returns the context with id, or nil if there is none or
// it has expired (an expired one is closed).
func (t *scannerTable) take(id int64, now time.Time) *scanContext {
	t.mu.Lock()
	c, ok := t.contexts[id]
	if ok {
		delete(t.contexts, id)
	}
	t.mu.Unlock()
	if !ok {
		return nil
	}
	if !now.Before(c.expires) {
		c.it.Close()
		return nil
	}
	return c
}

// sweep closes every expired context and returns how many there were.
func (t *scannerTable) sweep(now time.Time) int {
	t.mu.Lock()
	t.lastSweep = now
	expired := t.takeExpiredLocked(now)
	t.mu.Unlock()
	closeContexts(expired)
	return len(expired)
}

func (t *scannerTable) takeExpiredLocked(now time.Time) []*scanContext {
	var expired []*scanContext
	for id, c := range t.contexts {
		if !now.Before(c.expires) {
			expired = append(expired, c)
			delete(t.contexts, id)
		}
	}
	return expired
}

// len is the number of stored contexts.
func (t *scannerTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.contexts)
}

// close drops every context; later puts close their context at once.
func (t *scannerTable) close() {
	t.mu.Lock()
	t.closed = true
	all := make([]*scanContext, 0, len(t.contexts))
	for _, c := range t.contexts {
		all = append(all, c)
	}
	t.contexts = nil
	t.mu.Unlock()
	closeContexts(all)
}

func closeContexts(cs []*scanContext) {
	for _, c := range cs {
		c.it.Close()
	}
}
