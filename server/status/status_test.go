package status

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestEndpoints(t *testing.T) {
	var notReady = errors.New("loading")
	state := notReady
	mux := NewMux(Info{Version: "v", Role: "meta", Address: "127.0.0.1:1", Started: time.Unix(0, 0)}, func() error { return state }, nil)
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}
	if code, body := get("/version"); code != 200 || !strings.Contains(body, `"role": "meta"`) {
		t.Fatalf("/version: %d %s", code, body)
	}
	if code, _ := get("/health"); code != 503 {
		t.Fatalf("/health before ready: %d", code)
	}
	state = nil
	if code, body := get("/health"); code != 200 || body != "ok\n" {
		t.Fatalf("/health: %d %q", code, body)
	}
	if code, _ := get("/pprof/"); code != 200 {
		t.Fatalf("/pprof/: %d", code)
	}
}
