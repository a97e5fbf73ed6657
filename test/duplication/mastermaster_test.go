package duplication

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/client"
)

// waitStarted waits until every partition of a duplication reports
// progress: from then on, every write committed on the source is
// shipped (a duplication without a checkpoint starts at the decree each
// primary had committed when its pipeline started).
func waitStarted(t *testing.T, p pair, src *onebox.Box, table string, dupid int32, partitions int) {
	t.Helper()
	c := p.ac
	if src == p.b {
		c = p.bc
	}
	waitFor(t, 60*time.Second, fmt.Sprintf("duplication %d of %s on %s to start", dupid, table, src.ClusterName), func() (bool, string) {
		st, prog := dupProgress(t, c, table, dupid)
		if len(prog) < partitions {
			return false, st.String() + " " + prog.String()
		}
		for _, q := range prog {
			if q.Confirmed < 0 || q.LastCommitted < 0 {
				return false, st.String() + " " + prog.String()
			}
		}
		return true, ""
	})
}

// Duplications both ways (master–master): each side writes its own keys
// and both write the same keys; both tables converge to the same rows
// (last write wins, ties by cluster id), and once they have, neither
// side's partitions commit anything more — writes received by duplication
// are not shipped back, so nothing loops. Both clusters run without
// empty writes: an idle primary's empty write adds a decree every group
// check period, which would hide whether the decrees stay put.
func TestMasterMaster(t *testing.T) {
	p := startPair(t, hostMasterMaster, 0, func(b *onebox.Box) { b.EmptyWriteDisabled = true })
	const table, partitions = "dupmm", 4
	createTable(t, p.a, p.ac, table, partitions)
	ab := addDup(t, p.a, table, onebox.SecondName, false)
	tbA := openTable(t, p.a, table)
	tbB := followerTable(t, p.b, table)
	ba := addDup(t, p.b, table, onebox.DefaultName, false)
	waitStarted(t, p, p.a, table, ab, partitions)
	waitStarted(t, p, p.b, table, ba, partitions)

	la := &load{prefix: "a", hashKeys: 20, max: 800, limit: time.Minute, pause: 2 * time.Millisecond}
	lb := &load{prefix: "b", hashKeys: 20, max: 800, limit: time.Minute, pause: 2 * time.Millisecond}
	la.start(tbA)
	lb.start(tbB)
	t.Cleanup(la.stop)
	t.Cleanup(lb.stop)
	// Both sides overwrite the same records, several times each.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for round := range 3 {
		for i := range 40 {
			sk := []byte("s" + strconv.Itoa(i))
			if err := tbA.Set(ctx, []byte("both"), sk, []byte(fmt.Sprintf("A%d", round))); err != nil {
				t.Fatalf("write on A: %v", err)
			}
			if err := tbB.Set(ctx, []byte("both"), sk, []byte(fmt.Sprintf("B%d", round))); err != nil {
				t.Fatalf("write on B: %v", err)
			}
		}
	}
	waitFor(t, time.Minute, "both loads to finish", func() (bool, string) {
		okA, fA := la.counts()
		okB, fB := lb.counts()
		return okA+fA >= la.max && okB+fB >= lb.max, fmt.Sprintf("A %d/%d, B %d/%d", okA, fA, okB, fB)
	})
	la.stop()
	lb.stop()
	okA, fA := la.counts()
	okB, fB := lb.counts()
	if fA+fB > 0 {
		t.Errorf("%d writes on A and %d on B failed on healthy clusters", fA, fB)
	}

	rows := waitEqual(t, 90*time.Second, tbA, tbB)
	if rows < 1000 {
		t.Fatalf("only %d rows compared", rows)
	}
	// Both duplications catch up, and then the decrees stay put: a write
	// echoed back and forth would keep committing new mutations.
	settled := func() (progress, progress) {
		var pa, pb progress
		waitFor(t, 30*time.Second, "both duplications to catch up", func() (bool, string) {
			_, pa = dupProgress(t, p.ac, table, ab)
			_, pb = dupProgress(t, p.bc, table, ba)
			return pa.caughtUp(partitions) && pb.caughtUp(partitions), "A " + pa.String() + "B " + pb.String()
		})
		return pa, pb
	}
	pa1, pb1 := settled()
	select {
	case <-t.Context().Done():
		t.Fatal(t.Context().Err())
	case <-time.After(12 * time.Second): // twelve progress reports of every primary, over a group check period
	}
	pa2, pb2 := settled()
	if pa1.String() != pa2.String() || pb1.String() != pb2.String() {
		t.Fatalf("decrees still grow after convergence (a write loop):\nA %s -> %s\nB %s -> %s", pa1, pa2, pb1, pb2)
	}
	// Each side committed its own writes and at most one mutation per
	// write received from the other side.
	bound := int64(okA+okB+240) + 2*partitions
	for name, pr := range map[string]progress{"A": pa2, "B": pb2} {
		var sum int64
		for _, q := range pr {
			sum += q.LastCommitted
		}
		if sum > bound {
			t.Errorf("%s committed %d decrees for %d writes in all", name, sum, okA+okB+240)
		}
	}
	// B's last write came after A's (one clock, one writer): it wins on
	// both sides.
	for _, tb := range []*client.Table{tbA, tbB} {
		got, err := tb.Get(ctx, []byte("both"), []byte("s0"))
		if err != nil || string(got) != "B2" {
			t.Errorf("both/s0 = %q, %v; want B2, the last write", got, err)
		}
	}
}
