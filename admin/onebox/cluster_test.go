package onebox

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/config"
)

func TestParsePortBase(t *testing.T) {
	good := map[string]int{"34": 34600, "35": 35600, "35600": 35600, "40000": 40000, " 36 ": 36600}
	for in, want := range good {
		if got, err := ParsePortBase(in); err != nil || got != want {
			t.Errorf("ParsePortBase(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-35", "0", "35601", "65500", "1000"} {
		if got, err := ParsePortBase(in); err == nil {
			t.Errorf("ParsePortBase(%q) = %d, want an error", in, got)
		}
	}
}

func TestNamedLayout(t *testing.T) {
	b, err := Named(SecondName, "127.0.0.1", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if b.Dir != "onebox-onebox2" || b.MetaServers()[0] != "127.0.0.1:35601" ||
		!reflect.DeepEqual(b.replicaAddresses(), []string{"127.0.0.1:35801", "127.0.0.1:35802", "127.0.0.1:35803"}) {
		t.Errorf("onebox2: dir %s meta %v replicas %v", b.Dir, b.MetaServers(), b.replicaAddresses())
	}
	b, err = Named("", "127.0.0.1", 0, "")
	if err != nil || b.Dir != "onebox" || b.MetaServers()[0] != MetaAddress || b.clusterName() != "onebox" {
		t.Errorf("default box: %+v %v", b, err)
	}
	if _, err := Named("other", "127.0.0.1", 0, ""); err == nil {
		t.Error("a box with an unknown name and no port base must be refused")
	}
	if _, err := Named("bad name", "127.0.0.1", 36600, ""); err == nil {
		t.Error("a name with a space must be refused")
	}
	if NameForBase(35600) != "onebox2" || NameForBase(36600) != "onebox36" || NameForBase(34600) != "onebox" {
		t.Error("NameForBase")
	}

	// A started box records its base; stop/status of the directory without
	// --port-base find the same servers, and a different base is refused.
	dir := t.TempDir()
	b, _ = Named("x", "127.0.0.1", 36600, dir)
	if err := b.recordBase(); err != nil {
		t.Fatal(err)
	}
	again, err := Named("x", "127.0.0.1", 0, dir)
	if err != nil || again.MetaServers()[0] != "127.0.0.1:36601" {
		t.Errorf("recorded base not used: %v %v", again.MetaServers(), err)
	}
	other, _ := Named("x", "127.0.0.1", 37600, dir)
	if err := other.recordBase(); err == nil {
		t.Error("a second base for the same directory must be refused")
	}
}

// The configurations a box writes are accepted by the servers' own
// loader, and name both clusters of the group with their ids.
func TestConfigCarriesDuplicationGroup(t *testing.T) {
	dir := t.TempDir()
	b, err := Named(SecondName, "127.0.0.100", 0, dir)
	if err != nil {
		t.Fatal(err)
	}
	b.Dup = StandardGroup("127.0.0.100", "127.0.0.100")
	b.Dup.SyncInterval = 2 * time.Second
	b.LogSegmentBytes = 1 << 20
	b.EmptyWriteDisabled = true
	for _, p := range b.processes() {
		text, err := b.config(p)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, p.Name+".toml")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := config.Load(path)
		if err != nil {
			t.Fatalf("%s: %v\n%s", p.Name, err, text)
		}
		d := f.Duplication
		if err := d.Validate(); err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if d.ClusterName != SecondName || d.SelfID() != 2 || d.SyncInterval.Duration != 2*time.Second {
			t.Errorf("%s: cluster %q id %d sync %v", p.Name, d.ClusterName, d.SelfID(), d.SyncInterval)
		}
		if c := d.Clusters[DefaultName]; c.ID != 1 || !reflect.DeepEqual(c.Metas, []string{"127.0.0.100:34601"}) {
			t.Errorf("%s: onebox cluster %+v", p.Name, c)
		}
		if c := d.Clusters[SecondName]; c.ID != 2 || !reflect.DeepEqual(c.Metas, []string{"127.0.0.100:35601"}) {
			t.Errorf("%s: onebox2 cluster %+v", p.Name, c)
		}
		if p.Role == "meta" && f.Meta.ClusterName != SecondName {
			t.Errorf("meta cluster_name %q", f.Meta.ClusterName)
		}
		if p.Role == "replica" && (f.Replica.Replication.LogSegmentBytes != 1<<20 || !f.Replica.Replication.EmptyWriteDisabled) {
			t.Errorf("replica log_segment_bytes %d, empty_write_disabled %v", f.Replica.Replication.LogSegmentBytes, f.Replica.Replication.EmptyWriteDisabled)
		}
	}

	// A box outside the standard pair joins the group under its own name.
	b, _ = Named("onebox36", "127.0.0.1", 36600, dir)
	b.Dup = StandardGroup("127.0.0.1", "127.0.0.1")
	text, err := b.dupConfig()
	if err != nil || !strings.Contains(text, "[duplication.clusters.onebox36]\nid = 36\nmetas = [\"127.0.0.1:36601\"]") {
		t.Errorf("third box's section: %v\n%s", err, text)
	}
	// Without a group no section is written.
	b.Dup = nil
	if text, _ := b.dupConfig(); text != "" {
		t.Errorf("no group, yet: %s", text)
	}
}
