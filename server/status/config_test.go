package status

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"
)

type testDuration struct{ time.Duration }

func (d testDuration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

type testConfig struct {
	Log struct {
		Level string `toml:"level"`
	} `toml:"log"`
	Replica struct {
		Address string       `toml:"address"`
		Lease   testDuration `toml:"lease_timeout"`
		Metas   []string     `toml:"meta_servers"`
	} `toml:"replica"`
	Meta struct {
		Address string `toml:"address"`
	} `toml:"meta"`
}

// TestConfigPage: /config shows the chosen sections keyed as in TOML, with
// durations in Go syntax.
func TestConfigPage(t *testing.T) {
	var cfg testConfig
	cfg.Log.Level = "info"
	cfg.Replica.Address = "127.0.0.1:34801"
	cfg.Replica.Lease = testDuration{20 * time.Second}
	cfg.Replica.Metas = []string{"127.0.0.1:34601"}
	cfg.Meta.Address = "unused"
	h, err := ConfigPage(cfg, "log", "replica")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/config", nil))
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
	var got map[string]map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, rec.Body)
	}
	if _, ok := got["meta"]; ok || len(got) != 2 {
		t.Fatalf("sections %v", got)
	}
	r := got["replica"]
	if r["address"] != "127.0.0.1:34801" || r["lease_timeout"] != "20s" || len(r["meta_servers"].([]any)) != 1 || got["log"]["level"] != "info" {
		t.Fatalf("replica section %v", got)
	}
}
