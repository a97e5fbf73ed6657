package client_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/server/storage"
)

// sortKeysOf renders a result as "a,b,c" (sort keys) or "a=1,b=2".
func sortKeysOf(kvs []client.KeyValue, withValues bool) string {
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		parts[i] = string(kv.SortKey)
		if withValues {
			parts[i] += "=" + string(kv.Value)
		}
	}
	return strings.Join(parts, ",")
}

func TestMultiGetSetDel(t *testing.T) {
	c := newCluster(t, 2, 4, storage.Options{})
	tb := c.openTable(t)
	ctx := testCtx(t)
	hk := bs("user")

	var sks, vals [][]byte
	for _, s := range []string{"a", "b", "c", "d", "e", "pa", "pb", "x"} {
		sks, vals = append(sks, bs(s)), append(vals, bs(strings.ToUpper(s)))
	}
	if err := tb.MultiSet(ctx, hk, sks, vals); err != nil {
		t.Fatal(err)
	}
	if n, err := tb.SortKeyCount(ctx, hk); n != 8 || err != nil {
		t.Fatalf("SortKeyCount = %d, %v", n, err)
	}

	mg := func(sortKeys []string, start, stop string, o *client.MultiGetOptions) (string, bool) {
		t.Helper()
		var kvs []client.KeyValue
		var all bool
		var err error
		if sortKeys != nil {
			list := make([][]byte, len(sortKeys))
			for i, s := range sortKeys {
				list[i] = bs(s)
			}
			kvs, all, err = tb.MultiGetOpt(ctx, hk, list, o)
		} else {
			kvs, all, err = tb.MultiGetRangeOpt(ctx, hk, bs(start), bs(stop), o)
		}
		if err != nil {
			t.Fatal(err)
		}
		return sortKeysOf(kvs, o == nil || !o.NoValue), all
	}
	opts := func(f func(o *client.MultiGetOptions)) *client.MultiGetOptions {
		o := client.DefaultMultiGetOptions()
		f(&o)
		return &o
	}
	cases := []struct {
		name     string
		sortKeys []string
		start    string
		stop     string
		opts     *client.MultiGetOptions
		want     string
		all      bool
	}{
		{"points, absent skipped", []string{"c", "zz", "a"}, "", "", nil, "c=C,a=A", true},
		{"whole hash key", nil, "", "", nil, "a=A,b=B,c=C,d=D,e=E,pa=PA,pb=PB,x=X", true},
		{"range [b,d)", nil, "b", "d", nil, "b=B,c=C", true},
		{"range (b,d]", nil, "b", "d", opts(func(o *client.MultiGetOptions) { o.StartInclusive, o.StopInclusive = false, true }), "c=C,d=D", true},
		{"empty range", nil, "d", "b", nil, "", true},
		{"prefix filter", nil, "", "", opts(func(o *client.MultiGetOptions) {
			o.SortKeyFilter = client.Filter{Type: client.FilterTypeMatchPrefix, Pattern: bs("p")}
		}), "pa=PA,pb=PB", true},
		{"postfix filter", nil, "", "", opts(func(o *client.MultiGetOptions) {
			o.SortKeyFilter = client.Filter{Type: client.FilterTypeMatchPostfix, Pattern: bs("b")}
		}), "b=B,pb=PB", true},
		{"anywhere filter", nil, "", "", opts(func(o *client.MultiGetOptions) {
			o.SortKeyFilter = client.Filter{Type: client.FilterTypeMatchAnywhere, Pattern: bs("a")}
		}), "a=A,pa=PA", true},
		{"count limit", nil, "", "", opts(func(o *client.MultiGetOptions) { o.MaxFetchCount = 3 }), "a=A,b=B,c=C", false},
		{"reverse count limit", nil, "", "", opts(func(o *client.MultiGetOptions) { o.MaxFetchCount = 3; o.Reverse = true }), "pa=PA,pb=PB,x=X", false},
		{"size limit", nil, "", "", opts(func(o *client.MultiGetOptions) { o.MaxFetchSize = 3 }), "a=A,b=B", false},
		{"no value", nil, "a", "c", opts(func(o *client.MultiGetOptions) { o.NoValue = true }), "a,b", true},
		{"points with count limit", []string{"a", "b", "c"}, "", "", opts(func(o *client.MultiGetOptions) { o.MaxFetchCount = 2 }), "a=A,b=B", false},
	}
	for _, tc := range cases {
		got, all := mg(tc.sortKeys, tc.start, tc.stop, tc.opts)
		if got != tc.want || all != tc.all {
			t.Errorf("%s: got %q all=%v, want %q all=%v", tc.name, got, all, tc.want, tc.all)
		}
	}

	// MultiGet and MultiGetRange take the defaults: at most 100 records.
	for i := range 120 {
		if err := tb.Set(ctx, bs("big"), bs(fmt.Sprintf("%03d", i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	kvs, all, err := tb.MultiGet(ctx, bs("big"), nil)
	if err != nil || len(kvs) != 100 || all {
		t.Fatalf("MultiGet of 120 records = %d records, all=%v, %v", len(kvs), all, err)
	}
	kvs, all, err = tb.MultiGetRange(ctx, bs("big"), bs("050"), bs("060"))
	if err != nil || len(kvs) != 10 || !all || string(kvs[0].SortKey) != "050" {
		t.Fatalf("MultiGetRange = %v, %v, %v", sortKeysOf(kvs, false), all, err)
	}
	if kvs, all, err := tb.MultiGet(ctx, bs("nobody"), nil); kvs != nil || !all || err != nil {
		t.Fatalf("MultiGet of an empty hash key = %v, %v, %v", kvs, all, err)
	}

	if err := tb.MultiDel(ctx, hk, [][]byte{bs("a"), bs("x"), bs("absent")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := mg(nil, "", "", nil); got != "b=B,c=C,d=D,e=E,pa=PA,pb=PB" {
		t.Fatalf("after MultiDel: %q", got)
	}
}

func TestDelRange(t *testing.T) {
	c := newCluster(t, 1, 2, storage.Options{MaxIterationCount: 7})
	tb := c.openTable(t)
	ctx := testCtx(t)
	hk := bs("h")
	var sks, vals [][]byte
	for i := range 50 {
		sks, vals = append(sks, bs(fmt.Sprintf("%02d", i))), append(vals, nil)
	}
	if err := tb.MultiSet(ctx, hk, sks, vals); err != nil {
		t.Fatal(err)
	}
	// [10, 40): several batches, because the server scans 7 at a time.
	if err := tb.DelRange(ctx, hk, bs("10"), bs("40")); err != nil {
		t.Fatal(err)
	}
	if n, _ := tb.SortKeyCount(ctx, hk); n != 20 {
		t.Fatalf("%d records left, want 20", n)
	}
	if v, _ := tb.Get(ctx, hk, bs("40")); v == nil {
		t.Fatal("the exclusive stop was deleted")
	}
	if v, _ := tb.Get(ctx, hk, bs("09")); v == nil {
		t.Fatal("a record before the start was deleted")
	}
	// Filtered, stop inclusive.
	err := tb.DelRangeOpt(ctx, hk, nil, bs("45"), &client.DelRangeOptions{
		StartInclusive: true, StopInclusive: true,
		SortKeyFilter: client.Filter{Type: client.FilterTypeMatchPostfix, Pattern: bs("5")},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "00,01,02,03,04,06,07,08,09,40,41,42,43,44,46,47,48,49"
	if got := strings.Join(scanSortKeys(t, tb, hk), ","); got != want {
		t.Fatalf("after filtered DelRange: %s, want %s", got, want)
	}
	// Everything.
	if err := tb.DelRange(ctx, hk, nil, nil); err != nil {
		t.Fatal(err)
	}
	if n, _ := tb.SortKeyCount(ctx, hk); n != 0 {
		t.Fatalf("%d records left after deleting all", n)
	}
}
