package storage

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// scanAll runs a scan to completion and returns every batch's records.
func scanAll(t *testing.T, p *Partition, req *rrdb.GetScannerRequest) (batches [][]string, ids []int64) {
	t.Helper()
	ctx := t.Context()
	r := p.GetScanner(ctx, req)
	for i := 0; ; i++ {
		if r.Error != 0 {
			t.Fatalf("batch %d: error %d", i, r.Error)
		}
		batches = append(batches, kvStrings(r.Kvs))
		ids = append(ids, r.ContextID)
		if r.ContextID == ScanContextCompleted {
			return batches, ids
		}
		if r.ContextID < 0 || i > 100 {
			t.Fatalf("batch %d: context id %d", i, r.ContextID)
		}
		r = p.Scan(ctx, &rrdb.ScanRequest{ContextID: r.ContextID})
	}
}

func hashScanRequest(hash string, batch int32) *rrdb.GetScannerRequest {
	req := fullScanRequest()
	req.StartKey = &base.Blob{Data: keys.EncodeKey([]byte(hash), nil)}
	req.StopKey = &base.Blob{Data: keys.EncodeKey([]byte(hash), []byte{0xFF, 0xFF})}
	req.BatchSize = batch
	return req
}

func fk(hash, sort, value string) string { return string(key(hash, sort)) + "=" + value }

func TestScannerPaging(t *testing.T) {
	f := newFixture(t)
	var kv, want []string
	for i := 0; i < 25; i++ {
		s := fmt.Sprintf("s%02d", i)
		kv = append(kv, s, "v"+s)
		want = append(want, fk("h", s, "v"+s))
	}
	f.apply(multiPutW("h", 0, kv...), multiPutW("i", 0, "x", "y"))
	batches, ids := scanAll(t, f.p, hashScanRequest("h", 10))
	if len(batches) != 3 || len(batches[0]) != 10 || len(batches[1]) != 10 || len(batches[2]) != 5 {
		t.Fatalf("batches %v", batches)
	}
	if got := slices.Concat(batches...); !slices.Equal(got, want) {
		t.Fatalf("records %v", got)
	}
	if ids[0] == ids[1] || ids[0] < 0 || ids[1] < 0 {
		t.Fatalf("context ids %v", ids)
	}
	// A batch that stops exactly at the range end keeps a context while the
	// iterator has more (here: hash key "i"); the next SCAN ends the scan.
	batches, ids = scanAll(t, f.p, hashScanRequest("h", 25))
	if len(batches) != 2 || len(batches[0]) != 25 || len(batches[1]) != 0 || ids[1] != -1 {
		t.Fatalf("exact batches %v ids %v", batches, ids)
	}
	if n := f.p.scanners.len(); n != 0 {
		t.Fatalf("%d contexts left", n)
	}
}

func TestScannerRequestOptions(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxIterationCount = 5 })
	now := f.nowEpoch()
	f.apply(
		multiPutW("ab", 0, "1", "a", "2", "b"),
		multiPutW("ac", now+100, "1", "c"),
		multiPutW("b", 0, "1", "d", "22", "e"),
		multiPutW("xab", 0, "1", "f"),
	)
	f.put("b", "3", "expired", now+1)
	f.clock.Advance(time.Second)
	ctx := t.Context()
	first := func(req *rrdb.GetScannerRequest) *rrdb.ScanResponse {
		req.BatchSize = 100
		return f.p.GetScanner(ctx, req)
	}
	all := func(req *rrdb.GetScannerRequest) []string {
		b, _ := scanAll(t, f.p, req)
		return slices.Concat(b...)
	}

	// Server batch cap: 5 records visited per call, expired ones included.
	req := fullScanRequest()
	req.BatchSize = 100
	r := f.p.GetScanner(ctx, req)
	if len(r.Kvs) != 4 || r.ContextID < 0 {
		t.Fatalf("capped batch %v %d", kvStrings(r.Kvs), r.ContextID)
	}
	f.p.ClearScanner(r.ContextID)
	if r := f.p.Scan(ctx, &rrdb.ScanRequest{ContextID: r.ContextID}); r.Error != StatusNotFound {
		t.Fatalf("scan after clear %+v", r)
	}

	req = fullScanRequest()
	req.HashKeyFilterType, req.HashKeyFilterPattern = rrdb.FilterType_FT_MATCH_PREFIX, blob("a")
	if got := all(req); !slices.Equal(got, []string{fk("ab", "1", "a"), fk("ab", "2", "b"), fk("ac", "1", "c")}) {
		t.Fatalf("hash prefix %q", got)
	}
	req = fullScanRequest()
	req.HashKeyFilterType, req.HashKeyFilterPattern = rrdb.FilterType_FT_MATCH_ANYWHERE, blob("b")
	req.SortKeyFilterType, req.SortKeyFilterPattern = rrdb.FilterType_FT_MATCH_POSTFIX, blob("1")
	if got := all(req); !slices.Equal(got, []string{fk("b", "1", "d"), fk("ab", "1", "a"), fk("xab", "1", "f")}) {
		t.Fatalf("anywhere + postfix %q", got)
	}

	req = fullScanRequest()
	req.NoValue = true
	req.ReturnExpireTs = thriftBool(true)
	r = first(req)
	if r.Kvs[0].ExpireTsSeconds == nil || len(r.Kvs[0].Value.Bytes()) != 0 {
		t.Fatalf("no_value/return_expire_ts %+v", r.Kvs[0])
	}
	var ts []int32
	for _, kv := range r.Kvs {
		ts = append(ts, *kv.ExpireTsSeconds)
	}
	if !slices.Equal(ts, []int32{0, 0, 0, 0}) {
		t.Fatalf("expire ts %v", ts)
	}
	f.p.ClearScanner(r.ContextID)
	req = hashScanRequest("ac", 10)
	req.ReturnExpireTs = thriftBool(true)
	if r := f.p.GetScanner(ctx, req); len(r.Kvs) != 1 || *r.Kvs[0].ExpireTsSeconds != now+100 || string(r.Kvs[0].Value.Bytes()) != "c" {
		t.Fatalf("expire ts of a TTL record: %+v", r.Kvs)
	}
	if r := f.p.GetScanner(ctx, hashScanRequest("ac", 10)); r.Kvs[0].ExpireTsSeconds != nil {
		t.Fatal("expire ts returned unasked")
	}

	req = fullScanRequest()
	req.OnlyReturnCount = thriftBool(true)
	r = first(req)
	if len(r.Kvs) != 0 || r.KvCount == nil || *r.KvCount != 4 {
		t.Fatalf("only_return_count %+v", r)
	}
	total := *r.KvCount
	for r.ContextID >= 0 {
		r = f.p.Scan(ctx, &rrdb.ScanRequest{ContextID: r.ContextID})
		total += *r.KvCount
	}
	if total != 6 {
		t.Fatalf("counted %d", total)
	}

	// Inclusive flags on full keys.
	req = fullScanRequest()
	req.StartKey, req.StartInclusive = &base.Blob{Data: key("ab", "1")}, false
	req.StopKey, req.StopInclusive = &base.Blob{Data: key("ac", "1")}, true
	if got := all(req); !slices.Equal(got, []string{fk("ab", "2", "b"), fk("ac", "1", "c")}) {
		t.Fatalf("exclusive start, inclusive stop %q", got)
	}
}

func thriftBool(b bool) *bool { return &b }

func TestScannerEarlyReturns(t *testing.T) {
	f := newFixture(t)
	f.put("h", "s", "v", 0)
	ctx := t.Context()
	for name, mut := range map[string]func(*rrdb.GetScannerRequest){
		"bad hash filter": func(r *rrdb.GetScannerRequest) { r.HashKeyFilterType = 4 },
		"bad sort filter": func(r *rrdb.GetScannerRequest) { r.SortKeyFilterType = -1 },
	} {
		req := fullScanRequest()
		mut(req)
		if r := f.p.GetScanner(ctx, req); r.Error != StatusInvalidArgument || r.ContextID != 0 || len(r.Kvs) != 0 {
			t.Errorf("%s: %+v", name, r)
		}
	}
	for name, mut := range map[string]func(*rrdb.GetScannerRequest){
		"empty stop":          func(r *rrdb.GetScannerRequest) { r.StopKey = &base.Blob{} },
		"inverted":            func(r *rrdb.GetScannerRequest) { r.StartKey, r.StopKey = r.StopKey, r.StartKey },
		"equal, one excluded": func(r *rrdb.GetScannerRequest) { r.StopKey = r.StartKey },
	} {
		req := fullScanRequest()
		mut(req)
		if r := f.p.GetScanner(ctx, req); r.Error != 0 || r.ContextID != 0 || len(r.Kvs) != 0 {
			t.Errorf("%s: %+v", name, r)
		}
	}
	if r := f.p.Scan(ctx, &rrdb.ScanRequest{ContextID: 12345}); r.Error != StatusNotFound || r.AppID != 3 {
		t.Fatalf("unknown id %+v", r)
	}
	if r := f.p.Scan(ctx, nil); r.Error != StatusNotFound {
		t.Fatalf("nil request %+v", r)
	}
	f.p.ClearScanner(999) // unknown: ignored
}

func TestScannerContextExpiry(t *testing.T) {
	f := newFixture(t)
	var kv []string
	for i := 0; i < 10; i++ {
		kv = append(kv, fmt.Sprint(i), "v")
	}
	f.apply(multiPutW("h", 0, kv...))
	ctx := t.Context()
	start := func() int64 {
		r := f.p.GetScanner(ctx, hashScanRequest("h", 2))
		if r.ContextID < 0 {
			t.Fatalf("no context: %+v", r)
		}
		return r.ContextID
	}
	// Lazy expiry on access.
	id := start()
	f.clock.Advance(DefaultScannerIdleTimeout - time.Second)
	r := f.p.Scan(ctx, &rrdb.ScanRequest{ContextID: id})
	if r.Error != 0 || len(r.Kvs) != 2 {
		t.Fatalf("resumed before the timeout: %+v", r)
	}
	if r.ContextID == id {
		t.Fatal("context id reused")
	}
	if again := f.p.Scan(ctx, &rrdb.ScanRequest{ContextID: id}); again.Error != StatusNotFound {
		t.Fatalf("consumed id still valid: %+v", again)
	}
	f.clock.Advance(DefaultScannerIdleTimeout)
	if r := f.p.Scan(ctx, &rrdb.ScanRequest{ContextID: r.ContextID}); r.Error != StatusNotFound {
		t.Fatalf("expired context resumed: %+v", r)
	}

	// Sweeping releases the iterators of idle contexts.
	for i := 0; i < 3; i++ {
		start()
	}
	if n := f.p.scanners.len(); n != 3 {
		t.Fatalf("%d contexts", n)
	}
	if n := f.p.SweepScanners(); n != 0 {
		t.Fatalf("swept %d fresh contexts", n)
	}
	f.clock.Advance(DefaultScannerIdleTimeout)
	if n := f.p.SweepScanners(); n != 3 || f.p.scanners.len() != 0 {
		t.Fatalf("swept %d, %d left", n, f.p.scanners.len())
	}

	// Contexts still open at Close are released, and a scan racing with it
	// fails cleanly.
	id = start()
	f.reopen()
	if r := f.p.Scan(ctx, &rrdb.ScanRequest{ContextID: id}); r.Error != StatusNotFound {
		t.Fatalf("context survived a reopen: %+v", r)
	}
}

func TestScannerTimeLimit(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.IterationTimeLimit = 5 * time.Second; o.MaxIterationCount = 20 })
	var kv []string
	for i := 0; i < 50; i++ {
		kv = append(kv, fmt.Sprintf("%02d", i), "v")
	}
	f.apply(multiPutW("h", 0, kv...))
	f.clock.SetStep(10 * time.Second)
	r := f.p.GetScanner(t.Context(), hashScanRequest("h", 20))
	f.clock.SetStep(0)
	// Checked every 20/10 visits: the first check (at the 2nd visit) fails.
	if r.Error != StatusIncomplete || r.ContextID != 0 || len(r.Kvs) != 1 {
		t.Fatalf("%d kvs, error %d, context %d", len(r.Kvs), r.Error, r.ContextID)
	}
	if n := f.p.scanners.len(); n != 0 {
		t.Fatalf("context kept after time limit")
	}
}

func TestScannerValidatePartitionHash(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.PartitionCount = 4 })
	var mine, all []string
	for i := 0; i < 40; i++ {
		h := fmt.Sprintf("hk%d", i)
		f.put(h, "s", "v", 0)
		all = append(all, h)
		if keys.PartitionHash([]byte(h))&3 == 1 {
			mine = append(mine, h)
		}
	}
	// Records with an empty hash key hash by their sort key.
	f.put("", "hk1", "v", 0)
	hashKeys := func(req *rrdb.GetScannerRequest) []string {
		b, _ := scanAll(t, f.p, req)
		var out []string
		for _, kv := range slices.Concat(b...) {
			k, _, _ := keys.DecodeKey([]byte(kv[:len(kv)-2]))
			if len(k) > 0 {
				out = append(out, string(k))
			}
		}
		slices.Sort(out)
		return out
	}
	slices.Sort(all)
	slices.Sort(mine)
	if got := hashKeys(fullScanRequest()); !slices.Equal(got, all) {
		t.Fatalf("env off: %v", got)
	}
	f.p.UpdateEnvs(map[string]string{EnvValidatePartitionHash: "true"})
	if got := hashKeys(fullScanRequest()); !slices.Equal(got, mine) {
		t.Fatalf("env on: %v, want %v", got, mine)
	}
	req := fullScanRequest()
	req.ValidatePartitionHash = thriftBool(false)
	if got := hashKeys(req); !slices.Equal(got, all) {
		t.Fatalf("request opts out: %v", got)
	}
	// The compaction filter drops what no longer belongs here.
	if err := f.p.Compact(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := hashKeys(req); !slices.Equal(got, mine) {
		t.Fatalf("after compaction: %v, want %v", got, mine)
	}
	owned := keys.PartitionHash([]byte("hk1"))&3 == 1
	if _, found, _ := f.p.db.Get(key("", "hk1")); found != owned {
		t.Fatalf("empty-hash-key record kept=%v, owned=%v", found, owned)
	}
}
