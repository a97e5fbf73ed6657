package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSampleConfigsLoad(t *testing.T) {
	for _, name := range []string{"meta.toml", "replica.toml"} {
		f, err := Load(filepath.Join("../../conf", name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, closer, err := f.Log.Logger(); err != nil {
			t.Fatalf("%s: logger: %v", name, err)
		} else {
			closer()
		}
	}
	f, _ := Load("../../conf/replica.toml")
	if f.Replica.Address != "127.0.0.1:34801" || f.Replica.LeaseTimeout.Duration != 20*time.Second || f.Replica.RocksDB.Compression != "lz4" {
		t.Fatalf("replica sample: %+v", f.Replica)
	}
	if f.Replica.Replication.LogMaxBytes != 2<<30 {
		t.Fatalf("replica sample: log_max_bytes %d, want 2 GiB", f.Replica.Replication.LogMaxBytes)
	}
}

func TestDefaultsAndErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "c.toml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f, err := Load(write("[meta]\naddress = \"127.0.0.1:1\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Meta.FDGrace.Duration != 22*time.Second || f.Meta.MetaServers[0] != "127.0.0.1:1" || f.Meta.FunctionLevel != "steady" {
		t.Fatalf("defaults not applied: %+v", f.Meta)
	}
	if f.Meta.ZooKeeper.Enabled() || f.Meta.ZooKeeper.Root != "/pegasus/onebox" || f.Meta.ZooKeeper.SessionTimeout.Duration != 10*time.Second {
		t.Fatalf("zookeeper defaults: %+v", f.Meta.ZooKeeper)
	}
	f, err = Load(write("[meta]\ncluster_name = \"c1\"\n[meta.zookeeper]\nservers = [\"127.0.0.1:2181\"]\nsession_timeout = \"4s\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if z := f.Meta.ZooKeeper; !z.Enabled() || z.Root != "/pegasus/c1" || z.SessionTimeout.Duration != 4*time.Second {
		t.Fatalf("zookeeper section: %+v", z)
	}
	for body, want := range map[string]string{
		"[meta]\nadress = \"x\"\n":           "unknown keys: meta.adress",
		"[replica]\nlease_timeout = \"5\"\n": "bad duration",
		"[meta\n":                            "config",
	} {
		if _, err := Load(write(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error containing %q", body, err, want)
		}
	}
	if _, _, err := (Log{Level: "loud"}).Logger(); err == nil {
		t.Error("bad log level accepted")
	}
}
