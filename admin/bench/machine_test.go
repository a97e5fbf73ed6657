package bench

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

const statBefore = `cpu  1000 0 500 8000 200 0 300 0 0 0
cpu0 500 0 250 4000 100 0 150 0 0 0
cpu1 500 0 250 4000 100 0 150 0 0 0
intr 12345
ctxt 999
`

// 400 ticks in all since statBefore: 100 user, 20 nice, 60 system, 10
// softirq (190 busy), 100 idle, 30 iowait, 80 steal; guest (50) is
// inside user and must not count twice.
const statAfter = `cpu  1100 20 560 8100 230 0 310 80 50 0
cpu0 550 10 280 4050 115 0 155 40 25 0
cpu1 550 10 280 4050 115 0 155 40 25 0
intr 23456
`

func TestMachineBetweenSplitsTheRun(t *testing.T) {
	before, err := parseCPUTimes(strings.NewReader(statBefore))
	if err != nil {
		t.Fatal(err)
	}
	after, err := parseCPUTimes(strings.NewReader(statAfter))
	if err != nil {
		t.Fatal(err)
	}
	m := machineBetween(before, after)
	if m == nil {
		t.Fatal("no result for 400 ticks")
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"busy", m.BusyPct, 47.5}, {"iowait", m.IOWaitPct, 7.5}, {"steal", m.StealPct, 20}, {"idle", m.IdlePct, 25},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %v%%, want %v%%", c.name, c.got, c.want)
		}
	}
	if m.CPUs != 2 {
		t.Errorf("CPUs = %d, want 2", m.CPUs)
	}
	var out bytes.Buffer
	m.print(&out)
	if want := "2 CPUs, 48% busy, 8% idle waiting for I/O, 20% stolen by the hypervisor, 25% idle"; !strings.Contains(out.String(), want) {
		t.Errorf("printed %q, want it to contain %q", out.String(), want)
	}
	if machineBetween(after, after) != nil {
		t.Error("a reading against itself gave a result")
	}
}

func TestParseCPUTimesRejectsBadInput(t *testing.T) {
	for _, in := range []string{"", "intr 1\n", "cpu 1 2 3\n", "cpu 1 2 3 x 5 6 7 8 9 10\n"} {
		if _, err := parseCPUTimes(strings.NewReader(in)); err == nil {
			t.Errorf("parseCPUTimes(%q) gave no error", in)
		}
	}
}

func TestReadCPUTimesOnThisMachine(t *testing.T) {
	got, ok := readCPUTimes()
	if !ok {
		t.Skipf("no readable %s here", procStat)
	}
	if got.cpus < 1 || got.busy+got.idle == 0 {
		t.Errorf("read %+v from %s: no CPUs or no time", got, procStat)
	}
}
