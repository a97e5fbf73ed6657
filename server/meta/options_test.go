package meta

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

func TestOptionsValidation(t *testing.T) {
	mem := metastore.NewMemory()
	for _, c := range []struct {
		name string
		opts Options
		want string // substring of the error; "" = valid
	}{
		{"valid", Options{Address: "127.0.0.1:34601", Store: mem}, ""},
		{"no address", Options{Store: mem}, "Address is required"},
		{"host name", Options{Address: "meta1:34601", Store: mem}, "not an IPv4"},
		{"no store", Options{Address: "127.0.0.1:34601"}, "DataDir or Store"},
		{"bad root", Options{Address: "127.0.0.1:34601", Store: mem, ClusterRoot: "pegasus"}, "ClusterRoot"},
		{"grace not above lease", Options{Address: "127.0.0.1:34601", Store: mem, FDGrace: 20 * time.Second}, "must exceed"},
		{"default replicas out of range", Options{Address: "127.0.0.1:34601", Store: mem, MaxReplicaCount: 2}, "replica counts"},
	} {
		err := c.opts.fill()
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
	o := Options{Address: "127.0.0.1:34601", Store: mem}
	if err := o.fill(); err != nil {
		t.Fatal(err)
	}
	if o.FDGrace != 22*time.Second || o.FDLease != 20*time.Second || o.FDCheckInterval != 2*time.Second ||
		o.CureInterval != 10*time.Second || o.HoldDroppedApps != 7*24*time.Hour || o.DefaultReplicaCount != 3 ||
		o.MinReplicaCount != 1 || o.MaxReplicaCount != 5 || o.FunctionLevel != admin.MetaFunctionLevel_fl_steady ||
		o.ClusterRoot != "/" || o.ClusterName != "onebox" || len(o.MetaServers) != 1 || o.Election.Leader() != o.Address {
		t.Fatalf("defaults %+v", o)
	}
}

func TestParseFunctionLevel(t *testing.T) {
	for in, want := range map[string]admin.MetaFunctionLevel{
		"steady": admin.MetaFunctionLevel_fl_steady, "fl_lively": admin.MetaFunctionLevel_fl_lively,
		"freezed": admin.MetaFunctionLevel_fl_freezed, "stopped": admin.MetaFunctionLevel_fl_stopped,
	} {
		if got, err := ParseFunctionLevel(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, in := range []string{"", "invalid", "fast"} {
		if _, err := ParseFunctionLevel(in); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}

// TestNewOnLockedDataDir: a second meta server on the same data dir fails
// to start instead of sharing the store.
func TestNewOnLockedDataDir(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Address: "127.0.0.1:34601", DataDir: dir, Logger: quietLog}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s2, err := New(opts); err == nil {
		s2.Close()
		t.Fatal("second server on a locked data dir started")
	}
	if got := s.storeName(); got != "bbolt:"+filepath.Join(dir, StoreFile) {
		t.Fatalf("store %q", got)
	}
}
