package duplication

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/client"
)

// load writes to a table in the background: bounded in count and in
// time, paced, a mix of plain sets, sets with a TTL, multi-sets and
// deletes. Failed writes (a failover under way) are counted, not retried:
// the source cluster's table is the truth the follower is compared with.
type load struct {
	prefix   string
	hashKeys int
	max      int           // writes at most
	limit    time.Duration // runs at most this long
	pause    time.Duration // between writes

	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex // guards the counters
	ok     int
	failed int
	lastOK time.Time
}

// start begins writing to tb.
func (l *load) start(tb *client.Table) {
	ctx, cancel := context.WithTimeout(context.Background(), l.limit)
	l.cancel = cancel
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for i := 0; i < l.max && ctx.Err() == nil; i++ {
			err := l.write(ctx, tb, i)
			l.mu.Lock()
			if err == nil {
				l.ok++
				l.lastOK = time.Now()
			} else if ctx.Err() == nil {
				l.failed++
			}
			l.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(l.pause):
			}
		}
	}()
}

// write is the i-th write of the load.
func (l *load) write(ctx context.Context, tb *client.Table, i int) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	hash := []byte(fmt.Sprintf("%s-h%02d", l.prefix, i%l.hashKeys))
	sortKey := []byte(fmt.Sprintf("s%06d", i))
	value := []byte(fmt.Sprintf("v%d-%s-%s", i, l.prefix, strings.Repeat("x", i%64)))
	switch {
	case i%13 == 12:
		// Delete a record written a few writes ago (same hash key).
		old := []byte(fmt.Sprintf("s%06d", i-l.hashKeys))
		return tb.Del(ctx, hash, old)
	case i%7 == 3:
		return tb.SetTTL(ctx, hash, sortKey, value, time.Duration(3600+i%600)*time.Second)
	case i%11 == 5:
		return tb.MultiSet(ctx, hash, [][]byte{sortKey, append(sortKey, 'b')}, [][]byte{value, append(value, 'b')})
	}
	return tb.Set(ctx, hash, sortKey, value)
}

// stop ends the load and waits for its writer.
func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

// counts returns the successful and failed writes so far.
func (l *load) counts() (ok, failed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ok, l.failed
}

// record is one row of a table as a full scan and TTL read see it.
type record struct {
	value string
	ttl   int // seconds left, -1 without TTL
}

// scanAll reads every row of tb by full scans, keyed "hash/sort".
func scanAll(ctx context.Context, tb *client.Table) (map[string]string, error) {
	scanners, err := tb.GetUnorderedScanners(ctx, tb.PartitionCount(), &client.ScanOptions{BatchSize: 500})
	if err != nil {
		return nil, fmt.Errorf("full scan: %w", err)
	}
	rows := map[string]string{}
	for _, s := range scanners {
		for {
			done, h, sk, v, err := s.Next(ctx)
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("full scan: %w", err)
			}
			if done {
				break
			}
			rows[string(h)+"/"+string(sk)] = string(v)
		}
		s.Close()
	}
	return rows, nil
}

// diffTables compares the rows of a and b (keys and values by full scans,
// then every TTL, read from both at about the same moment). It returns ""
// when they are equal, else what differs (a few examples).
func diffTables(ctx context.Context, a, b *client.Table) (string, error) {
	ra, err := scanAll(ctx, a)
	if err != nil {
		return "", fmt.Errorf("source: %w", err)
	}
	rb, err := scanAll(ctx, b)
	if err != nil {
		return "", fmt.Errorf("follower: %w", err)
	}
	var diffs []string
	note := func(format string, args ...any) {
		if len(diffs) < 5 {
			diffs = append(diffs, fmt.Sprintf(format, args...))
		}
	}
	missing, extra, changed := 0, 0, 0
	for k, v := range ra {
		w, ok := rb[k]
		switch {
		case !ok:
			missing++
			note("missing %s", k)
		case w != v:
			changed++
			note("%s: %q on the source, %q on the follower", k, v, w)
		}
	}
	for k := range rb {
		if _, ok := ra[k]; !ok {
			extra++
			note("extra %s", k)
		}
	}
	if missing+extra+changed > 0 {
		return fmt.Sprintf("%d rows on the source, %d on the follower: %d missing, %d extra, %d different; %s",
			len(ra), len(rb), missing, extra, changed, strings.Join(diffs, "; ")), nil
	}
	keys := make([]string, 0, len(ra))
	for k := range ra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h, s, _ := strings.Cut(k, "/")
		ta, err := a.TTL(ctx, []byte(h), []byte(s))
		if err != nil {
			return "", fmt.Errorf("ttl on the source: %w", err)
		}
		tb, err := b.TTL(ctx, []byte(h), []byte(s))
		if err != nil {
			return "", fmt.Errorf("ttl on the follower: %w", err)
		}
		// Both count down from the same expiry; the reads are a moment
		// apart, so they may straddle a second.
		if (ta < 0) != (tb < 0) || ta-tb > 1 || tb-ta > 1 {
			return fmt.Sprintf("%s: ttl %d on the source, %d on the follower", k, ta, tb), nil
		}
	}
	return "", nil
}

// waitEqual waits (up to limit) until the follower table equals the
// source table, and returns the number of rows.
func waitEqual(t *testing.T, limit time.Duration, a, b *client.Table) int {
	t.Helper()
	waitFor(t, limit, "the follower table to equal the source", func() (bool, string) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		diff, err := diffTables(ctx, a, b)
		if err != nil {
			return false, err.Error()
		}
		return diff == "", diff
	})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	rows, err := scanAll(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return len(rows)
}
