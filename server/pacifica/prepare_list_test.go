package pacifica

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// plOp is one operation on a prepare list in a table-driven case.
type plOp struct {
	put    *Mutation // put this mutation (logged unless unlogged)
	logged bool
	commit int64 // commit up to this decree (soft)
	drop   int64 // dropUncommitted(below)
	reset  int64 // reset to this decree
	err    error // expected put error
}

func mu(ballot, decree int64) *Mutation { return &Mutation{Ballot: ballot, Decree: decree} }

func TestPrepareList(t *testing.T) {
	for _, tc := range []struct {
		name          string
		start         int64
		ops           []plOp
		committed     int64
		lastPrepared  int64
		maxDecree     int64
		held          []int64 // decrees still held
		heldBallotsOf map[int64]int64
	}{
		{
			name: "contiguous logged entries commit in order",
			ops: []plOp{
				{put: mu(1, 1), logged: true}, {put: mu(1, 2), logged: true}, {put: mu(1, 3), logged: true},
				{commit: 2},
			},
			committed: 2, lastPrepared: 3, maxDecree: 3, held: []int64{1, 2, 3},
		},
		{
			name: "commit stops at a hole",
			ops: []plOp{
				{put: mu(1, 1), logged: true}, {put: mu(1, 3), logged: true},
				{commit: 3},
			},
			committed: 1, lastPrepared: 1, maxDecree: 3, held: []int64{1, 3},
		},
		{
			name: "commit stops at an unlogged entry",
			ops: []plOp{
				{put: mu(1, 1), logged: true}, {put: mu(1, 2)}, {put: mu(1, 3), logged: true},
				{commit: 3},
			},
			committed: 1, lastPrepared: 1, maxDecree: 3, held: []int64{1, 2, 3},
		},
		{
			name: "commit never goes back in ballot",
			ops: []plOp{
				{put: mu(2, 1), logged: true}, {put: mu(1, 2), logged: true},
				{commit: 2},
			},
			committed: 1, lastPrepared: 1, maxDecree: 2, held: []int64{1, 2},
		},
		{
			name: "a higher ballot replaces an uncommitted entry, a lower one is refused",
			ops: []plOp{
				{put: mu(1, 1), logged: true}, {put: mu(2, 1), logged: true}, {put: mu(1, 1), err: errStaleBallot},
			},
			committed: 0, lastPrepared: 1, maxDecree: 1, held: []int64{1}, heldBallotsOf: map[int64]int64{1: 2},
		},
		{
			name: "committed decrees refuse puts",
			ops: []plOp{
				{put: mu(1, 1), logged: true}, {commit: 1}, {put: mu(5, 1), err: errCommitted},
			},
			committed: 1, lastPrepared: 1, maxDecree: 1, held: []int64{1},
		},
		{
			name: "committed entries are evicted beyond capacity, oldest first",
			ops: []plOp{
				{put: mu(1, 1), logged: true}, {put: mu(1, 2), logged: true}, {put: mu(1, 3), logged: true},
				{put: mu(1, 4), logged: true}, {put: mu(1, 5), logged: true}, {commit: 4},
			},
			committed: 4, lastPrepared: 5, maxDecree: 5, held: []int64{2, 3, 4, 5},
		},
		{
			name: "uncommitted entries are never evicted",
			ops: []plOp{
				{put: mu(1, 1)}, {put: mu(1, 2)}, {put: mu(1, 3)}, {put: mu(1, 4)}, {put: mu(1, 5)}, {put: mu(1, 6)},
			},
			committed: 0, lastPrepared: 0, maxDecree: 6, held: []int64{1, 2, 3, 4, 5, 6},
		},
		{
			name: "a decree too far beyond the commit point is refused",
			ops:  []plOp{{put: mu(1, 9), err: errListFull}},
			held: nil,
		},
		{
			name:  "a learner drops uncommitted entries of older ballots only",
			start: 10,
			ops: []plOp{
				{put: mu(3, 11), logged: true}, {put: mu(5, 12), logged: true}, {put: mu(4, 13), logged: true},
				{drop: 5},
			},
			committed: 10, lastPrepared: 10, maxDecree: 12, held: []int64{12},
		},
		{
			name: "dropping everything uncommitted",
			ops: []plOp{
				{put: mu(1, 1), logged: true}, {commit: 1}, {put: mu(1, 2)}, {put: mu(1, 3)},
				{drop: math.MaxInt64},
			},
			committed: 1, lastPrepared: 1, maxDecree: 1, held: []int64{1},
		},
		{
			name: "an installed checkpoint resets the commit point and keeps later entries",
			ops: []plOp{
				{put: mu(1, 1), logged: true}, {put: mu(1, 5), logged: true}, {put: mu(1, 6), logged: true},
				{reset: 4}, {commit: 6},
			},
			committed: 6, lastPrepared: 6, maxDecree: 6, held: []int64{5, 6},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPrepareList(tc.start, 4, 8)
			for i, op := range tc.ops {
				switch {
				case op.put != nil:
					_, _, err := p.put(&entry{mu: *op.put, logged: op.logged})
					if !errors.Is(err, op.err) {
						t.Fatalf("op %d: put %+v: error %v, want %v", i, *op.put, err, op.err)
					}
				case op.commit > 0:
					p.commit(op.commit, nil)
				case op.drop > 0:
					p.dropUncommitted(op.drop)
				case op.reset > 0:
					p.reset(op.reset)
				}
			}
			if p.committed != tc.committed || p.lastPrepared() != tc.lastPrepared || p.maxDecree() != max(tc.maxDecree, tc.committed) {
				t.Errorf("committed %d, last prepared %d, max %d; want %d, %d, %d",
					p.committed, p.lastPrepared(), p.maxDecree(), tc.committed, tc.lastPrepared, tc.maxDecree)
			}
			var held []int64
			for d := int64(0); d <= 20; d++ {
				if e := p.get(d); e != nil {
					held = append(held, d)
					if b, ok := tc.heldBallotsOf[d]; ok && e.mu.Ballot != b {
						t.Errorf("decree %d held at ballot %d, want %d", d, e.mu.Ballot, b)
					}
				}
			}
			if !slices.Equal(held, tc.held) {
				t.Errorf("holds decrees %v, want %v", held, tc.held)
			}
		})
	}
}

func TestPrepareListCommitReturnsEntriesInOrder(t *testing.T) {
	p := newPrepareList(0, 10, 10)
	for _, d := range []int64{3, 1, 2} {
		p.put(&entry{mu: Mutation{Ballot: 1, Decree: d}, logged: true})
	}
	var got []int64
	for _, e := range p.commit(3, func(e *entry) bool { return e.mu.Decree != 3 }) {
		got = append(got, e.mu.Decree)
	}
	if !slices.Equal(got, []int64{1, 2}) || p.committed != 2 {
		t.Fatalf("committed %v (point %d), want [1 2] (point 2): the ready check holds decree 3 back", got, p.committed)
	}
	if !p.covers(1, 2) || p.covers(0, 2) || !p.covers(3, 2) {
		t.Fatalf("covers: [1,2] %v, [0,2] %v, empty [3,2] %v", p.covers(1, 2), p.covers(0, 2), p.covers(3, 2))
	}
}
