package replication

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/bench"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/test/testbox"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// TestPrimaryCutOffFromMeta separates a running primary from the meta
// server while clients and its peers still reach it: the partition that
// lease-based PacificA exists for. The server keeps running and keeps
// getting requests; only its beacons go unanswered. It must stop serving
// when its lease runs out, which is before the meta server's grace period
// ends and another replica becomes primary: by the time the test sees the
// new primary, a read sent straight to the old one is refused, and after a
// new value is written through the new primary, neither a read nor a write
// at the old one is served. When the link comes back the server rejoins
// as a secondary. A checked load runs throughout on a second table: no
// acknowledged write may be lost and no read may return a value that was
// never acknowledged or was overwritten. The test needs root (it builds a
// network namespace, netcut_test.go) and skips itself without it.
func TestPrimaryCutOffFromMeta(t *testing.T) {
	n := newCutNet(t)
	b := &onebox.Box{
		Dir:      filepath.Join(t.TempDir(), "onebox"),
		Binary:   serverBinary,
		Meta:     n.Meta + ":34601",
		Replicas: []string{n.Isolated + ":34801", n.Host + ":34802", n.Host + ":34803"},
		NetNS:    map[string]string{"replica1": n.ns},
	}
	testbox.Start(t, b, 90*time.Second, nil)
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	tb := openTable(t, b, onebox.TableName)
	tm := readTimers(t, b)
	parts := waitFullyReplicated(t, ac, onebox.TableName, replicatedWithin)
	appID, _, err := ac.TablePartitions(context.Background(), onebox.TableName)
	if err != nil {
		t.Fatal(err)
	}
	victim := b.Replicas[0]
	led, _ := roles(parts, victim)
	if len(led) == 0 {
		t.Fatalf("%s leads no partition of %s: nothing to cut off", victim, onebox.TableName)
	}
	pidx := led[0]
	hk := hashKeysIn("cutoff", len(parts), []int32{pidx}, 1)[0]
	t.Logf("%s is primary of partitions %v; record %q is in partition %d", victim, led, hk, pidx)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tb.Set(ctx, []byte(hk), sortKey, []byte("old")); err != nil {
		t.Fatalf("write the old value: %v", err)
	}
	at := directTo(t, ctx, victim, base.Gpid{Appid: appID, PartitionIndex: pidx}, hk)
	if got, code, err := at.get(ctx); err != nil || code != 0 || got != "old" {
		t.Fatalf("before the cut, %s answered the read with %q (storage error %d), %v; want \"old\"", victim, got, code, err)
	}

	// The load goes to a table of its own, so that the record's partition
	// sees no writes but the test's: the old primary then has no prepare
	// of its own bounced by a secondary that moved on, which would tell it
	// early that it was deposed, and only its lease stands between it and
	// a stale read.
	createCtx, createCancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer createCancel()
	if _, err := ac.CreateTableWith(createCtx, "cutload", admin.CreateOptions{Partitions: 8, Replicas: 3, FailIfExist: true}); err != nil {
		t.Fatalf("create table cutload: %v", err)
	}
	if err := ac.WaitReady(createCtx, "cutload", 200*time.Millisecond, nil); err != nil {
		t.Fatalf("table cutload not ready: %v", err)
	}
	load := testbox.StartLoad(t, bench.Config{
		MetaServers: b.MetaServers(), Table: "cutload", Op: "mixed", ReadRatio: 0.5,
		Workers: 8, ValueSize: 128, Keys: 4000, Duration: 10 * time.Minute, Rate: 300,
		Timeout: 30 * time.Second, Seed: time.Now().UnixNano(),
	})
	// Writes to the cut-off server's partitions fail until they move.
	load.FailuresExpected = true
	time.Sleep(2 * time.Second)

	cut := time.Now()
	if err := n.Cut(); err != nil {
		t.Fatal(err)
	}
	healed := false
	heal := func() {
		if !healed {
			healed = true
			if err := n.Heal(); err != nil {
				t.Errorf("heal the cut: %v", err)
			}
		}
	}
	t.Cleanup(heal) // before the box stops, also when the test fails

	// Poll both sides until the meta server has named another primary and
	// the old one refuses reads. A read the old primary serves after the
	// test has seen the new one is a read served by a deposed primary: its
	// lease should have run out before the meta's grace period did.
	var newPrimary string
	var newSeen, refused, lastServed time.Time
	deadline := cut.Add(tm.failoverBound())
	for newSeen.IsZero() || refused.IsZero() {
		if newPrimary == "" {
			for _, p := range partitions(t, ac, onebox.TableName) {
				if p.Index == pidx && p.Primary != "" && p.Primary != victim {
					newPrimary, newSeen = p.Primary, time.Now()
				}
			}
		}
		callCtx, callCancel := context.WithTimeout(context.Background(), 5*time.Second)
		got, code, err := at.get(callCtx)
		callCancel()
		var refusal *rpc.RemoteError
		switch {
		case errors.As(err, &refusal):
			if refused.IsZero() {
				refused = time.Now()
				t.Logf("%s refused reads %v after the cut: %v", victim, refused.Sub(cut).Round(time.Millisecond), err)
			}
		case err != nil:
			t.Fatalf("read at the cut-off %s: %v (want a value or a refusal)", victim, err)
		case !newSeen.IsZero():
			t.Fatalf("the cut-off %s served a read (%q, storage error %d) %v after the meta server had named %s primary of partition %d",
				victim, got, code, time.Since(newSeen).Round(time.Millisecond), newPrimary, pidx)
		case code != 0 || got != "old":
			t.Fatalf("the cut-off %s read %q (storage error %d), want \"old\"", victim, got, code)
		default:
			lastServed = time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v after the cut: new primary %q, refused %v, last served %v after the cut",
				time.Since(cut).Round(time.Millisecond), newPrimary, !refused.IsZero(), lastServed.Sub(cut).Round(time.Millisecond))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("partition %d moved its primary to %s %v after the cut; %s had served its last read %v after it",
		pidx, newPrimary, newSeen.Sub(cut).Round(time.Millisecond), victim, lastServed.Sub(cut).Round(time.Millisecond))
	writeNew(t, tb, hk, cut.Add(tm.failoverBound()))
	// Neither a read nor a write may be served by the deposed primary now.
	callCtx, callCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer callCancel()
	var refusal *rpc.RemoteError
	if got, code, err := at.get(callCtx); err == nil {
		t.Errorf("the deposed primary %s answered a get: %q, storage error %d", victim, got, code)
	} else if !errors.As(err, &refusal) {
		t.Errorf("the deposed primary %s gave a get no answer: %v", victim, err)
	}
	if decree, code, err := at.put(callCtx); err == nil {
		t.Errorf("the deposed primary %s acknowledged a put: decree %d, storage error %d", victim, decree, code)
	} else if !errors.As(err, &refusal) {
		t.Errorf("the deposed primary %s gave a put no answer: %v", victim, err)
	}
	// Some load while the old primary is still cut off.
	time.Sleep(3 * time.Second)

	heal()
	parts = waitFullyReplicated(t, ac, onebox.TableName, 2*replicatedWithin)
	t.Logf("%s rejoined; every partition has three replicas again %v after the cut", victim, time.Since(cut).Round(time.Millisecond))
	time.Sleep(2 * time.Second) // some load on the healed box
	load.Finish(t)

	verify(t, tb, map[string]want{hk: {value: "new", present: true}})
	// And straight from whichever server leads the partition now.
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, p := range parts {
		if p.Index != pidx {
			continue
		}
		now := directTo(t, ctx, p.Primary, base.Gpid{Appid: appID, PartitionIndex: pidx}, hk)
		if got, code, err := now.get(ctx); err != nil || code != 0 || got != "new" {
			t.Errorf("partition %d's primary %s read %q (storage error %d), %v; want \"new\"", pidx, p.Primary, got, code, err)
		}
	}
}

// direct sends requests for one record straight to one replica server,
// bypassing the client's routing.
type direct struct {
	conn *rpc.Conn
	h    wire.Header
	key  *base.Blob
}

// directTo opens a connection of the test's own to addr for record
// (hk, sortKey) of partition gpid; it is closed when the test ends.
func directTo(t *testing.T, ctx context.Context, addr string, gpid base.Gpid, hk string) *direct {
	t.Helper()
	conn, err := rpc.Dial(ctx, addr, rpc.ConnOptions{})
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &direct{
		conn: conn,
		h:    wire.Header{AppID: gpid.Appid, PartitionIndex: gpid.PartitionIndex, PartitionHash: keys.PartitionHash([]byte(hk))},
		key:  base.NewBlob(keys.EncodeKey([]byte(hk), sortKey)),
	}
}

// get reads the record: the value and storage error code the server
// answered, or the call's error (a refusal is an *rpc.RemoteError).
func (d *direct) get(ctx context.Context) (value string, code int32, err error) {
	res := rrdb.NewRrdbGetResult()
	if err := d.conn.Call(ctx, d.h, catalog.RPC_RRDB_RRDB_GET, &rrdb.RrdbGetArgs{Key: d.key}, res); err != nil {
		return "", 0, err
	}
	return string(res.Success.GetValue().Bytes()), res.Success.GetError(), nil
}

// put writes "stale" to the record: the decree and storage error code the
// server answered, or the call's error.
func (d *direct) put(ctx context.Context) (decree int64, code int32, err error) {
	res := rrdb.NewRrdbPutResult()
	args := &rrdb.RrdbPutArgs{Update: &rrdb.UpdateRequest{Key: d.key, Value: base.NewBlob([]byte("stale"))}}
	if err := d.conn.Call(ctx, d.h, catalog.RPC_RRDB_RRDB_PUT, args, res); err != nil {
		return 0, 0, err
	}
	return res.Success.GetDecree(), res.Success.GetError(), nil
}
