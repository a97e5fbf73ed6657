package metrics

import (
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTasks is a stand-in for /proc/self/task.
type fakeTasks string

func (d fakeTasks) set(t *testing.T, tid string, waitNs int64) {
	t.Helper()
	dir := filepath.Join(string(d), tid)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	line := "123456 " + strconv.FormatInt(waitNs, 10) + " 42\n"
	if err := os.WriteFile(filepath.Join(dir, "schedstat"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (d fakeTasks) exit(t *testing.T, tid string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(string(d), tid)); err != nil {
		t.Fatal(err)
	}
}

func TestCPUWaitKeepsExitedThreadsAndNeverGoesDown(t *testing.T) {
	tasks := fakeTasks(t.TempDir())
	tasks.set(t, "10", 1000)
	tasks.set(t, "11", 500)
	c := newCPUWait(string(tasks))
	if c == nil {
		t.Fatal("collector refused a readable task directory")
	}
	steps := []struct {
		do   func()
		want int64
	}{
		{func() {}, 1500},
		{func() { tasks.set(t, "10", 1700) }, 2200},
		{func() { tasks.exit(t, "11") }, 2200},     // its 500 stay
		{func() { tasks.set(t, "12", 300) }, 2500}, // a new thread adds
		{func() { tasks.set(t, "10", 900) }, 2500}, // a reused id counts once past the last
		{func() { tasks.set(t, "10", 2000) }, 2800},
		{func() { tasks.exit(t, "10"); tasks.exit(t, "12") }, 2800}, // every thread gone
		{func() { tasks.set(t, "13", 50) }, 2850},
	}
	for i, s := range steps {
		s.do()
		got, err := c.total()
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got != s.want {
			t.Fatalf("step %d: total %d ns, want %d", i, got, s.want)
		}
	}
}

func TestCPUWaitRejectsWhatItCannotRead(t *testing.T) {
	if c := newCPUWait(filepath.Join(t.TempDir(), "absent")); c != nil {
		t.Error("collector made without a task directory")
	}
	tasks := fakeTasks(t.TempDir())
	tasks.set(t, "10", 1000)
	c := newCPUWait(string(tasks))
	if err := os.WriteFile(filepath.Join(string(tasks), "10", "schedstat"), []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.total(); err == nil || !strings.Contains(err.Error(), "thread 10") {
		t.Errorf("malformed schedstat: err %v, want one naming thread 10", err)
	}
}

// TestCPUWaitSeesContention runs more spinning threads than the machine has
// CPUs and expects the real /proc/self/task reading to grow by a good part
// of the time the surplus threads had to wait.
func TestCPUWaitSeesContention(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc/self/task: not Linux")
	}
	r := New()
	before := scrapeCPUWait(t, r)
	spinners := runtime.NumCPU() + 2
	const spin = 300 * time.Millisecond
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(spinners + 1))
	var spun sync.WaitGroup
	release := make(chan struct{})
	for i := 0; i < spinners; i++ {
		spun.Add(1)
		go func() {
			// One thread each, kept until the scrape: the kernel forgets a
			// thread's delay when it exits.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			deadline := time.Now().Add(spin)
			for time.Now().Before(deadline) {
			}
			spun.Done()
			<-release
		}()
	}
	spun.Wait()
	defer close(release)
	waited := scrapeCPUWait(t, r) - before
	// Two threads more than CPUs for 300 ms of wall time: at least ~600 ms
	// of waiting in all if the kernel shares fairly; ask for a sixth.
	if min := (2 * spin / 6).Seconds(); waited < min {
		t.Errorf("CPU wait grew by %.3f s over %d spinners on %d CPUs, want at least %.3f s", waited, spinners, runtime.NumCPU(), min)
	}
}

func scrapeCPUWait(t *testing.T, r *Registry) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, l := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(l, "pegasus_process_cpu_wait_seconds_total "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("/metrics lacks pegasus_process_cpu_wait_seconds_total:\n%s", body)
	return 0
}
