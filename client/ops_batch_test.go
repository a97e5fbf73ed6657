package client_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/server/storage"
)

func TestBatchOps(t *testing.T) {
	c := newCluster(t, 2, 8, storage.Options{})
	tb := c.openTable(t)
	ctx := testCtx(t)

	var recs []client.Record
	for i := range 100 {
		recs = append(recs, client.Record{HashKey: key(i % 30), SortKey: bs(fmt.Sprint(i)), Value: bs(fmt.Sprintf("v%d", i))})
	}
	recs = append(recs, client.Record{HashKey: bs("empty"), SortKey: bs("e")})
	if err := tb.BatchSet(ctx, recs); err != nil {
		t.Fatal(err)
	}

	// Present keys from every partition, absent keys, a duplicate, and an
	// empty value.
	var ks []client.CompositeKey
	var want [][]byte
	for i := 0; i < 100; i += 3 {
		ks = append(ks, client.CompositeKey{HashKey: key(i % 30), SortKey: bs(fmt.Sprint(i))})
		want = append(want, bs(fmt.Sprintf("v%d", i)))
		ks = append(ks, client.CompositeKey{HashKey: key(i % 30), SortKey: bs("absent")})
		want = append(want, nil)
	}
	ks = append(ks, ks[0], client.CompositeKey{HashKey: bs("empty"), SortKey: bs("e")})
	want = append(want, want[0], []byte{})

	got, err := tb.BatchGet(ctx, ks)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ks) {
		t.Fatalf("%d values for %d keys", len(got), len(ks))
	}
	for i := range ks {
		if !bytes.Equal(got[i], want[i]) || (got[i] == nil) != (want[i] == nil) {
			t.Errorf("key %d (%s/%s): got %q, want %q", i, ks[i].HashKey, ks[i].SortKey, got[i], want[i])
		}
	}

	var dels []client.CompositeKey
	for i := range 50 {
		dels = append(dels, client.CompositeKey{HashKey: key(i % 30), SortKey: bs(fmt.Sprint(i))})
	}
	if err := tb.BatchDel(ctx, dels); err != nil {
		t.Fatal(err)
	}
	got, err = tb.BatchGet(ctx, append(dels, client.CompositeKey{HashKey: key(50 % 30), SortKey: bs("50")}))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got[:50] {
		if v != nil {
			t.Errorf("key %d still present after BatchDel: %q", i, v)
		}
	}
	if string(got[50]) != "v50" {
		t.Errorf("a key not deleted: %q", got[50])
	}
}
