package rocksdb

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// crashDirEnv tells the re-executed test binary to act as the crashing
// process instead of running the test.
const crashDirEnv = "PEGASUS_ROCKSDB_CRASH_DIR"

const crashFlushedAt, crashWrittenTo = 30, 45

// TestCrashWithoutWALRecoversFlushedDecree kills a process that wrote with
// the WAL off (no Close, no flush at exit) and checks the storage decree
// atomicity invariant: the recovered decree is the last flushed one, and
// the data is exactly the data of that decree.
func TestCrashWithoutWALRecoversFlushedDecree(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashingWriter(dir)
		return
	}
	dir := filepath.Join(t.TempDir(), "rdb")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWithoutWALRecoversFlushedDecree$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.ExitCode() != 3 {
		t.Fatalf("crashing writer: %v (want exit 3)\n%s", err, out)
	}

	db := openAt(t, dir, Options{DisableWAL: true})
	if got := db.LastAppliedDecree(); got != crashFlushedAt {
		t.Fatalf("recovered decree %d, want %d", got, crashFlushedAt)
	}
	for d := 1; d <= crashWrittenTo; d++ {
		v, found := mustGet(t, db, numberedKey(d))
		if wantFound := d <= crashFlushedAt; found != wantFound || (found && v != strconv.Itoa(d)) {
			t.Errorf("record of decree %d: %q, found %v; want found %v", d, v, found, wantFound)
		}
	}
	if v, _ := mustGet(t, db, "counter"); v != strconv.Itoa(crashFlushedAt) {
		t.Errorf("counter = %q, want %d", v, crashFlushedAt)
	}
}

// crashingWriter writes decrees 1..crashWrittenTo, flushing after
// crashFlushedAt, then exits without closing the DB.
func crashingWriter(dir string) {
	db, err := Open(dir, Options{DisableWAL: true})
	if err != nil {
		os.Exit(1)
	}
	b := db.NewBatch()
	for d := 1; d <= crashWrittenTo; d++ {
		b.Clear()
		b.Put([]byte(numberedKey(d)), []byte(strconv.Itoa(d)))
		b.Put([]byte("counter"), []byte(strconv.Itoa(d)))
		if err := db.Write(b, int64(d)); err != nil {
			os.Exit(1)
		}
		if d == crashFlushedAt {
			if err := db.Flush(); err != nil {
				os.Exit(1)
			}
		}
	}
	os.Exit(3) // no Close: the memtable is lost, as in a crash
}
