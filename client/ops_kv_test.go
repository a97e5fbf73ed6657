package client_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/server/storage"
)

func TestSetGetDel(t *testing.T) {
	c := newCluster(t, 2, 4, storage.Options{})
	tb := c.openTable(t)
	ctx := testCtx(t)

	if tb.PartitionCount() != 4 || tb.Name() != "temp" {
		t.Fatalf("table %q with %d partitions", tb.Name(), tb.PartitionCount())
	}
	for i := range 20 {
		if err := tb.Set(ctx, key(i), bs("s"), []byte{byte(i)}); err != nil {
			t.Fatalf("Set %d: %v", i, err)
		}
	}
	for i := range 20 {
		v, err := tb.Get(ctx, key(i), bs("s"))
		if err != nil || !bytes.Equal(v, []byte{byte(i)}) {
			t.Fatalf("Get %d = %q, %v", i, v, err)
		}
	}

	// Absent, empty and nil values.
	if v, err := tb.Get(ctx, bs("nobody"), bs("s")); v != nil || err != nil {
		t.Fatalf("Get of an absent record = %q, %v; want nil, nil", v, err)
	}
	if err := tb.Set(ctx, bs("h"), bs("empty"), []byte{}); err != nil {
		t.Fatal(err)
	}
	if err := tb.Set(ctx, bs("h"), bs("nil"), nil); err != nil {
		t.Fatal(err)
	}
	for _, sk := range []string{"empty", "nil"} {
		if v, err := tb.Get(ctx, bs("h"), bs(sk)); err != nil || v == nil || len(v) != 0 {
			t.Fatalf("Get of an empty value (%s) = %#v, %v; want an empty non-nil slice", sk, v, err)
		}
	}
	// An empty sort key is a key like any other.
	if err := tb.Set(ctx, bs("h"), nil, bs("root")); err != nil {
		t.Fatal(err)
	}
	if v, _ := tb.Get(ctx, bs("h"), []byte{}); string(v) != "root" {
		t.Fatalf("Get with empty sort key = %q", v)
	}

	if err := tb.Del(ctx, key(3), bs("s")); err != nil {
		t.Fatal(err)
	}
	if err := tb.Del(ctx, key(3), bs("s")); err != nil {
		t.Fatalf("Del of an absent record: %v", err)
	}
	if v, err := tb.Get(ctx, key(3), bs("s")); v != nil || err != nil {
		t.Fatalf("Get after Del = %q, %v", v, err)
	}
	if ok, err := tb.Exist(ctx, key(3), bs("s")); ok || err != nil {
		t.Fatalf("Exist after Del = %v, %v", ok, err)
	}
	if ok, err := tb.Exist(ctx, key(4), bs("s")); !ok || err != nil {
		t.Fatalf("Exist = %v, %v", ok, err)
	}
}

func TestInvalidArguments(t *testing.T) {
	c := newCluster(t, 1, 2, storage.Options{})
	tb := c.openTable(t)
	ctx := testCtx(t)
	long := bytes.Repeat([]byte("x"), 65535)
	okLong := bytes.Repeat([]byte("x"), 65534)

	checks := map[string]error{
		"Get empty hash key":       func() error { _, err := tb.Get(ctx, nil, bs("s")); return err }(),
		"Set empty hash key":       tb.Set(ctx, []byte{}, bs("s"), bs("v")),
		"Set 65535-byte hash key":  tb.Set(ctx, long, bs("s"), bs("v")),
		"SetTTL negative":          tb.SetTTL(ctx, bs("h"), bs("s"), bs("v"), -time.Second),
		"SetTTL beyond 2084":       tb.SetTTL(ctx, bs("h"), bs("s"), bs("v"), math.MaxInt64),
		"Del empty hash key":       tb.Del(ctx, nil, nil),
		"TTL empty hash key":       func() error { _, err := tb.TTL(ctx, nil, nil); return err }(),
		"Incr empty hash key":      func() error { _, err := tb.Incr(ctx, nil, nil, 1); return err }(),
		"MultiSet no sort keys":    tb.MultiSet(ctx, bs("h"), nil, nil),
		"MultiSet length mismatch": tb.MultiSet(ctx, bs("h"), [][]byte{bs("a")}, nil),
		"MultiDel no sort keys":    tb.MultiDel(ctx, bs("h"), nil),
		"MultiGet bad filter": func() error {
			_, _, err := tb.MultiGetOpt(ctx, bs("h"), nil, &client.MultiGetOptions{SortKeyFilter: client.Filter{Type: 9}})
			return err
		}(),
		"BatchGet no keys":        func() error { _, err := tb.BatchGet(ctx, nil); return err }(),
		"BatchGet empty hash key": func() error { _, err := tb.BatchGet(ctx, []client.CompositeKey{{HashKey: bs("a")}, {}}); return err }(),
		"CheckAndSet bad check":   func() error { _, err := tb.CheckAndSet(ctx, bs("h"), nil, 18, nil, nil, nil, nil); return err }(),
		"CheckAndMutate empty list": func() error {
			_, err := tb.CheckAndMutate(ctx, bs("h"), nil, 0, nil, &client.Mutations{}, nil)
			return err
		}(),
		"GetScanner empty hash key": func() error { _, err := tb.GetScanner(ctx, nil, nil, nil, nil); return err }(),
		"Unordered 0 scanners":      func() error { _, err := tb.GetUnorderedScanners(ctx, 0, nil); return err }(),
	}
	for name, err := range checks {
		if !errors.Is(err, client.ErrInvalidArgument) {
			t.Errorf("%s: error %v, want ErrInvalidArgument", name, err)
		} else if !strings.Contains(err.Error(), `table "temp"`) {
			t.Errorf("%s: error %q does not name the table", name, err)
		}
	}
	// The longest legal hash key works end to end.
	if err := tb.Set(ctx, okLong, bs("s"), bs("v")); err != nil {
		t.Fatalf("Set with a 65534-byte hash key: %v", err)
	}
	if v, err := tb.Get(ctx, okLong, bs("s")); err != nil || string(v) != "v" {
		t.Fatalf("Get with a 65534-byte hash key = %q, %v", v, err)
	}
}

func TestTTL(t *testing.T) {
	clock := storage.NewManualClock(time.Now())
	c := newCluster(t, 1, 2, storage.Options{Clock: clock})
	tb := c.openTable(t)
	ctx := testCtx(t)

	if err := tb.Set(ctx, bs("h"), bs("forever"), bs("v")); err != nil {
		t.Fatal(err)
	}
	if err := tb.SetTTL(ctx, bs("h"), bs("short"), bs("v"), 100*time.Second); err != nil {
		t.Fatal(err)
	}
	// A sub-second TTL is rounded up, never dropped.
	if err := tb.SetTTL(ctx, bs("h"), bs("tiny"), bs("v"), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := tb.MultiSetOpt(ctx, bs("m"), [][]byte{bs("a"), bs("b")}, [][]byte{bs("1"), bs("2")}, 50*time.Second); err != nil {
		t.Fatal(err)
	}

	ttlOf := func(sk string) int {
		t.Helper()
		ttl, err := tb.TTL(ctx, bs("h"), bs(sk))
		if err != nil {
			t.Fatal(err)
		}
		return ttl
	}
	if got := ttlOf("forever"); got != -1 {
		t.Errorf("TTL of a record without TTL = %d, want -1", got)
	}
	if got := ttlOf("absent"); got != -2 {
		t.Errorf("TTL of an absent record = %d, want -2", got)
	}
	if got := ttlOf("short"); got < 98 || got > 101 {
		t.Errorf("TTL = %d, want about 100", got)
	}
	if got := ttlOf("tiny"); got < 0 || got > 2 {
		t.Errorf("TTL of a 1ms TTL = %d, want 0..2", got)
	}
	if ttl, _ := tb.TTL(ctx, bs("m"), bs("b")); ttl < 48 || ttl > 51 {
		t.Errorf("TTL after MultiSetOpt = %d, want about 50", ttl)
	}

	// The server's clock moves past the expiry: the records vanish.
	clock.Advance(200 * time.Second)
	if v, err := tb.Get(ctx, bs("h"), bs("short")); v != nil || err != nil {
		t.Errorf("Get of an expired record = %q, %v", v, err)
	}
	if got := ttlOf("short"); got != -2 {
		t.Errorf("TTL of an expired record = %d, want -2", got)
	}
	if ok, _ := tb.Exist(ctx, bs("h"), bs("short")); ok {
		t.Error("expired record exists")
	}
	kvs, all, err := tb.MultiGet(ctx, bs("h"), nil)
	if err != nil || !all || len(kvs) != 1 || string(kvs[0].SortKey) != "forever" {
		t.Errorf("MultiGet after expiry = %v, %v, %v", kvs, all, err)
	}
	if n, _ := tb.SortKeyCount(ctx, bs("m")); n != 0 {
		t.Errorf("SortKeyCount of expired records = %d", n)
	}
}

func TestIncr(t *testing.T) {
	c := newCluster(t, 1, 2, storage.Options{})
	tb := c.openTable(t)
	ctx := testCtx(t)

	steps := []struct {
		inc, want int64
	}{{1, 1}, {5, 6}, {-10, -4}, {0, -4}}
	for _, s := range steps {
		got, err := tb.Incr(ctx, bs("counter"), bs("n"), s.inc)
		if err != nil || got != s.want {
			t.Fatalf("Incr(%d) = %d, %v; want %d", s.inc, got, err, s.want)
		}
	}
	if v, _ := tb.Get(ctx, bs("counter"), bs("n")); string(v) != "-4" {
		t.Fatalf("stored counter = %q", v)
	}

	// A TTL survives Incr.
	if err := tb.SetTTL(ctx, bs("counter"), bs("ttl"), bs("7"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, err := tb.Incr(ctx, bs("counter"), bs("ttl"), 1); got != 8 || err != nil {
		t.Fatalf("Incr = %d, %v", got, err)
	}
	if ttl, _ := tb.TTL(ctx, bs("counter"), bs("ttl")); ttl < 3500 {
		t.Fatalf("TTL after Incr = %d", ttl)
	}

	// Not an integer, and overflow: storage errors, nothing changes.
	if err := tb.Set(ctx, bs("counter"), bs("text"), bs("abc")); err != nil {
		t.Fatal(err)
	}
	_, err := tb.Incr(ctx, bs("counter"), bs("text"), 1)
	var se *client.Error
	if !errors.As(err, &se) || se.Status != client.StatusInvalidArgument || se.Op != "Incr" {
		t.Fatalf("Incr of a non-integer: %v, want *Error InvalidArgument", err)
	}
	if !errors.Is(err, &client.Error{Status: client.StatusInvalidArgument}) {
		t.Fatalf("errors.Is by status failed for %v", err)
	}
	if err := tb.Set(ctx, bs("counter"), bs("max"), bs("9223372036854775807")); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Incr(ctx, bs("counter"), bs("max"), 1); !errors.As(err, &se) || se.Status != client.StatusInvalidArgument {
		t.Fatalf("Incr overflow: %v", err)
	}
	if v, _ := tb.Get(ctx, bs("counter"), bs("max")); string(v) != "9223372036854775807" {
		t.Fatalf("value after overflow = %q", v)
	}
}
