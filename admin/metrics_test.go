package admin

import (
	"math"
	"strings"
	"testing"
	"time"
)

const exposition = `# HELP pegasus_replica_requests_total Data requests served.
# TYPE pegasus_replica_requests_total counter
pegasus_replica_requests_total{app_id="2",op="put",partition_index="1",result="ok"} 30
pegasus_replica_requests_total{app_id="2",op="get",partition_index="0",result="ok"} 1e+02
weird{path="a\"b\\c",x="1"} -3.5 1700000000000
pegasus_replica_request_duration_seconds_bucket{app_id="2",op="put",le="0.001"} 10
pegasus_replica_request_duration_seconds_bucket{app_id="2",op="put",le="0.002"} 30
pegasus_replica_request_duration_seconds_bucket{app_id="2",op="put",le="+Inf"} 30
process_start_time_seconds 1.7e+09
`

func TestParseMetrics(t *testing.T) {
	ss, err := ParseMetrics(strings.NewReader(exposition))
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 7 {
		t.Fatalf("got %d samples: %+v", len(ss), ss)
	}
	if s := ss[2]; s.Name != "weird" || s.Labels["path"] != `a"b\c` || s.Labels["x"] != "1" || s.Value != -3.5 {
		t.Errorf("escaped labels and timestamp: %+v", s)
	}
	if s := ss[5]; !math.IsInf(mustParse(t, s.Labels["le"]), 1) {
		t.Errorf("+Inf bucket: %+v", s)
	}
	sc := &Scrape{Samples: ss}
	if v, ok := sc.Sum("pegasus_replica_requests_total", map[string]string{"app_id": "2"}); !ok || v != 130 {
		t.Errorf("sum = %v %v", v, ok)
	}
	for _, bad := range []string{"name_only", `m{a="x} 1`, `m{a=x} 1`, "m notanumber"} {
		if _, err := ParseMetrics(strings.NewReader(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func mustParse(t *testing.T, s string) float64 {
	v, err := parseValue(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func scrapeAt(t *testing.T, at time.Time, text string) *Scrape {
	ss, err := ParseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return &Scrape{Addr: "n1:1", Samples: ss, Sent: at, Received: at}
}

// TestWindow: rates are increases per second, summed over servers; a
// counter reset counts its new value; p99 interpolates within a bucket.
func TestWindow(t *testing.T) {
	t0 := time.Unix(1000, 0)
	before := `c{op="get"} 100
c{op="put"} 50
h_bucket{op="get",le="0.001"} 0
h_bucket{op="get",le="0.002"} 0
h_bucket{op="get",le="+Inf"} 0
`
	after := `c{op="get"} 300
c{op="put"} 10
h_bucket{op="get",le="0.001"} 50
h_bucket{op="get",le="0.002"} 100
h_bucket{op="get",le="+Inf"} 100
`
	w := Window{
		Before: map[string]*Scrape{"n1:1": scrapeAt(t, t0, before), "n2:1": scrapeAt(t, t0, before)},
		After:  map[string]*Scrape{"n1:1": scrapeAt(t, t0.Add(2*time.Second), after), "n2:1": scrapeAt(t, t0.Add(2*time.Second), after)},
	}
	byOp := func(_ string, s Sample) (string, bool) { return s.Labels["op"], true }
	r := w.Rate("c", byOp)
	if r["get"] != 200 || r["put"] != 10 {
		t.Errorf("rates %v, want get 200 (2×100/s), put 10 (reset: 2×10/2s)", r)
	}
	q := w.Quantile(0.99, "h", byOp)
	// 200 observations, rank 198: in (0.001, 0.002], 98 of its 100.
	if got := q["get"]; math.Abs(got-0.00198) > 1e-9 {
		t.Errorf("p99 = %v, want 0.00198", got)
	}
}
