package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/rocksdb"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// testEpoch is the manual clock's starting time: 1000 s after the Pegasus
// epoch, so expire_ts values in tests are small numbers.
var testEpoch = time.Unix(PegasusEpochOffset+1000, 0)

// fixture is an open partition with a manual clock and a decree counter.
type fixture struct {
	t      testing.TB
	p      *Partition
	clock  *ManualClock
	dir    string
	opts   Options
	decree int64
}

func testOptions(dir string, clock Clock) Options {
	return Options{
		Dir:            dir,
		Engine:         rocksdb.Options{BlockCacheBytes: 8 << 20, WriteBufferBytes: 4 << 20, DisableWAL: true},
		Clock:          clock,
		AppID:          3,
		PartitionIndex: 1,
		Server:         "127.0.0.1:34801",
	}
}

func newFixture(t testing.TB, tweak ...func(*Options)) *fixture {
	t.Helper()
	clock := NewManualClock(testEpoch)
	dir := filepath.Join(t.TempDir(), "rdb")
	opts := testOptions(dir, clock)
	for _, f := range tweak {
		f(&opts)
	}
	f := &fixture{t: t, clock: clock, dir: dir, opts: opts}
	f.open()
	t.Cleanup(func() { f.p.Close() })
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	p, err := Open(f.opts)
	if err != nil {
		f.t.Fatalf("Open: %v", err)
	}
	f.p = p
	f.decree = p.LastAppliedDecree()
}

func (f *fixture) reopen() {
	f.t.Helper()
	if err := f.p.Close(); err != nil {
		f.t.Fatalf("Close: %v", err)
	}
	f.open()
}

// nowEpoch is the clock's time in Pegasus epoch seconds.
func (f *fixture) nowEpoch() int32 { return int32(EpochSeconds(f.clock.Now())) }

// apply applies writes as one mutation stamped with the clock's time.
func (f *fixture) apply(writes ...Write) []any {
	f.t.Helper()
	f.decree++
	resps, err := f.p.Apply(&Mutation{Decree: f.decree, TimestampUs: f.clock.Now().UnixMicro(), Writes: writes})
	if err != nil {
		f.t.Fatalf("Apply decree %d: %v", f.decree, err)
	}
	return resps
}

func (f *fixture) put(hash, sort, value string, expireTs int32) *rrdb.UpdateResponse {
	f.t.Helper()
	return f.apply(putW(hash, sort, value, expireTs))[0].(*rrdb.UpdateResponse)
}

func (f *fixture) get(hash, sort string) *rrdb.ReadResponse {
	return f.p.Get(context.Background(), key(hash, sort))
}

func blob(s string) *base.Blob { return &base.Blob{Data: []byte(s)} }

func key(hash, sort string) []byte { return keys.EncodeKey([]byte(hash), []byte(sort)) }

func putW(hash, sort, value string, expireTs int32) Write {
	return Write{Op: OpPut, Request: &rrdb.UpdateRequest{Key: &base.Blob{Data: key(hash, sort)}, Value: blob(value), ExpireTsSeconds: expireTs}}
}

func removeW(hash, sort string) Write {
	return Write{Op: OpRemove, Request: &base.Blob{Data: key(hash, sort)}}
}

func incrW(hash, sort string, inc int64, expireTs int32) Write {
	return Write{Op: OpIncr, Request: &rrdb.IncrRequest{Key: &base.Blob{Data: key(hash, sort)}, Increment: inc, ExpireTsSeconds: expireTs}}
}

func multiPutW(hash string, expireTs int32, kv ...string) Write {
	req := &rrdb.MultiPutRequest{HashKey: blob(hash), ExpireTsSeconds: expireTs, Kvs: []*rrdb.KeyValue{}}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Kvs = append(req.Kvs, &rrdb.KeyValue{Key: blob(kv[i]), Value: blob(kv[i+1])})
	}
	return Write{Op: OpMultiPut, Request: req}
}

func multiRemoveW(hash string, sorts ...string) Write {
	req := &rrdb.MultiRemoveRequest{HashKey: blob(hash), SortKeys: []*base.Blob{}}
	for _, s := range sorts {
		req.SortKeys = append(req.SortKeys, blob(s))
	}
	return Write{Op: OpMultiRemove, Request: req}
}

// kvStrings renders key_values as "key=value" strings.
func kvStrings(kvs []*rrdb.KeyValue) []string {
	out := make([]string, 0, len(kvs))
	for _, kv := range kvs {
		out = append(out, string(kv.Key.Bytes())+"="+string(kv.Value.Bytes()))
	}
	return out
}

// fullScanRequest scans the whole partition the way clients do.
func fullScanRequest() *rrdb.GetScannerRequest {
	return &rrdb.GetScannerRequest{
		StartKey: &base.Blob{Data: []byte{0, 0}}, StartInclusive: true,
		StopKey: &base.Blob{Data: []byte{0xFF, 0xFF}}, StopInclusive: false,
		HashKeyFilterPattern: &base.Blob{}, SortKeyFilterPattern: &base.Blob{},
	}
}

var rrdbMultiGetAll = rrdb.MultiGetRequest{HashKey: &base.Blob{Data: []byte("h")}}

func scanReq(id int64) *rrdb.ScanRequest { return &rrdb.ScanRequest{ContextID: id} }
