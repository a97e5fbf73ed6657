package replica

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pegasus-go/pegasus/server/replica/mlog"
	"github.com/pegasus-go/pegasus/thrift/base"
)

// A second replica server on a running one's data directory is refused
// before it touches anything: the running server's log keeps rolling into
// its preallocated segments. Once the first closes, the directory opens.
func TestDataDirTakenByOneServer(t *testing.T) {
	dir := t.TempDir()
	opts := NodeOptions{Address: "127.0.0.1:34998", DataDir: dir, MetaServers: []string{"127.0.0.1:1"},
		Log: mlog.Options{SegmentBytes: 4 << 10}}
	first, err := NewNode(opts)
	if err != nil {
		t.Fatal(err)
	}
	second, err := NewNode(opts)
	if err == nil {
		second.Close()
		first.Close()
		t.Fatal("a second node opened a data dir in use")
	}
	if want := fmt.Sprintf("in use by another replica server (pid %d)", os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Fatalf("second node: %v; want an error saying %q", err, want)
	}
	g := base.Gpid{Appid: 1, PartitionIndex: 0}
	for d := int64(1); d <= 64; d++ { // some 16 segments of 4 KiB
		e := mlog.Entry{Gpid: g, Ballot: 1, Decree: d, Data: []byte(strings.Repeat("x", 1000))}
		if err := first.mlog.Append(context.Background(), e); err != nil {
			t.Fatalf("the running node's log after the refused start, decree %d: %v", d, err)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := NewNode(opts)
	if err != nil {
		t.Fatalf("data dir after its server closed: %v", err)
	}
	again.Close()
}
