package replica

import (
	"net/netip"
	"testing"
	"time"
)

func TestPrepareAcksTimeEachSecondary(t *testing.T) {
	var p prepareAcks
	s1, s2 := netip.MustParseAddrPort("127.0.0.1:34802"), netip.MustParseAddrPort("127.0.0.1:34803")
	t0 := time.Unix(1000, 0)
	p.prepared(7, 3, s1, t0)
	p.prepared(7, 3, s2, t0)
	p.prepared(7, 3, s1, t0.Add(time.Second)) // a resend keeps the first time
	if took, ok := p.acked(7, s1, t0.Add(1500*time.Millisecond)); !ok || took != 1500*time.Millisecond {
		t.Fatalf("s1's ack of 7: %v %v, want 1.5s", took, ok)
	}
	if _, ok := p.acked(7, s1, t0.Add(2*time.Second)); ok {
		t.Fatal("a second ack of the same prepare was timed again")
	}
	if _, ok := p.acked(8, s2, t0); ok {
		t.Fatal("an ack of a prepare never sent was timed")
	}
	p.prepared(9, 3, s1, t0.Add(30*time.Second))
	p.expire(t0.Add(forgetAckAfter + time.Second))
	if _, ok := p.acked(7, s2, t0.Add(forgetAckAfter+2*time.Second)); ok {
		t.Fatal("a prepare unacked past forgetAckAfter was still timed")
	}
	if took, ok := p.acked(9, s1, t0.Add(31*time.Second)); !ok || took != time.Second {
		t.Fatalf("a recent prepare was forgotten: %v %v", took, ok)
	}
	// Primary again under a higher ballot: the prepare is timed afresh.
	p.prepared(10, 3, s2, t0)
	p.prepared(10, 4, s2, t0.Add(5*time.Second))
	if took, ok := p.acked(10, s2, t0.Add(6*time.Second)); !ok || took != time.Second {
		t.Fatalf("a prepare sent again under a new ballot: %v %v, want 1s", took, ok)
	}
}
