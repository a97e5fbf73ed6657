package replication

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

const hostPausedPrimary = 55

// TestPausedPrimaryServesNothingStale freezes (SIGSTOP) the replica server
// leading the most partitions of temp — as a long GC pause, a stalled VM
// or a swapped-out process would — until the meta server has made another
// replica primary of one of its partitions and a new value is written
// there. While it is still frozen, a get and a put of that record are
// queued on a connection to it; then it resumes. Its lease ran out long
// before, so neither may be served: the queued get must not return the
// old value, the put must not be acknowledged, and the record reads back
// as the new value, also after the frozen server has rejoined as a
// secondary. A write load runs throughout and every acknowledged write
// must read back.
func TestPausedPrimaryServesNothingStale(t *testing.T) {
	b := startBox(t, hostPausedPrimary)
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	tb := openTable(t, b, onebox.TableName)
	tm := readTimers(t, b)
	parts := waitFullyReplicated(t, ac, onebox.TableName, replicatedWithin)
	appID, _, err := ac.TablePartitions(context.Background(), onebox.TableName)
	if err != nil {
		t.Fatal(err)
	}

	victim := mostPrimaries(parts, b.Replicas)
	name := processOf(t, b, victim)
	led, _ := roles(parts, victim)
	pidx := led[0]
	hk := hashKeysIn("paused", len(parts), []int32{pidx}, 1)[0]
	gpid := base.Gpid{Appid: appID, PartitionIndex: pidx}
	t.Logf("%s (%s) is primary of partitions %v; record %q is in partition %d", name, victim, led, hk, pidx)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tb.Set(ctx, []byte(hk), sortKey, []byte("old")); err != nil {
		t.Fatalf("write the old value: %v", err)
	}
	// A connection of its own to the victim, opened while it runs: the
	// requests queued on it later are the first it reads when it resumes.
	at := directTo(t, ctx, victim, gpid, hk)

	load := startWriteLoad(t, tb, "load", 3)
	load.waitProgress(t, 200, 30*time.Second)
	frozen := time.Now()
	if err := b.Kill(name, syscall.SIGSTOP, 0); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			if err := b.Kill(name, syscall.SIGCONT, 0); err != nil {
				t.Errorf("resume %s: %v", name, err)
			}
		}
	}
	t.Cleanup(resume) // before the box stops, also when the test fails

	newPrimary := waitNewPrimary(t, ac, pidx, victim, frozen.Add(tm.failoverBound()))
	t.Logf("partition %d moved its primary to %s %v after %s froze", pidx, newPrimary, time.Since(frozen).Round(time.Millisecond), name)
	writeNew(t, tb, hk, frozen.Add(tm.failoverBound()))

	// A context of their own: the one above may be near its end by now.
	callCtx, callCancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer callCancel()
	got := make(chan staleOutcome, 2)
	// Each request is sent only once the one before waits, unread, in the
	// frozen server's socket: on resume it reads them in this order.
	unread := func(over int) int {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if n := unreadBytes(t, victim, at.conn.LocalAddr()); n > over {
				return n
			}
			if time.Now().After(deadline) {
				t.Fatalf("no request reached the frozen %s's socket within 10 s", victim)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	go func() {
		value, code, err := at.get(callCtx)
		o := staleOutcome{op: "get", err: err}
		if err == nil {
			o.served = fmt.Sprintf("answered the get: storage error %d, value %q", code, value)
		}
		got <- o
	}()
	queued := unread(0)
	go func() {
		decree, code, err := at.put(callCtx)
		o := staleOutcome{op: "put", err: err}
		if err == nil {
			o.served = fmt.Sprintf("acknowledged the put: storage error %d, decree %d", code, decree)
		}
		got <- o
	}()
	unread(queued)
	resume()
	for range 2 {
		o := <-got
		var refusal *rpc.RemoteError
		switch {
		case o.served != "":
			t.Errorf("the deposed primary %s, resumed, %s", victim, o.served)
		case !errors.As(o.err, &refusal):
			t.Errorf("the deposed primary %s, resumed, gave the queued %s no answer: %v", victim, o.op, o.err)
		default:
			t.Logf("resumed %s refused the queued %s: %v", victim, o.op, o.err)
		}
	}

	load.waitProgress(t, 200, 30*time.Second)
	acked := load.finish(t)
	acked[hk] = want{value: "new", present: true}
	verify(t, tb, acked)
	waitFullyReplicated(t, ac, onebox.TableName, replicatedWithin)
	verify(t, tb, acked)
}

// staleOutcome is how a request queued at the frozen primary ended: an
// error, or an answer. The error must be the server's refusal; any answer
// is wrong: the get's would be the old value, the put's an acknowledged
// write outside the partition's configuration.
type staleOutcome struct {
	op     string
	err    error
	served string // what the answer said; "" if there was none
}

// writeNew sets hk to "new" through the client, retrying until a write is
// acknowledged; it fails the test at deadline.
func writeNew(t *testing.T, tb *client.Table, hk string, deadline time.Time) {
	t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), loadOpTimeout)
		err := tb.Set(ctx, []byte(hk), sortKey, []byte("new"))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("write the new value of %s: %v", hk, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// unreadBytes is how many bytes the TCP socket local (the server's end,
// "ip:port") holds unread from remote, as /proc/net/tcp gives it; 0 if
// there is no such connection.
func unreadBytes(t *testing.T, local, remote string) int {
	t.Helper()
	raw, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatalf("read the kernel's TCP table: %v", err)
	}
	want := [2]string{procAddr(t, local), procAddr(t, remote)}
	for _, line := range strings.Split(string(raw), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 5 || f[1] != want[0] || f[2] != want[1] {
			continue
		}
		_, rx, _ := strings.Cut(f[4], ":") // tx_queue:rx_queue, hex
		n, err := strconv.ParseInt(rx, 16, 64)
		if err != nil {
			t.Fatalf("queue sizes %q in /proc/net/tcp: %v", f[4], err)
		}
		return int(n)
	}
	return 0
}

// procAddr writes an IPv4 "ip:port" as /proc/net/tcp does: the address's
// four bytes as a little-endian hex word, the port as big-endian hex.
func procAddr(t *testing.T, addr string) string {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		t.Fatalf("%q is not an IPv4 address and port: %v", addr, err)
	}
	b := ap.Addr().As4()
	return fmt.Sprintf("%02X%02X%02X%02X:%04X", b[3], b[2], b[1], b[0], ap.Port())
}

// waitNewPrimary polls the meta server until partition pidx of temp has a
// primary other than old, and returns it; it fails the test at deadline.
func waitNewPrimary(t *testing.T, ac *admin.Client, pidx int32, old string, deadline time.Time) string {
	t.Helper()
	for {
		for _, p := range partitions(t, ac, onebox.TableName) {
			if p.Index == pidx && p.Primary != "" && p.Primary != old {
				return p.Primary
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("partition %d still led by %s (or by no one) at the failover bound", pidx, old)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
