package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/keys"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// config builds a query answer for app 5 with one entry per primary
// ("" = none) and the given ballots (1 when nil).
func config(primaries []string, ballots []int64) *layer2.QueryCfgResponse {
	resp := &layer2.QueryCfgResponse{Err: base.NewErrorCode(base.ERR_OK), AppID: 5, PartitionCount: int32(len(primaries))}
	for i, p := range primaries {
		pc := &layer2.PartitionConfiguration{Pid: &base.Gpid{Appid: 5, PartitionIndex: int32(i)}, Ballot: 1}
		if ballots != nil {
			pc.Ballot = ballots[i]
		}
		if p != "" {
			pc.Primary, _ = base.ParseRPCAddress(p)
		}
		resp.Partitions = append(resp.Partitions, pc)
	}
	return resp
}

func TestParseRouteRejects(t *testing.T) {
	four := []string{"10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1", "10.0.0.4:1"}
	cases := map[string]func(r *layer2.QueryCfgResponse){
		"partition count 3":      func(r *layer2.QueryCfgResponse) { r.PartitionCount = 3; r.Partitions = r.Partitions[:3] },
		"partition count 0":      func(r *layer2.QueryCfgResponse) { r.PartitionCount = 0; r.Partitions = nil },
		"fewer entries":          func(r *layer2.QueryCfgResponse) { r.Partitions = r.Partitions[:3] },
		"app id 0":               func(r *layer2.QueryCfgResponse) { r.AppID = 0 },
		"entry of another table": func(r *layer2.QueryCfgResponse) { r.Partitions[2].Pid.Appid = 6 },
		"duplicate index":        func(r *layer2.QueryCfgResponse) { r.Partitions[2].Pid.PartitionIndex = 1 },
		"index out of range":     func(r *layer2.QueryCfgResponse) { r.Partitions[2].Pid.PartitionIndex = 4 },
		"entry without pid":      func(r *layer2.QueryCfgResponse) { r.Partitions[2].Pid = nil },
		"nil entry":              func(r *layer2.QueryCfgResponse) { r.Partitions[2] = nil },
	}
	for name, mutate := range cases {
		r := config(four, nil)
		mutate(r)
		if _, err := parseRoute(r, 1); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseRouteAndLocate(t *testing.T) {
	// One partition is a valid table.
	rt, err := parseRoute(config([]string{"10.0.0.1:7"}, nil), 1)
	if err != nil {
		t.Fatal(err)
	}
	if idx, addr, err := rt.locate(hashTarget([]byte("any"))); idx != 0 || addr != "10.0.0.1:7" || err != nil {
		t.Fatalf("locate in a 1-partition table = %d, %q, %v", idx, addr, err)
	}

	// Entries may come in any order; they are placed by pid.
	r := config([]string{"10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1", ""}, []int64{3, 3, 3, 0})
	r.Partitions[0], r.Partitions[2] = r.Partitions[2], r.Partitions[0]
	rt, err = parseRoute(r, 7)
	if err != nil {
		t.Fatal(err)
	}
	if rt.gen != 7 || rt.appID != 5 || rt.count != 4 {
		t.Fatalf("route %+v", rt)
	}
	for p, want := range []string{"10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"} {
		hk := hashKeyOf(p, 4)
		idx, addr, err := rt.locate(hashTarget(hk))
		if err != nil || int(idx) != p || addr != want {
			t.Errorf("partition %d: locate = %d, %q, %v", p, idx, addr, err)
		}
	}
	// Partition 3 has no primary: requests to it cannot be routed.
	if _, _, err := rt.locate(hashTarget(hashKeyOf(3, 4))); !errors.Is(err, ErrPartitionUnavailable) {
		t.Fatalf("locate of a partition without primary: %v", err)
	}
	// Full scans name the partition; the header hash is the index.
	if idx, addr, err := rt.locate(indexTarget(2)); idx != 2 || addr != "10.0.0.3:1" || err != nil || indexTarget(2).hash != 2 {
		t.Fatalf("locate by index = %d, %q, %v", idx, addr, err)
	}
	if _, _, err := rt.locate(indexTarget(4)); !errors.Is(err, ErrPartitionUnavailable) {
		t.Fatalf("locate of index 4 of 4: %v", err)
	}

	// A split child that is not ready (ballot -1, no primary) is served by
	// its parent.
	rt, err = parseRoute(config([]string{"10.0.0.1:1", "10.0.0.2:1", "", ""}, []int64{3, 3, -1, -1}), 1)
	if err != nil {
		t.Fatal(err)
	}
	if idx, addr, err := rt.locate(hashTarget(hashKeyOf(3, 4))); idx != 1 || addr != "10.0.0.2:1" || err != nil {
		t.Fatalf("locate of a split child = %d, %q, %v", idx, addr, err)
	}
}

// hashKeyOf finds a hash key of partition p of count.
func hashKeyOf(p, count int) []byte {
	for i := 0; ; i++ {
		hk := []byte(fmt.Sprintf("k%d", i))
		if int(keys.PartitionIndex(keys.PartitionHash(hk), int32(count))) == p {
			return hk
		}
	}
}

func TestReact(t *testing.T) {
	remote := func(e base.Errno) error { return fmt.Errorf("partition 1.2: %w", &rpc.RemoteError{Errno: e}) }
	cases := []struct {
		name string
		err  error
		idem reaction
		non  reaction
	}{
		{"no primary", fmt.Errorf("x: %w", ErrPartitionUnavailable), reaction{retry: true, refresh: true}, reaction{retry: true, refresh: true}},
		{"dial failure", &dialError{err: errors.New("refused")}, reaction{retry: true, refresh: true}, reaction{retry: true, refresh: true}},
		{"ERR_OBJECT_NOT_FOUND", remote(base.ERR_OBJECT_NOT_FOUND), reaction{retry: true, refresh: true}, reaction{retry: true, refresh: true}},
		{"ERR_INVALID_STATE", remote(base.ERR_INVALID_STATE), reaction{retry: true, refresh: true}, reaction{retry: true, refresh: true}},
		{"ERR_PARENT_PARTITION_MISUSED", remote(base.ERR_PARENT_PARTITION_MISUSED), reaction{retry: true, refresh: true}, reaction{retry: true, refresh: true}},
		{"ERR_SPLITTING", remote(base.ERR_SPLITTING), reaction{retry: true, brief: true}, reaction{retry: true, brief: true}},
		{"ERR_BUSY", remote(base.ERR_BUSY), reaction{retry: true}, reaction{retry: true}},
		{"ERR_NOT_ENOUGH_MEMBER", remote(base.ERR_NOT_ENOUGH_MEMBER), reaction{retry: true}, reaction{}},
		{"ERR_CAPACITY_EXCEEDED", remote(base.ERR_CAPACITY_EXCEEDED), reaction{retry: true}, reaction{}},
		{"ERR_TIMEOUT", remote(base.ERR_TIMEOUT), reaction{retry: true}, reaction{}},
		{"connection lost", fmt.Errorf("rpc x: %w", rpc.ErrConnClosed), reaction{retry: true, refresh: true}, reaction{refresh: true}},
		{"ERR_INVALID_DATA", remote(base.ERR_INVALID_DATA), reaction{}, reaction{}},
		{"ERR_ACL_DENY", remote(base.ERR_ACL_DENY), reaction{}, reaction{}},
		{"ERR_HANDLER_NOT_FOUND", remote(base.ERR_HANDLER_NOT_FOUND), reaction{}, reaction{}},
		{"decode error", errors.New("decode result: bad"), reaction{}, reaction{}},
		{"closed", ErrClosed, reaction{}, reaction{}},
	}
	ctx := context.Background()
	for _, tc := range cases {
		if got := react(ctx, tc.err, idempotent); got != tc.idem {
			t.Errorf("%s, idempotent: %+v, want %+v", tc.name, got, tc.idem)
		}
		if got := react(ctx, tc.err, nonIdempotent); got != tc.non {
			t.Errorf("%s, non-idempotent: %+v, want %+v", tc.name, got, tc.non)
		}
		if got := react(ctx, tc.err, once); got.retry {
			t.Errorf("%s, once: retried", tc.name)
		}
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if got := react(done, remote(base.ERR_OBJECT_NOT_FOUND), idempotent); got != (reaction{}) {
		t.Errorf("after the context ended: %+v", got)
	}
}

func TestBackoffHonoursContext(t *testing.T) {
	b := backoffPolicy{initial: 10 * time.Millisecond, max: 40 * time.Millisecond}.start()
	ctx := context.Background()
	for range 4 {
		start := time.Now()
		if !b.wait(ctx) {
			t.Fatal("wait failed without a deadline")
		}
		if d := time.Since(start); d > 200*time.Millisecond {
			t.Fatalf("wait of at most 40ms took %v", d)
		}
	}
	if b.next != 40*time.Millisecond {
		t.Fatalf("backoff grew to %v, cap 40ms", b.next)
	}
	b = backoffPolicy{initial: time.Hour, max: time.Hour}.start()
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if b.wait(short) {
		t.Fatal("an hour's wait outlived a 20ms context")
	}
}

func TestExpireTs(t *testing.T) {
	defer func(f func() time.Time) { now = f }(now)
	t0 := time.Unix(pegasusEpoch+1000, 0)
	now = func() time.Time { return t0 }
	cases := []struct {
		ttl  time.Duration
		want int32
	}{{0, 0}, {time.Nanosecond, 1001}, {time.Second, 1001}, {1500 * time.Millisecond, 1002}, {time.Hour, 4600}}
	for _, tc := range cases {
		if got, err := expireTs(tc.ttl); got != tc.want || err != nil {
			t.Errorf("expireTs(%v) = %d, %v; want %d", tc.ttl, got, err, tc.want)
		}
	}
	if _, err := expireTs(-time.Second); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("negative TTL: %v", err)
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Op: "Incr", Table: "t", Status: StatusInvalidArgument}
	if !strings.Contains(e.Error(), "Incr") || !strings.Contains(e.Error(), "InvalidArgument (4)") {
		t.Errorf("Error() = %q", e.Error())
	}
	if Status(42).String() != "Status(42)" || StatusTryAgain.String() != "TryAgain" {
		t.Errorf("status names: %s, %s", Status(42), StatusTryAgain)
	}
	if errors.Is(e, &Error{Status: StatusNotFound}) || !errors.Is(fmt.Errorf("w: %w", e), &Error{Status: StatusInvalidArgument}) {
		t.Error("errors.Is by status")
	}
}

func TestForwardAddress(t *testing.T) {
	leader, _ := base.ParseRPCAddress("10.1.2.3:34601")
	one := &layer2.QueryCfgResponse{Partitions: []*layer2.PartitionConfiguration{{Primary: leader}}}
	if got := forwardAddress(one); got != "10.1.2.3:34601" {
		t.Errorf("forward address = %q", got)
	}
	for _, r := range []*layer2.QueryCfgResponse{
		{},
		{Partitions: []*layer2.PartitionConfiguration{{}}},
		{Partitions: []*layer2.PartitionConfiguration{nil}},
		{Partitions: []*layer2.PartitionConfiguration{{Primary: leader}, {Primary: leader}}},
	} {
		if got := forwardAddress(r); got != "" {
			t.Errorf("forward address of %v = %q", r, got)
		}
	}
}

// TestWaitBriefKeepsBackoff: a brief wait (a splitting partition) is
// bounded by briefRetry and leaves the backoff where it was, so a request
// retried through a split's registration step never waits out a backoff
// grown to its maximum.
func TestWaitBriefKeepsBackoff(t *testing.T) {
	b := backoffPolicy{initial: 100 * time.Millisecond, max: time.Second}.start()
	for i := 0; i < 3; i++ {
		start := time.Now()
		if !b.pause(context.Background(), reaction{retry: true, brief: true}) {
			t.Fatal("waitBrief reported a done context")
		}
		if waited := time.Since(start); waited < briefRetry/4 {
			t.Errorf("waited %v, want at least %v", waited, briefRetry/4)
		}
		if b.next != 100*time.Millisecond {
			t.Fatalf("backoff advanced to %v by a brief wait", b.next)
		}
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if b.waitBrief(done) {
		t.Error("waitBrief on a done context reported true")
	}
}
