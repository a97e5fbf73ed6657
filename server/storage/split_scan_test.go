package storage

import (
	"context"
	"fmt"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/keys"
)

// A scan keeps the partition count it began with: when the count doubles
// mid-scan (a split registered) the scan still returns every row of the
// old partitioning, which its client will not look for in the child; a
// scan begun after returns only the partition's new half.
func TestScanKeepsItsPartitionCount(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.PartitionIndex, o.PartitionCount = 1, 4
		o.Envs = map[string]string{EnvValidatePartitionHash: "true"}
	})
	own, other := 0, 0
	for i := 0; own+other < 40; i++ {
		hk := fmt.Sprintf("k%d", i)
		h := keys.PartitionHash([]byte(hk))
		if !keys.BelongsTo(h, 1, 3) {
			continue
		}
		if keys.BelongsTo(h, 1, 7) {
			own++
		} else {
			other++
		}
		f.put(hk, "s", "v", 0)
	}
	ctx := context.Background()
	req := fullScanRequest()
	req.BatchSize = 5
	first := f.p.GetScanner(ctx, req)
	if first.Error != 0 || first.ContextID < 0 {
		t.Fatalf("first batch: error %d, context %d", first.Error, first.ContextID)
	}
	rows := len(first.Kvs)
	f.p.SetPartitionCount(8)
	id := first.ContextID
	for n := 0; id >= 0 && n < 100; n++ {
		resp := f.p.Scan(ctx, scanReq(id))
		if resp.Error != 0 {
			t.Fatalf("scan: error %d", resp.Error)
		}
		rows += len(resp.Kvs)
		id = resp.ContextID
	}
	if rows != own+other {
		t.Fatalf("scan across the count change returned %d rows, want all %d of its start", rows, own+other)
	}
	req.BatchSize = 1000
	if got := len(f.p.GetScanner(ctx, req).Kvs); got != own {
		t.Fatalf("scan begun after the change returned %d rows, want %d", got, own)
	}
}
