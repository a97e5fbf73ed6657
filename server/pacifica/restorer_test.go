package pacifica

import (
	"fmt"
	"math/rand"
	"net/netip"
	"slices"
	"testing"
)

// randomLog makes a log as a replica could have written it: decrees in
// order under rising ballots, a new ballot re-preparing some uncommitted
// decrees (with the same content), stale copies under older ballots, and
// commit points trailing the decrees.
func randomLog(rng *rand.Rand, applied int64) []Mutation {
	var log []Mutation
	ballot, decree, committed := int64(1+rng.Intn(3)), applied, applied
	for range 20 + rng.Intn(300) {
		switch x := rng.Intn(20); {
		case x == 0 && decree > committed:
			// A new primary re-prepares what is not known committed.
			ballot++
			for d := committed + 1; d <= decree; d++ {
				log = append(log, Mutation{Ballot: ballot, Decree: d, LastCommitted: committed, TimestampUs: d,
					Updates: [][]byte{[]byte(fmt.Sprintf("w%d", d))}})
			}
		case x == 1 && len(log) > 0:
			// A duplicate of an earlier entry (same ballot and decree).
			log = append(log, log[rng.Intn(len(log))])
		default:
			decree++
			if decree-committed > 1 && rng.Intn(2) == 0 {
				committed += 1 + rng.Int63n(decree-committed-1)
			}
			log = append(log, Mutation{Ballot: ballot, Decree: decree, LastCommitted: committed, TimestampUs: decree,
				Updates: [][]byte{[]byte(fmt.Sprintf("w%d", decree))}})
		}
	}
	return log
}

// Restoring entry by entry commits exactly what Restore commits, in the
// same order, and leaves the same replica behind, with nothing left to
// apply.
func TestRestorerMatchesRestore(t *testing.T) {
	self := netip.MustParseAddrPort("127.0.0.1:1")
	totalCommitted, totalSkipped := 0, 0
	for seed := int64(1); seed <= 500; seed++ {
		rng := rand.New(rand.NewSource(seed))
		applied := rng.Int63n(50)
		log := randomLog(rng, applied)
		hs := HardState{Ballot: 1}
		whole, err := Restore(self, pid, Options{}, Persisted{HardState: hs, Applied: applied, Log: log})
		if err != nil {
			t.Fatalf("seed %d: Restore: %v", seed, err)
		}
		rd := whole.Ready()
		var want []Mutation
		for _, c := range rd.Committed {
			want = append(want, c.Mutation)
		}

		x, err := NewRestorer(self, pid, Options{}, hs, applied)
		if err != nil {
			t.Fatal(err)
		}
		var got []Mutation
		skipped := 0
		for _, m := range log {
			if x.Skips(m.Decree) {
				skipped++
				continue
			}
			cs, err := x.Add(m)
			if err != nil {
				t.Fatalf("seed %d: Add: %v", seed, err)
			}
			got = append(got, cs...)
		}
		streamed := x.Replica()
		if !slices.EqualFunc(got, want, func(a, b Mutation) bool {
			return a.Decree == b.Decree && a.Ballot == b.Ballot && slices.EqualFunc(a.Updates, b.Updates, slices.Equal)
		}) {
			t.Fatalf("seed %d: streamed commits %v, Restore committed %v", seed, decrees(got), decrees(want))
		}
		if streamed.Committed() != whole.Committed() || streamed.LastPrepared() != whole.LastPrepared() ||
			streamed.MaxDecree() != whole.MaxDecree() || streamed.Ballot() != whole.Ballot() {
			t.Fatalf("seed %d: streamed replica committed %d prepared %d max %d ballot %d; Restore's %d %d %d %d", seed,
				streamed.Committed(), streamed.LastPrepared(), streamed.MaxDecree(), streamed.Ballot(),
				whole.Committed(), whole.LastPrepared(), whole.MaxDecree(), whole.Ballot())
		}
		wantApplied := applied
		if len(want) > 0 {
			wantApplied = want[len(want)-1].Decree
		}
		if streamed.Applied() != wantApplied {
			t.Fatalf("seed %d: streamed replica applied %d, want %d", seed, streamed.Applied(), wantApplied)
		}
		srd := streamed.Ready()
		if len(srd.Committed) != 0 || (srd.HardState == nil) != (rd.HardState == nil) ||
			(srd.HardState != nil && *srd.HardState != *rd.HardState) {
			t.Fatalf("seed %d: streamed replica's first Ready %+v; Restore's hard state %+v", seed, srd, rd.HardState)
		}
		totalCommitted += len(want)
		totalSkipped += skipped
	}
	if totalCommitted == 0 || totalSkipped == 0 {
		t.Fatalf("the logs exercised too little: %d commits, %d skipped entries", totalCommitted, totalSkipped)
	}
	t.Logf("%d commits, %d entries skipped undecoded", totalCommitted, totalSkipped)
}

func decrees(ms []Mutation) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = fmt.Sprintf("%d@%d", m.Decree, m.Ballot)
	}
	return out
}
