package bench

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"
)

// The checker behind -check: every key has one writer (worker w owns the
// keys k with k % workers == w), which writes values numbered in order, so
// what a read may return is known exactly: the last acknowledged value, or
// the value of a later write whose outcome is unknown (it failed or timed
// out; it may have been applied). A key never acknowledged may also be
// absent. Anything else is a wrong read; at the final verification, a key
// that is absent or holds an older write than its last acknowledged one
// is a lost write.

// CheckResult is what the checker found.
type CheckResult struct {
	Keys          int    `json:"keys_written"`
	AckedWrites   uint64 `json:"acked_writes"`
	UnknownWrites uint64 `json:"unknown_writes"` // failed writes: may or may not have been applied
	ReadsChecked  uint64 `json:"reads_checked"`  // during the run
	WrongReads    uint64 `json:"wrong_reads"`    // during the run or at the final verification
	LostWrites    uint64 `json:"lost_writes"`    // at the final verification
	Verified      int    `json:"keys_verified"`  // keys read back after the run
	Present       int    `json:"keys_present"`   // of those, keys that hold a value
	VerifyErrors  int    `json:"verify_errors"`  // keys the final verification could not read
	FirstProblem  string `json:"first_problem,omitempty"`
}

// OK reports whether nothing was lost or read wrong, and every written key
// was read back.
func (c *CheckResult) OK() bool {
	return c.WrongReads == 0 && c.LostWrites == 0 && c.VerifyErrors == 0
}

// keyState is one key's write history, as its single writer saw it.
type keyState struct {
	acked   int64   // sequence of the last acknowledged write; -1: none
	unknown []int64 // writes after acked whose outcome is unknown
	next    int64   // sequence of the next write
}

// checker holds every key's state; each key is touched only by its owner
// worker, so the mutex guards the map and the counters, not ordering.
type checker struct {
	valueSize int

	mu    sync.Mutex // guards everything below
	keys  map[int]*keyState
	res   CheckResult
	first string
}

func newChecker(valueSize int) *checker {
	return &checker{valueSize: valueSize, keys: map[int]*keyState{}}
}

// checkValue is write seq's value: "c<seq>:" padded with '.' to size.
func checkValue(seq int64, size int) []byte {
	v := []byte("c" + strconv.FormatInt(seq, 10) + ":")
	for len(v) < size {
		v = append(v, '.')
	}
	return v
}

// parseCheckValue returns the write sequence a value carries.
func parseCheckValue(v []byte) (int64, bool) {
	if len(v) < 3 || v[0] != 'c' {
		return 0, false
	}
	end := bytes.IndexByte(v, ':')
	if end < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(v[1:end]), 10, 64)
	return n, err == nil
}

// nextWrite returns the value of key's next write.
func (c *checker) nextWrite(key int) (int64, []byte) {
	c.mu.Lock()
	st := c.keys[key]
	if st == nil {
		st = &keyState{acked: -1}
		c.keys[key] = st
	}
	seq := st.next
	st.next++
	c.mu.Unlock()
	return seq, checkValue(seq, c.valueSize)
}

// wrote records a write's outcome.
func (c *checker) wrote(key int, seq int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.keys[key]
	if ok {
		st.acked, st.unknown = seq, nil
		c.res.AckedWrites++
		return
	}
	st.unknown = append(st.unknown, seq)
	c.res.UnknownWrites++
}

// verdict says whether got (nil: absent) is a value key may hold.
type verdict int

const (
	readOK verdict = iota
	readWrong
	readLost
)

func (c *checker) judge(key int, got []byte) (verdict, string) {
	st := c.keys[key]
	if st == nil {
		if got == nil {
			return readOK, ""
		}
		return readWrong, fmt.Sprintf("k%d: read %.20q, never written", key, got)
	}
	if got == nil {
		if st.acked < 0 {
			return readOK, ""
		}
		return readLost, fmt.Sprintf("k%d: absent, write %d was acknowledged", key, st.acked)
	}
	seq, ok := parseCheckValue(got)
	if !ok || seq >= st.next {
		return readWrong, fmt.Sprintf("k%d: read %.20q, not a value written to it", key, got)
	}
	if seq == st.acked {
		return readOK, ""
	}
	for _, u := range st.unknown {
		if u == seq {
			return readOK, ""
		}
	}
	if seq < st.acked {
		return readLost, fmt.Sprintf("k%d: read write %d, write %d was acknowledged after it", key, seq, st.acked)
	}
	return readWrong, fmt.Sprintf("k%d: read write %d, last acknowledged %d, unknown %v", key, seq, st.acked, st.unknown)
}

// read checks a read made during the run by key's owner.
func (c *checker) read(key int, got []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.res.ReadsChecked++
	if v, why := c.judge(key, got); v != readOK {
		c.res.WrongReads++ // during the run, even an old value is a wrong read
		c.problem(why)
	}
}

// verified checks a key read back after the run.
func (c *checker) verified(key int, got []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.res.Verified++
	if got != nil {
		c.res.Present++
	}
	switch v, why := c.judge(key, got); v {
	case readWrong:
		c.res.WrongReads++
		c.problem(why)
	case readLost:
		c.res.LostWrites++
		c.problem(why)
	}
}

func (c *checker) verifyFailed(key int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.res.VerifyErrors++
	c.problem(fmt.Sprintf("k%d: read back failed: %v", key, err))
}

func (c *checker) problem(why string) {
	if c.first == "" {
		c.first = why
	}
}

// written lists the keys written at least once.
func (c *checker) written() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]int, 0, len(c.keys))
	for k := range c.keys {
		out = append(out, k)
	}
	return out
}

func (c *checker) result() *CheckResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.res
	r.Keys, r.FirstProblem = len(c.keys), c.first
	return &r
}
