package replica

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/server/replica/peerwire"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// testFollower is an in-process follower partition: it re-executes every
// shipped entry on a real storage partition, in the order received, and
// can be told to fail.
type testFollower struct {
	p *storage.Partition

	mu      sync.Mutex
	decree  int64
	ships   int
	entries int
	fail    func(b dupBatch) error // nil: accept everything
	codes   map[string]int
}

func newTestFollower(t *testing.T) *testFollower {
	t.Helper()
	p, err := storage.Open(storage.Options{Dir: filepath.Join(t.TempDir(), "follower")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return &testFollower{p: p, codes: map[string]int{}}
}

func (f *testFollower) PartitionCount() int32 { return 4 }

var opOfRPC = map[string]storage.Op{
	catalog.RPC_RRDB_RRDB_PUT: storage.OpPut, catalog.RPC_RRDB_RRDB_REMOVE: storage.OpRemove,
	catalog.RPC_RRDB_RRDB_MULTI_PUT: storage.OpMultiPut, catalog.RPC_RRDB_RRDB_MULTI_REMOVE: storage.OpMultiRemove,
	catalog.RPC_RRDB_RRDB_INCR: storage.OpIncr, catalog.RPC_RRDB_RRDB_CHECK_AND_SET: storage.OpCheckAndSet,
	catalog.RPC_RRDB_RRDB_CHECK_AND_MUTATE: storage.OpCheckAndMutate,
}

func (f *testFollower) Ship(ctx context.Context, b dupBatch) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(b); err != nil {
			return err
		}
	}
	if b.bytes > maxDupBatchBytes && len(b.entries) > 1 {
		return fmt.Errorf("batch of %d bytes with %d entries", b.bytes, len(b.entries))
	}
	for _, e := range b.entries {
		op, ok := opOfRPC[e.GetTaskCode().Code]
		if !ok || !e.GetVerifyTimetag() || e.GetClusterID() != 3 {
			return fmt.Errorf("bad entry %v", e)
		}
		w, err := decodeWrite(payloadOf(op, e.RawMessage.Bytes()))
		if err != nil {
			return err
		}
		f.decree++
		if _, err := f.p.ApplyAll([]*storage.Mutation{{Decree: f.decree, TimestampUs: e.GetTimestamp(), Writes: []storage.Write{w}}}); err != nil {
			return err
		}
		f.entries++
		f.codes[e.GetTaskCode().Code]++
	}
	f.ships++
	return nil
}

func (f *testFollower) counts() (ships, entries int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ships, f.entries
}

type rowCopy struct {
	key, value string
	expire     uint32
}

func rowsOf(t *testing.T, p *storage.Partition) []rowCopy {
	t.Helper()
	var out []rowCopy
	if err := p.Rows(context.Background(), func(r storage.Row) error {
		out = append(out, rowCopy{string(r.Key), string(r.Value), r.ExpireTs})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

func sameRows(t *testing.T, master, follower *storage.Partition) {
	t.Helper()
	m, f := rowsOf(t, master), rowsOf(t, follower)
	if len(m) != len(f) {
		t.Fatalf("master has %d rows, follower %d", len(m), len(f))
	}
	for i := range m {
		if m[i] != f[i] {
			t.Fatalf("row %d: master %+v, follower %+v", i, m[i], f[i])
		}
	}
}

// dupMaster is a standalone primary replica with its own mutation log.
func dupMaster(t *testing.T) *Replica {
	t.Helper()
	_, r := dupMasterOn(t)
	return r
}

func dupMasterOn(t *testing.T) (*Server, *Replica) {
	t.Helper()
	srv := NewServer(Options{Address: "127.0.0.110:34901", Logger: slog.Default()})
	t.Cleanup(func() { srv.Close() })
	r, err := srv.OpenReplica(base.Gpid{Appid: 7, PartitionIndex: 0}, storage.Options{Dir: filepath.Join(t.TempDir(), "master")}, StatusPrimary)
	if err != nil {
		t.Fatal(err)
	}
	return srv, r
}

func putReq(hk, sk, v string, expire uint32) storage.Write {
	return storage.Write{Op: storage.OpPut, Request: &rrdb.UpdateRequest{
		Key: base.NewBlob(keys.EncodeKey([]byte(hk), []byte(sk))), Value: base.NewBlob([]byte(v)), ExpireTsSeconds: int32(expire)}}
}

func write(t *testing.T, r *Replica, ws ...storage.Write) {
	t.Helper()
	before := r.committed.Load()
	for _, w := range ws {
		if _, err := r.Write(context.Background(), w); err != nil {
			t.Fatalf("write %v: %v", w.Op, err)
		}
	}
	// A write is answered before the loop publishes its decree as
	// committed; caughtUp compares against the published one, so wait for
	// it (each write awaited is a mutation of its own).
	waitFor(t, "the writes' decrees to be published", func() bool { return r.committed.Load() >= before+int64(len(ws)) })
}

// mixedWrites is every kind of write, keyed by round.
func mixedWrites(round int) []storage.Write {
	hk := fmt.Sprintf("h%d", round)
	later := storage.EpochSeconds(time.Now()) + 3600
	return []storage.Write{
		putReq(hk, "a", "va", 0),
		putReq(hk, "ttl", "vt", later),
		putReq(hk, "gone", "x", 0),
		{Op: storage.OpRemove, Request: base.NewBlob(keys.EncodeKey([]byte(hk), []byte("gone")))},
		{Op: storage.OpMultiPut, Request: &rrdb.MultiPutRequest{HashKey: base.NewBlob([]byte(hk + "m")), Kvs: []*rrdb.KeyValue{
			{Key: base.NewBlob([]byte("1")), Value: base.NewBlob([]byte("one"))},
			{Key: base.NewBlob([]byte("2")), Value: base.NewBlob([]byte("two"))},
			{Key: base.NewBlob([]byte("3")), Value: base.NewBlob([]byte("three"))},
		}}},
		{Op: storage.OpMultiRemove, Request: &rrdb.MultiRemoveRequest{HashKey: base.NewBlob([]byte(hk + "m")), SortKeys: []*base.Blob{base.NewBlob([]byte("2"))}}},
		{Op: storage.OpIncr, Request: &rrdb.IncrRequest{Key: base.NewBlob(keys.EncodeKey([]byte(hk), []byte("n"))), Increment: 5}},
		{Op: storage.OpCheckAndSet, Request: &rrdb.CheckAndSetRequest{HashKey: base.NewBlob([]byte(hk)), CheckSortKey: base.NewBlob([]byte("a")),
			CheckType: rrdb.CasCheckType_CT_VALUE_EXIST, SetSortKey: base.NewBlob([]byte("cas")), SetValue: base.NewBlob([]byte("set"))}},
		{Op: storage.OpCheckAndMutate, Request: &rrdb.CheckAndMutateRequest{HashKey: base.NewBlob([]byte(hk)), CheckSortKey: base.NewBlob([]byte("a")),
			CheckType: rrdb.CasCheckType_CT_VALUE_EXIST, MutateList: []*rrdb.Mutate{
				{Operation: rrdb.MutateOperation_MO_PUT, SortKey: base.NewBlob([]byte("cam")), Value: base.NewBlob([]byte("mut"))}}}},
	}
}

func startDup(t *testing.T, r *Replica, f *testFollower, status admin.DuplicationStatus, mode admin.DuplicationFailMode, progress int64) *duplicator {
	t.Helper()
	d := newDuplicator(dupKey{gpid: r.Gpid, dupid: 1}, r, 3, dupSettings{status: status, failMode: mode, remote: "other", remoteApp: "t"}, progress,
		func(context.Context) (dupTarget, error) { return f, nil }, slog.Default())
	d.start()
	t.Cleanup(d.stop)
	return d
}

// waitFor polls cond every 20 ms, failing after a generous bound (the
// bound is a hang guard, not a speed requirement).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 1500; i++ {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func caughtUp(d *duplicator) func() bool {
	return func() bool {
		c, _ := d.progress()
		return c >= d.r.committed.Load()
	}
}

func TestDupConvertEveryWriteAndSkipDuplicates(t *testing.T) {
	var m struct {
		updates [][]byte
		want    []string
	}
	for _, w := range mixedWrites(1) {
		p, err := encodeWrite(w)
		if err != nil {
			t.Fatal(err)
		}
		name, _, _ := ClientWrite(p)
		m.updates = append(m.updates, p)
		m.want = append(m.want, name)
	}
	// A write another cluster shipped here is not shipped again.
	m.updates = append(m.updates, append([]byte{OpDuplicate}, 1, 2, 3))
	mut := pacifica.Mutation{Ballot: 1, Decree: 42, TimestampUs: 1700000000123456, Updates: m.updates}
	got, err := convertMutation(mut, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(m.want) {
		t.Fatalf("%d entries from %d client writes", len(got), len(m.want))
	}
	for i, e := range got {
		if e.entry.GetTaskCode().Code != m.want[i] || e.decree != 42 || e.entry.GetTimestamp() != 1700000000123456 ||
			e.entry.GetClusterID() != 3 || !e.entry.GetVerifyTimetag() || !bytes.Equal(e.entry.RawMessage.Bytes(), m.updates[i][1:]) {
			t.Fatalf("entry %d: %+v", i, e.entry)
		}
	}
	if got[0].hash != keys.PartitionHash([]byte("h1")) || got[4].hash != keys.PartitionHash([]byte("h1m")) {
		t.Fatalf("hashes: put %x, multi_put %x", got[0].hash, got[4].hash)
	}
	if _, err := convertMutation(pacifica.Mutation{Decree: 43, Updates: [][]byte{{99, 1}}}, 3, nil); !errors.Is(err, errBadPayload) {
		t.Fatalf("unknown op: %v", err)
	}
}

func TestDupBatchesKeepHashOrderAndSize(t *testing.T) {
	var es []shippedEntry
	for i := 0; i < 200; i++ {
		hk := []byte(fmt.Sprintf("k%d", i%7))
		ts := int64(i)
		es = append(es, shippedEntry{hash: keys.PartitionHash(hk), size: 100 + i, entry: &rrdb.DuplicateEntry{Timestamp: &ts}})
	}
	big := int64(1000)
	es = append(es, shippedEntry{hash: es[0].hash, size: 10000, entry: &rrdb.DuplicateEntry{Timestamp: &big}})
	groups := batchEntries(es, 4)
	seen := 0
	for _, g := range groups {
		last := int64(-1)
		idx := keys.PartitionIndex(g[0].hash, 4)
		for _, b := range g {
			if b.bytes > maxDupBatchBytes && len(b.entries) > 1 {
				t.Fatalf("batch of %d bytes holds %d entries", b.bytes, len(b.entries))
			}
			for _, e := range b.entries {
				if e.GetTimestamp() <= last {
					t.Fatalf("order broken in partition %d: %d after %d", idx, e.GetTimestamp(), last)
				}
				last = e.GetTimestamp()
				seen++
			}
			if keys.PartitionIndex(b.hash, 4) != idx {
				t.Fatalf("batch routed to another partition")
			}
		}
	}
	if seen != len(es) {
		t.Fatalf("%d entries batched of %d", seen, len(es))
	}
}

// TestDuplicatorSnapshotThenLog: DS_APP ships every live row with its TTL,
// then DS_LOG ships every later write; the follower ends equal to the
// master, and confirmed reaches the last committed decree.
func TestDuplicatorSnapshotThenLog(t *testing.T) {
	r := dupMaster(t)
	f := newTestFollower(t)
	for i := 0; i < 50; i++ {
		write(t, r, mixedWrites(i)...)
	}
	d := startDup(t, r, f, admin.DuplicationStatus_DS_APP, admin.DuplicationFailMode_FAIL_SLOW, -1)
	waitFor(t, "the snapshot", func() bool { _, done := d.progress(); return done })
	d0, _ := d.progress()
	if d0 < 1 {
		t.Fatalf("snapshot decree %d", d0)
	}
	if _, n := f.counts(); f.codes[catalog.RPC_RRDB_RRDB_PUT] != n {
		t.Fatalf("a snapshot ships puts only: %v", f.codes)
	}
	if d0 == r.committed.Load() {
		sameRows(t, r.Storage(), f.p)
	}
	d.update(dupSettings{status: admin.DuplicationStatus_DS_LOG, remote: "other", remoteApp: "t"}, d0)
	for i := 50; i < 80; i++ {
		write(t, r, mixedWrites(i)...)
	}
	waitFor(t, "the log to be shipped", caughtUp(d))
	sameRows(t, r.Storage(), f.p)
	for _, code := range []string{catalog.RPC_RRDB_RRDB_REMOVE, catalog.RPC_RRDB_RRDB_MULTI_PUT, catalog.RPC_RRDB_RRDB_MULTI_REMOVE,
		catalog.RPC_RRDB_RRDB_INCR, catalog.RPC_RRDB_RRDB_CHECK_AND_SET, catalog.RPC_RRDB_RRDB_CHECK_AND_MUTATE} {
		if f.codes[code] != 30 {
			t.Fatalf("%s shipped %d times, want 30 (%v)", code, f.codes[code], f.codes)
		}
	}
}

// TestDuplicatorPauseResumeRestart: a paused pipeline ships nothing and
// keeps its progress; resumed, it drains; a new pipeline given the
// confirmed decree (a restart, or a new primary) continues after it
// without shipping anything twice.
func TestDuplicatorPauseResumeRestart(t *testing.T) {
	r := dupMaster(t)
	f := newTestFollower(t)
	d := startDup(t, r, f, admin.DuplicationStatus_DS_LOG, admin.DuplicationFailMode_FAIL_SLOW, -1)
	waitFor(t, "the pipeline to start", func() bool { c, _ := d.progress(); return c >= 0 })
	write(t, r, mixedWrites(0)...)
	waitFor(t, "the first writes", caughtUp(d))
	_, shipped := f.counts()
	if shipped != 9 {
		t.Fatalf("%d entries shipped for 9 writes", shipped)
	}

	logSettings := dupSettings{status: admin.DuplicationStatus_DS_LOG, remote: "other", remoteApp: "t"}
	paused := logSettings
	paused.status = admin.DuplicationStatus_DS_PAUSE
	d.update(paused, -1)
	before, _ := d.progress()
	write(t, r, mixedWrites(1)...)
	// Several idle rounds of the pipeline go by: nothing may move.
	for i := 0; i < 5; i++ {
		d.poke()
		time.Sleep(dupIdleWait)
	}
	if c, _ := d.progress(); c != before {
		t.Fatalf("paused pipeline moved from %d to %d", before, c)
	}
	if _, n := f.counts(); n != shipped {
		t.Fatalf("paused pipeline shipped %d entries", n-shipped)
	}
	d.update(logSettings, -1)
	waitFor(t, "the paused writes to drain", caughtUp(d))
	sameRows(t, r.Storage(), f.p)

	confirmed, _ := d.progress()
	d.stop()
	_, shipped = f.counts()
	d2 := startDup(t, r, f, admin.DuplicationStatus_DS_LOG, admin.DuplicationFailMode_FAIL_SLOW, confirmed)
	write(t, r, mixedWrites(2)...)
	waitFor(t, "the restarted pipeline", caughtUp(d2))
	if _, n := f.counts(); n-shipped != 9 {
		t.Fatalf("restarted pipeline shipped %d entries for 9 new writes", n-shipped)
	}
	sameRows(t, r.Storage(), f.p)
}

// TestDuplicatorFailModes: FAIL_SLOW retries until the follower takes the
// writes; FAIL_SKIP gives up the failing decrees and goes on; FAIL_FAST
// puts the replica in error.
func TestDuplicatorFailModes(t *testing.T) {
	t.Run("slow", func(t *testing.T) {
		r := dupMaster(t)
		f := newTestFollower(t)
		failures := 2
		f.fail = func(dupBatch) error {
			if failures > 0 {
				failures--
				return errors.New("follower unavailable")
			}
			return nil
		}
		d := startDup(t, r, f, admin.DuplicationStatus_DS_LOG, admin.DuplicationFailMode_FAIL_SLOW, 0)
		write(t, r, mixedWrites(0)...)
		waitFor(t, "the retried writes", caughtUp(d))
		sameRows(t, r.Storage(), f.p)
		if d.failures.Load() != 2 {
			t.Fatalf("%d failures counted", d.failures.Load())
		}
	})
	t.Run("skip", func(t *testing.T) {
		r := dupMaster(t)
		f := newTestFollower(t)
		f.fail = func(b dupBatch) error {
			for _, e := range b.entries {
				if bytes.Contains(e.RawMessage.Bytes(), []byte("poison")) {
					return errors.New("follower refuses")
				}
			}
			return nil
		}
		d := startDup(t, r, f, admin.DuplicationStatus_DS_LOG, admin.DuplicationFailMode_FAIL_SKIP, 0)
		write(t, r, putReq("p", "s", "poison", 0))
		waitFor(t, "the poisoned decree to be skipped", caughtUp(d))
		if n := d.failures.Load(); n != dupSkipAttempts {
			t.Fatalf("skipped after %d failures, want %d", n, dupSkipAttempts)
		}
		write(t, r, putReq("q", "s", "fine", 0))
		waitFor(t, "the next write", caughtUp(d))
		rows := rowsOf(t, f.p)
		if len(rows) != 1 || rows[0].value != "fine" {
			t.Fatalf("follower rows %+v", rows)
		}
	})
	t.Run("fast", func(t *testing.T) {
		r := dupMaster(t)
		f := newTestFollower(t)
		f.fail = func(dupBatch) error { return errors.New("follower refuses") }
		startDup(t, r, f, admin.DuplicationStatus_DS_LOG, admin.DuplicationFailMode_FAIL_FAST, 0)
		write(t, r, putReq("p", "s", "v", 0))
		waitFor(t, "the replica to fail", func() bool { return r.Status() == StatusError })
	})
}

// TestDuplicatorLogGapShipsSnapshot: when the log no longer holds the
// decrees after confirmed, the pipeline catches the follower up with a
// snapshot instead of stalling.
func TestDuplicatorLogGapShipsSnapshot(t *testing.T) {
	r := dupMaster(t)
	f := newTestFollower(t)
	for i := 0; i < 20; i++ {
		write(t, r, mixedWrites(i)...)
	}
	// Drop the log's first segment: its decrees are gone.
	// Roll the standalone log's 32 MiB segment, then collect it.
	big := string(bytes.Repeat([]byte("x"), 1<<20))
	for i := 0; i < 34; i++ {
		write(t, r, putReq("roll", fmt.Sprint(i), big, 0))
	}
	upTo := r.committed.Load()
	if n, err := r.mlog.GC(func(base.Gpid) int64 { return upTo }); err != nil || n == 0 {
		t.Fatalf("log gc removed %d segments (%v)", n, err)
	}
	d := startDup(t, r, f, admin.DuplicationStatus_DS_LOG, admin.DuplicationFailMode_FAIL_SLOW, 0)
	waitFor(t, "the follower to catch up", caughtUp(d))
	sameRows(t, r.Storage(), f.p)
}

// TestRetention: a duplicating replica's log is kept above its confirmed
// decree (everything while unknown), and released when the table no
// longer duplicates.
func TestRetention(t *testing.T) {
	r := dupMaster(t)
	if got := r.retainedFrom(); got < 1<<62 {
		t.Fatalf("not duplicating: retained from %d", got)
	}
	r.cfgMu.Lock()
	r.state.Duplicating = true
	r.cfgMu.Unlock()
	if got := r.retainedFrom(); got != 0 {
		t.Fatalf("confirmed unknown: retained from %d, want 0", got)
	}
	r.dupConfirmed.Store(17)
	if got := r.retainedFrom(); got != 17 {
		t.Fatalf("retained from %d, want 17", got)
	}
	var e peerwire.Envelope
	r.withDupConfirmed(&e)
	if e.DupConfirmed == nil || *e.DupConfirmed != 17 {
		t.Fatalf("group check carries %v", e.DupConfirmed)
	}
	r.cfgMu.Lock()
	r.state.Duplicating = false
	r.cfgMu.Unlock()
	if got := r.retainedFrom(); got < 1<<62 {
		t.Fatalf("removed: retained from %d", got)
	}
}

// TestLearnerStepBack: a learner of a duplicating partition receives the
// primary's log from confirmed+1 up to the checkpoint with the checkpoint,
// appends it after the later decrees it already logged, and a duplication
// reader on it still gets every decree from confirmed+1 in order.
func TestLearnerStepBack(t *testing.T) {
	primary := dupMaster(t)
	for i := 0; i < 10; i++ {
		write(t, primary, mixedWrites(i)...)
	}
	upTo := primary.committed.Load()
	const confirmed = 20
	primary.dupConfirmed.Store(confirmed)
	primary.dupActive.Store(true)
	dir := t.TempDir()
	if err := primary.writeStepBack(dir, upTo); err != nil {
		t.Fatal(err)
	}

	// The learner: same partition on another server, which logged the
	// prepares past the checkpoint while it was copying.
	srv := NewServer(Options{Address: "127.0.0.111:34901", Logger: slog.Default()})
	t.Cleanup(func() { srv.Close() })
	learner, err := srv.OpenReplica(primary.Gpid, storage.Options{Dir: filepath.Join(t.TempDir(), "learner")}, StatusInactive)
	if err != nil {
		t.Fatal(err)
	}
	later := []pacifica.Mutation{}
	for d := upTo + 1; d <= upTo+5; d++ {
		p, err := encodeWrite(putReq("later", fmt.Sprint(d), "v", 0))
		if err != nil {
			t.Fatal(err)
		}
		later = append(later, pacifica.Mutation{Ballot: 3, Decree: d, TimestampUs: d, Updates: [][]byte{p}})
	}
	if err := learner.logEntries(later); err != nil {
		t.Fatal(err)
	}
	if err := learner.takeStepBack(dir); err != nil {
		t.Fatal(err)
	}
	lr := newLogReader(learner, confirmed+1)
	var got []int64
	for i := 0; i < 100 && len(got) < int(upTo+5-confirmed); i++ {
		ms, err := lr.load(upTo+5, 16, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			got = append(got, m.Decree)
		}
	}
	for i, d := range got {
		if d != confirmed+1+int64(i) {
			t.Fatalf("decrees %v: want %d.. without gaps", got, confirmed+1)
		}
	}
	if int64(len(got)) != upTo+5-confirmed {
		t.Fatalf("read %d decrees, want %d", len(got), upTo+5-confirmed)
	}
	// The step-back entries are the primary's: converting them gives what
	// the primary would have shipped.
	plr := newLogReader(primary, confirmed+1)
	pms, err := plr.load(upTo, 1000, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	lms, err := newLogReader(learner, confirmed+1).load(upTo, 1000, 1<<30)
	if err != nil || len(lms) != len(pms) {
		t.Fatalf("learner has %d of the primary's %d mutations (%v)", len(lms), len(pms), err)
	}
	for i := range pms {
		if pms[i].Decree != lms[i].Decree || len(pms[i].Updates) != len(lms[i].Updates) {
			t.Fatalf("mutation %d differs", i)
		}
	}
}

// BenchmarkDuplicatorDrain measures how fast a pipeline drains a backlog
// of logged puts (100-byte values) to an in-process follower: b.N writes
// are made while it is paused, then it is resumed and timed until the
// follower confirmed them all.
func BenchmarkDuplicatorDrain(b *testing.B) {
	r := dupMasterB(b)
	f := newTestFollowerB(b)
	d := newDuplicator(dupKey{gpid: r.Gpid, dupid: 1}, r, 3,
		dupSettings{status: admin.DuplicationStatus_DS_PAUSE, remote: "other", remoteApp: "t"}, r.committed.Load(),
		func(context.Context) (dupTarget, error) { return f, nil }, slog.New(slog.DiscardHandler))
	d.start()
	defer d.stop()
	value := string(bytes.Repeat([]byte("v"), 100))
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < b.N; i += 16 {
				if _, err := r.Write(context.Background(), putReq(fmt.Sprintf("h%d", i%1000), fmt.Sprint(i), value, 0)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ResetTimer()
	d.update(dupSettings{status: admin.DuplicationStatus_DS_LOG, remote: "other", remoteApp: "t"}, -1)
	for i := 0; ; i++ {
		if c, _ := d.progress(); c >= r.committed.Load() {
			break
		}
		if i > 600000 {
			b.Fatal("pipeline did not drain")
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	if _, n := f.counts(); n < b.N {
		b.Fatalf("%d entries shipped of %d", n, b.N)
	}
}

func dupMasterB(b *testing.B) *Replica {
	srv := NewServer(Options{Address: "127.0.0.112:34901", Logger: slog.New(slog.DiscardHandler)})
	b.Cleanup(func() { srv.Close() })
	r, err := srv.OpenReplica(base.Gpid{Appid: 7, PartitionIndex: 0}, storage.Options{Dir: filepath.Join(b.TempDir(), "master")}, StatusPrimary)
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func newTestFollowerB(b *testing.B) *testFollower {
	p, err := storage.Open(storage.Options{Dir: filepath.Join(b.TempDir(), "follower")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return &testFollower{p: p, codes: map[string]int{}}
}

// TestApplyDupMap: the registry starts a pipeline per (primary replica,
// non-removed duplication of its table) with the meta's progress, updates
// it, and stops it when the duplication leaves the map; the log's GC
// retention follows (kept above the confirmed decree, released after).
func TestApplyDupMap(t *testing.T) {
	srv, r := dupMasterOn(t)
	write(t, r, mixedWrites(0)...)
	n := &Node{srv: srv, dups: newDupRegistry(), log: slog.Default(), closed: map[base.Gpid]storedReplica{}}
	defer n.stopDuplicators()
	r.durable.Store(r.committed.Load())
	entry := func(st admin.DuplicationStatus, progress int64) map[int32]map[int32]*admin.DuplicationEntry {
		return map[int32]map[int32]*admin.DuplicationEntry{r.Gpid.Appid: {
			5: {Dupid: 5, Status: st, Remote: "other", Progress: map[int32]int64{r.Gpid.PartitionIndex: progress}},
			6: {Dupid: 6, Status: admin.DuplicationStatus_DS_REMOVED, Remote: "other"},
		}}
	}
	n.applyDupMap(entry(admin.DuplicationStatus_DS_PAUSE, 3))
	ds := n.duplicators()
	if len(ds) != 1 || ds[0].key.dupid != 5 {
		t.Fatalf("pipelines %v", ds)
	}
	if c, _ := ds[0].progress(); c != 3 {
		t.Fatalf("confirmed %d, want the meta's 3", c)
	}
	durable := n.durableDecrees()
	if got := durable(r.Gpid); got != 3 {
		t.Fatalf("log may drop up to %d, want 3 (the confirmed decree)", got)
	}
	// The meta's progress only moves a pipeline forward.
	n.applyDupMap(entry(admin.DuplicationStatus_DS_PAUSE, 2))
	if c, _ := n.duplicators()[0].progress(); c != 3 || n.duplicators()[0] != ds[0] {
		t.Fatalf("confirmed %d after a lower progress", c)
	}
	confirms := n.dupConfirms()
	if len(confirms) != 1 || confirms[0].Confirms[0].ConfirmedDecree != 3 || confirms[0].Confirms[0].GetLastCommittedDecree() != r.committed.Load() {
		t.Fatalf("sync report %v", confirms)
	}
	n.applyDupMap(map[int32]map[int32]*admin.DuplicationEntry{})
	if len(n.duplicators()) != 0 {
		t.Fatal("pipeline kept after its duplication left the map")
	}
	if got := durable(r.Gpid); got != r.committed.Load() {
		t.Fatalf("log may drop up to %d after removal, want the durable %d", got, r.committed.Load())
	}
}
