// Package ha holds the meta server high-availability tests: a real HA
// onebox (a ZooKeeper server, three meta servers, three replica servers,
// all separate processes) on loopback address 127.0.0.30, driven through
// the Go client and the admin package while meta servers are killed,
// paused and restarted and ZooKeeper itself restarts.
package ha

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/server/metastore/zkserver"
	"github.com/pegasus-go/pegasus/test/testbox"
)

// host is this package's loopback address; zkAddress its ZooKeeper (not
// 22181, which a user's HA onebox may hold on 127.0.0.1).
const (
	host      = "127.0.0.30"
	zkAddress = host + ":22192"
)

// serverBinary is built once for the whole package.
var serverBinary string

func TestMain(m *testing.M) {
	testbox.Main(m, []string{"pegasus-server"}, []*string{&serverBinary})
}

// startHABox starts an HA onebox, stopped when the test ends (also when it
// fails); the logs are printed on failure.
func startHABox(t *testing.T) *onebox.Box {
	t.Helper()
	if err := zkserver.Installed(); err != nil {
		t.Fatal(err)
	}
	b := &onebox.Box{
		Dir:       filepath.Join(t.TempDir(), "onebox"),
		Binary:    serverBinary,
		HA:        true,
		Meta:      host + ":34601",
		Replicas:  []string{host + ":34801", host + ":34802", host + ":34803"},
		ZooKeeper: zkAddress,
	}
	testbox.Start(t, b, 90*time.Second, map[string]string{"zookeeper": zkserver.LogFile(filepath.Join(b.Dir, "zookeeper"))})
	return b
}

// leaderOf asks one meta server whether it leads: cluster_info succeeds
// only on the leader, which names itself.
func leaderOf(ctx context.Context, addr string) (string, error) {
	ac := admin.New([]string{addr})
	defer ac.Close()
	info, err := ac.ClusterInfo(ctx)
	if err != nil {
		return "", err
	}
	for _, kv := range info {
		if kv[0] == "primary_meta_server" {
			return kv[1], nil
		}
	}
	return "", fmt.Errorf("%s: cluster_info names no leader", addr)
}

// waitLeader waits (bounded) until exactly one of the meta servers in
// candidates leads, and returns it.
func waitLeader(t *testing.T, within time.Duration, candidates []string) string {
	t.Helper()
	deadline := time.Now().Add(within)
	var last []string
	for time.Now().Before(deadline) {
		var leaders []string
		last = last[:0]
		for _, m := range candidates {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			l, err := leaderOf(ctx, m)
			cancel()
			if err == nil && l == m {
				leaders = append(leaders, m)
			}
			last = append(last, fmt.Sprintf("%s: %q %v", m, l, err))
		}
		if len(leaders) == 1 {
			return leaders[0]
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no single leader among %v after %v: %v", candidates, within, last)
	return ""
}

// metaName is the onebox process name of a meta server address.
func metaName(b *onebox.Box, addr string) string {
	for i, m := range b.MetaServers() {
		if m == addr {
			return fmt.Sprintf("meta%d", i+1)
		}
	}
	return ""
}

func without(all []string, not string) []string {
	var out []string
	for _, a := range all {
		if a != not {
			out = append(out, a)
		}
	}
	return out
}
