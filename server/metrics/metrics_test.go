package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDataOpsCountAndSummarize(t *testing.T) {
	r := New()
	d := NewDataOps(r)
	for i := 0; i < 3; i++ {
		d.Observe(2, 1, "put", "ok", time.Millisecond)
	}
	d.Observe(2, 5, "put", "ERR_INVALID_STATE", 3*time.Millisecond)
	d.Observe(3, 0, "get", "ok", 2*time.Millisecond)
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`pegasus_replica_requests_total{app_id="2",op="put",partition_index="1",result="ok"} 3`,
		`pegasus_replica_requests_total{app_id="2",op="put",partition_index="5",result="ERR_INVALID_STATE"} 1`,
		`pegasus_replica_request_duration_seconds_count{app_id="3",op="get"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	sum := d.Summary()
	putLine, getLine := "", ""
	for _, l := range strings.Split(sum, "\n") {
		f := strings.Fields(l)
		if len(f) == 5 && f[0] == "put" {
			putLine = strings.Join(f[:3], " ") + " " + f[4]
		}
		if len(f) == 5 && f[0] == "get" {
			getLine = strings.Join(f[:3], " ") + " " + f[4]
		}
	}
	if putLine != "put 4 1 1500" || getLine != "get 1 0 2000" {
		t.Fatalf("summary:\n%s\nput %q get %q", sum, putLine, getLine)
	}
}
