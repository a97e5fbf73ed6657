package splitreplica

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/thrift/base"
	gadmin "github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// childDirs lists the replica directories of partitions at index from or
// above of app on every replica server of the box.
func childDirs(t *testing.T, dir string, app, from int32) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		var a, p int32
		if n, _ := fmt.Sscanf(d.Name(), "%d.%d.pegasus", &a, &p); n == 2 && strings.HasSuffix(d.Name(), ".pegasus") {
			if a == app && p >= from {
				out = append(out, path)
			}
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitNoChildDirs waits (bounded) until no replica server keeps a
// directory of a partition at index from or above.
func waitNoChildDirs(t *testing.T, dir string, app, from int32) {
	t.Helper()
	var left []string
	for range 60 {
		if left = childDirs(t, dir, app, from); len(left) == 0 {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("child directories left: %v", left)
}

// TestSplitPauseRestartCancel pauses a split right after it starts (the
// paused parents drop their children), restarts it to completion, then
// cancels a second split right after it starts: the table is back at its
// count (or, if a child registered first, the cancel is refused and the
// split completes), no child directory of a canceled split is left, and
// no acknowledged write is lost.
func TestSplitPauseRestartCancel(t *testing.T) {
	b, tb, adm := startBox(t, "127.0.0.93")
	// SPLIT_KEEP_LOGS=<dir> keeps the servers' logs there for a look afterwards.
	if keep := os.Getenv("SPLIT_KEEP_LOGS"); keep != "" {
		t.Cleanup(func() {
			for _, name := range b.Processes() {
				raw, _ := os.ReadFile(filepath.Join(b.Dir, name, "server.log"))
				os.WriteFile(filepath.Join(keep, name+".log"), raw, 0o644)
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg, err := adm.QueryConfig(ctx, onebox.TableName)
	if err != nil {
		t.Fatal(err)
	}
	app, n := cfg.AppID, cfg.PartitionCount
	acked := preload(t, ctx, tb)
	w := startWriter(ctx, tb, "live")
	defer w.finish()

	if err := adm.StartPartitionSplit(ctx, onebox.TableName, 2*n); err != nil {
		t.Fatalf("start split: %v", err)
	}
	if err := adm.ControlPartitionSplit(ctx, onebox.TableName, admin.SplitPause, -1, n); err != nil {
		t.Fatalf("pause: %v", err)
	}
	var paused []int32
	for i := 0; ; i++ {
		st, err := adm.QueryPartitionSplit(ctx, onebox.TableName)
		if err != nil {
			t.Fatalf("query split: %v", err)
		}
		paused = paused[:0]
		pausing := false
		for p, s := range st.Parents {
			switch s {
			case gadmin.SplitStatus_PAUSED:
				paused = append(paused, p)
			case gadmin.SplitStatus_PAUSING:
				pausing = true
			}
		}
		if !pausing {
			break
		}
		if i == 120 {
			t.Fatalf("parents still pausing: %v", st.Parents)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("paused parents: %v", paused)
	for _, p := range paused {
		for _, d := range childDirs(t, b.Dir, app, p+n) {
			if strings.HasSuffix(d, fmt.Sprintf("%d.%d.pegasus", app, p+n)) {
				t.Errorf("paused parent %d's child directory left: %s", p, d)
			}
		}
	}
	if len(paused) > 0 {
		if err := adm.ControlPartitionSplit(ctx, onebox.TableName, admin.SplitRestart, -1, n); err != nil {
			t.Fatalf("restart: %v", err)
		}
	}
	if outcome, err := adm.WaitPartitionSplit(ctx, onebox.TableName, 2*n, 500*time.Millisecond, nil); err != nil || outcome != admin.SplitFinished {
		t.Fatalf("split after restart: %s, %v", outcome, err)
	}

	// Cancel a second split right after it starts.
	if err := adm.StartPartitionSplit(ctx, onebox.TableName, 4*n); err != nil {
		t.Fatalf("start second split: %v", err)
	}
	cerr := adm.ControlPartitionSplit(ctx, onebox.TableName, admin.SplitCancel, -1, 2*n)
	switch {
	case cerr == nil:
		outcome, err := adm.WaitPartitionSplit(ctx, onebox.TableName, 4*n, 500*time.Millisecond, nil)
		if err != nil || outcome != admin.SplitCanceled {
			t.Fatalf("canceled split: %s, %v", outcome, err)
		}
		waitNoChildDirs(t, b.Dir, app, 2*n)
	case strings.Contains(cerr.Error(), string(base.ERR_CHILD_REGISTERED)):
		t.Logf("cancel refused (a child registered first): %v", cerr)
		if outcome, err := adm.WaitPartitionSplit(ctx, onebox.TableName, 4*n, 500*time.Millisecond, nil); err != nil || outcome != admin.SplitFinished {
			t.Fatalf("split after a refused cancel: %s, %v", outcome, err)
		}
	default:
		t.Fatalf("cancel: %v", cerr)
	}
	w.finish()
	for k, v := range w.ack {
		acked[k] = v
	}
	verify(t, ctx, tb, acked)
}
