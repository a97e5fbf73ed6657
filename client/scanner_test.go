package client_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// drain reads s to the end and returns "hashKey/sortKey=value" strings.
func drain(t *testing.T, s *client.Scanner) []string {
	t.Helper()
	ctx := testCtx(t)
	var out []string
	for {
		done, hk, sk, v, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if done {
			break
		}
		out = append(out, fmt.Sprintf("%s/%s=%s", hk, sk, v))
		if len(out) > 100000 {
			t.Fatal("scanner does not end")
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return out
}

// scanSortKeys lists the sort keys of hk with a default scanner.
func scanSortKeys(t *testing.T, tb *client.Table, hk []byte) []string {
	t.Helper()
	s, err := tb.GetScanner(testCtx(t), hk, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range drain(t, s) {
		out = append(out, strings.TrimSuffix(strings.SplitN(r, "/", 2)[1], "="))
	}
	return out
}

func TestHashKeyScanner(t *testing.T) {
	// Two records per batch, so every scan spans many batches.
	c := newCluster(t, 2, 4, storage.Options{MaxIterationCount: 2})
	tb := c.openTable(t)
	ctx := testCtx(t)
	hk := bs("h")
	for i := range 25 {
		if err := tb.Set(ctx, hk, bs(fmt.Sprintf("%02d", i)), bs(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	// Neighbours whose keys sort right before and after h's range.
	for _, other := range []string{"g", "i", "hh"} {
		if err := tb.Set(ctx, bs(other), bs("00"), bs("x")); err != nil {
			t.Fatal(err)
		}
	}
	// A sort key starting with FF FF is still inside h's range.
	if err := tb.Set(ctx, hk, []byte{0xFF, 0xFF, 'z'}, bs("ff")); err != nil {
		t.Fatal(err)
	}

	scan := func(start, stop string, o *client.ScanOptions) string {
		t.Helper()
		s, err := tb.GetScanner(ctx, hk, bs(start), bs(stop), o)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(drain(t, s), " ")
	}
	opts := func(f func(o *client.ScanOptions)) *client.ScanOptions {
		o := client.DefaultScanOptions()
		f(&o)
		return &o
	}
	all := scan("", "", nil)
	if n := strings.Count(all, "h/"); n != 26 || !strings.HasPrefix(all, "h/00=0 h/01=1 ") || !strings.HasSuffix(all, "h/24=24 h/\xff\xffz=ff") {
		t.Fatalf("full hash-key scan (%d records): %q", n, all)
	}
	cases := []struct {
		name, start, stop string
		opts              *client.ScanOptions
		want              string
	}{
		{"[05,09)", "05", "09", nil, "h/05=5 h/06=6 h/07=7 h/08=8"},
		{"(05,09]", "05", "09", opts(func(o *client.ScanOptions) { o.StartInclusive, o.StopInclusive = false, true }), "h/06=6 h/07=7 h/08=8 h/09=9"},
		{"[05,05]", "05", "05", opts(func(o *client.ScanOptions) { o.StopInclusive = true }), "h/05=5"},
		{"[05,05)", "05", "05", nil, ""},
		{"start after stop", "09", "05", nil, ""},
		{"sort key prefix filter", "", "", opts(func(o *client.ScanOptions) {
			o.SortKeyFilter = client.Filter{Type: client.FilterTypeMatchPrefix, Pattern: bs("1")}
		}),
			"h/10=10 h/11=11 h/12=12 h/13=13 h/14=14 h/15=15 h/16=16 h/17=17 h/18=18 h/19=19"},
		{"no value, batch size 1", "20", "23", opts(func(o *client.ScanOptions) { o.NoValue, o.BatchSize = true, 1 }), "h/20= h/21= h/22="},
	}
	for _, tc := range cases {
		if got := scan(tc.start, tc.stop, tc.opts); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestScannerCloseClearsContext(t *testing.T) {
	c := newCluster(t, 1, 2, storage.Options{MaxIterationCount: 2})
	tb := c.openTable(t)
	ctx := testCtx(t)
	for i := range 10 {
		if err := tb.Set(ctx, bs("h"), bs(fmt.Sprint(i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	s, err := tb.GetScanner(ctx, bs("h"), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if done, _, _, _, err := s.Next(ctx); done || err != nil {
		t.Fatalf("Next = %v, %v", done, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, _, _, _, err := s.Next(ctx); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("Next after Close: %v, want ErrClosed", err)
	}
	waitFor(t, "CLEAR_SCANNER to arrive", func() bool { return c.nodes[0].clears.Load() == 1 })

	// A finished scan holds no context, so closing it sends nothing.
	s, _ = tb.GetScanner(ctx, bs("h"), nil, nil, nil)
	drain(t, s)
	s.Close()
	// Barrier: a scanner closed mid-way sends one CLEAR on the same
	// connection, after any CLEAR the finished one might wrongly have sent.
	mid, _ := tb.GetScanner(ctx, bs("h"), nil, nil, nil)
	if done, _, _, _, err := mid.Next(ctx); done || err != nil {
		t.Fatalf("Next = %v, %v", done, err)
	}
	mid.Close()
	waitFor(t, "the barrier's CLEAR_SCANNER", func() bool { return c.nodes[0].clears.Load() >= 2 })
	if n := c.nodes[0].clears.Load(); n != 2 {
		t.Fatalf("%d CLEAR_SCANNERs, want 2: the finished scan sent one", n)
	}
}

// waitFor polls cond for up to 5s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fill writes n records over many hash keys and returns them as drain
// renders them, sorted.
func fill(t *testing.T, tb *client.Table, n int) []string {
	t.Helper()
	ctx := testCtx(t)
	var want []string
	recs := make([]client.Record, n)
	for i := range n {
		hk, sk, v := fmt.Sprintf("hk%02d", i%37), fmt.Sprintf("sk%03d", i), fmt.Sprintf("v%d", i)
		recs[i] = client.Record{HashKey: bs(hk), SortKey: bs(sk), Value: bs(v)}
		want = append(want, hk+"/"+sk+"="+v)
	}
	if err := tb.BatchSet(ctx, recs); err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	return want
}

func TestUnorderedScanners(t *testing.T) {
	c := newCluster(t, 2, 4, storage.Options{MaxIterationCount: 3})
	tb := c.openTable(t)
	ctx := testCtx(t)
	want := fill(t, tb, 300)

	for _, n := range []int{1, 3, 4, 16} {
		scanners, err := tb.GetUnorderedScanners(ctx, n, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(scanners) != min(n, 4) {
			t.Fatalf("%d scanners asked, %d returned", n, len(scanners))
		}
		var got []string
		for _, s := range scanners {
			got = append(got, drain(t, s)...)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("%d scanners returned %d records, want %d (every record exactly once)", n, len(got), len(want))
		}
	}

	// Filters and NoValue apply to full scans too.
	o := client.DefaultScanOptions()
	o.HashKeyFilter = client.Filter{Type: client.FilterTypeMatchPrefix, Pattern: bs("hk1")}
	o.SortKeyFilter = client.Filter{Type: client.FilterTypeMatchPostfix, Pattern: bs("0")}
	o.NoValue = true
	scanners, err := tb.GetUnorderedScanners(ctx, 2, &o)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range scanners {
		got = append(got, drain(t, s)...)
	}
	var wantFiltered []string
	for _, r := range want {
		hk, rest, _ := strings.Cut(r, "/")
		sk, _, _ := strings.Cut(rest, "=")
		if strings.HasPrefix(hk, "hk1") && strings.HasSuffix(sk, "0") {
			wantFiltered = append(wantFiltered, hk+"/"+sk+"=")
		}
	}
	slices.Sort(got)
	if len(wantFiltered) == 0 || !slices.Equal(got, wantFiltered) {
		t.Fatalf("filtered full scan: got %v, want %v", got, wantFiltered)
	}
}

// A partition moving mid-scan loses the server's scan context; the scanner
// resumes after the last record on the new server.
func TestScannerSurvivesMove(t *testing.T) {
	c := newCluster(t, 2, 2, storage.Options{MaxIterationCount: 2})
	tb := c.openTable(t)
	ctx := testCtx(t)
	hk := bs("mover")
	for i := range 20 {
		if err := tb.Set(ctx, hk, bs(fmt.Sprintf("%02d", i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	part := int(keys.PartitionIndex(keys.PartitionHash(hk), 2))

	s, err := tb.GetScanner(ctx, hk, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := 0; ; i++ {
		if i == 5 {
			c.move(t, part, 1-c.owner[part])
		}
		done, _, sk, _, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("Next after %d records: %v", len(got), err)
		}
		if done {
			break
		}
		got = append(got, string(sk))
	}
	if len(got) != 20 || !slices.IsSorted(got) || slices.Compact(slices.Clone(got))[19] != "19" {
		t.Fatalf("scan across a move returned %v", got)
	}
}

// A scan context that expires on the server (idle) is re-opened.
func TestScannerContextExpired(t *testing.T) {
	clock := storage.NewManualClock(time.Now())
	c := newCluster(t, 1, 1, storage.Options{MaxIterationCount: 2, Clock: clock})
	tb := c.openTable(t)
	ctx := testCtx(t)
	want := fill(t, tb, 11)

	scanners, err := tb.GetUnorderedScanners(ctx, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := scanners[0]
	var got []string
	for {
		done, hk, sk, v, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		got = append(got, fmt.Sprintf("%s/%s=%s", hk, sk, v))
		// Expire every context right after it is handed out.
		clock.Advance(10 * time.Minute)
		c.nodes[0].srv.Replica(c.gpid(0)).Storage().SweepScanners()
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("scan with expiring contexts: %v, want %v", got, want)
	}
}
