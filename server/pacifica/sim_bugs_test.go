package pacifica

import (
	"slices"
	"strings"
	"testing"
)

// TestSimulationCatchesPlantedBugs shows the checker can fail: each
// deliberate bug, planted through Options, must break an invariant within
// a few seeds, with the message the invariant gives.
func TestSimulationCatchesPlantedBugs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		plant func(*plantedBugs)
		want  []string // the failure message holds one of these
	}{
		{"commit on a majority", func(b *plantedBugs) { b.commitOnMajority = true }, []string{"lost acknowledged decree"}},
		{"no reconciliation", func(b *plantedBugs) { b.noReconciliation = true }, []string{"lost acknowledged decree", "serves reads", "disagree"}},
		{"learner skips what it was sent", func(b *plantedBugs) { b.learnerSkips = true }, []string{"lost acknowledged decree", "applies decree"}},
		{"reads before reconciliation", func(b *plantedBugs) { b.noReadFence = true }, []string{"serves reads"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := defaultSimParams()
			tc.plant(&p.opts.bugs)
			for seed := uint64(1); seed <= 50; seed++ {
				_, fail := simulate(t, seed, p, false)
				if fail == nil {
					continue
				}
				if !slices.ContainsFunc(tc.want, func(w string) bool { return strings.Contains(fail.msg, w) }) {
					t.Fatalf("seed %d broke another invariant than expected (%q): %s", seed, tc.want, fail.msg)
				}
				t.Logf("caught at seed %d: %s", seed, fail.msg)
				return
			}
			t.Fatalf("no seed of 50 caught the bug")
		})
	}
}

// TestSimulationReplaysExactly runs a seed twice and requires the same
// events: a failing seed must reproduce.
func TestSimulationReplaysExactly(t *testing.T) {
	p := defaultSimParams()
	p.steps = 600
	a, failA := simulate(t, 7, p, true)
	b, failB := simulate(t, 7, p, true)
	if failA != nil || failB != nil {
		t.Fatalf("seed 7 failed: %v %v", failA, failB)
	}
	if len(a.trace) == 0 || !slices.Equal(a.trace, b.trace) {
		t.Fatalf("two runs of seed 7 differ (%d and %d events)", len(a.trace), len(b.trace))
	}
}
