package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const dupSection = `
[duplication]
cluster_name = "onebox"
[duplication.clusters.onebox]
id = 1
metas = ["127.0.0.1:34601"]
[duplication.clusters.onebox2]
id = 2
metas = ["127.0.0.1:35601", "127.0.0.2:35601"]
`

func loadBody(t *testing.T, body string) (File, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(p)
}

func TestDuplicationSection(t *testing.T) {
	f, err := loadBody(t, dupSection)
	if err != nil {
		t.Fatal(err)
	}
	d := f.Duplication
	if !d.Enabled() || d.SelfID() != 1 || d.SyncInterval.Duration != 10*time.Second || d.ProgressPersistInterval.Duration != 5*time.Second {
		t.Fatalf("section: %+v", d)
	}
	if got := d.Clusters["onebox2"]; got.ID != 2 || len(got.Metas) != 2 {
		t.Fatalf("onebox2: %+v", got)
	}
	if n, _, ok := d.ClusterByID(2); !ok || n != "onebox2" {
		t.Fatalf("ClusterByID(2) = %q %v", n, ok)
	}
	if strings.Join(d.Names(), ",") != "onebox,onebox2" {
		t.Fatalf("names %v", d.Names())
	}

	f, err = loadBody(t, "[meta]\naddress = \"127.0.0.1:1\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if f.Duplication.Enabled() || f.Duplication.SelfID() != 0 {
		t.Fatalf("absent section enabled duplication: %+v", f.Duplication)
	}

	f, err = loadBody(t, dupSection+"sync_interval = \"2s\"\n")
	if err == nil {
		// the key lands in the last table, onebox2: unknown key
		t.Fatalf("misplaced key accepted: %+v", f.Duplication)
	}
	f, err = loadBody(t, strings.Replace(dupSection, "cluster_name = \"onebox\"\n", "cluster_name = \"onebox\"\nsync_interval = \"2s\"\n", 1))
	if err != nil || f.Duplication.SyncInterval.Duration != 2*time.Second {
		t.Fatalf("sync_interval: %v %+v", err, f.Duplication)
	}
}

func TestDuplicationValidation(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"name missing":  {strings.Replace(dupSection, "cluster_name = \"onebox\"\n", "", 1), "cluster_name is required"},
		"name unknown":  {strings.Replace(dupSection, "\"onebox\"\n", "\"c9\"\n", 1), `"c9" is not among the clusters [onebox, onebox2]`},
		"id zero":       {strings.Replace(dupSection, "id = 2", "id = 0", 1), "id 0 outside 1..127"},
		"id too big":    {strings.Replace(dupSection, "id = 2", "id = 128", 1), "id 128 outside 1..127"},
		"id shared":     {strings.Replace(dupSection, "id = 2", "id = 1", 1), "share id 1"},
		"no metas":      {strings.Replace(dupSection, `metas = ["127.0.0.1:34601"]`, "metas = []", 1), "lists no metas"},
		"bad meta addr": {strings.Replace(dupSection, "127.0.0.1:34601", "nohost", 1), `meta "nohost"`},
		"unknown key":   {strings.Replace(dupSection, "id = 2", "id = 2\nidd = 3", 1), "unknown keys: duplication.clusters.onebox2.idd"},
	} {
		if _, err := loadBody(t, tc.body); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, tc.want)
		}
	}
}
