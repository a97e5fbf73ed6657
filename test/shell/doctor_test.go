package shelltest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
)

type doctorReport struct {
	Status   string `json:"status"`
	Findings []struct {
		Severity, Check, Subject, Message, Suggestion string
	} `json:"findings"`
}

// has reports whether the report has a finding of this check and subject
// ("" matches any subject) with this severity.
func (d doctorReport) has(severity, check, subject string) bool {
	for _, f := range d.Findings {
		if f.Severity == severity && f.Check == check && (subject == "" || f.Subject == subject) {
			return true
		}
	}
	return false
}

// onlyInfoBesides reports whether every finding is info or of one of the
// named checks.
func (d doctorReport) onlyInfoBesides(checks ...string) bool {
	for _, f := range d.Findings {
		if f.Severity != "info" && !strings.Contains(" "+strings.Join(checks, " ")+" ", " "+f.Check+" ") {
			return false
		}
	}
	return true
}

// TestDoctor runs `pegasus-shell -e doctor` against a onebox through the
// states docs/shell.md documents: the onebox as started (table temp with
// three replicas per partition: healthy, exit 0); only single-replica
// tables (healthy, exit 0, a dropped table expiring as info); the meta freezed (warning); a replica server killed (critical,
// exit 2, once the meta's failure detector notices).
func TestDoctor(t *testing.T) {
	b := startBox(t, 40)
	meta := b.MetaServers()[0]
	doctor := func(t *testing.T) (result, doctorReport) {
		t.Helper()
		r := runShell(t, nil, "", "-m", meta, "--json", "-e", "doctor")
		var rep doctorReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("doctor JSON: %v\n%v", err, r)
		}
		return r, rep
	}
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	t.Run("onebox as started is healthy", func(t *testing.T) {
		r, rep := doctor(t)
		if r.code != 0 || rep.Status != "healthy" || !rep.onlyInfoBesides() {
			t.Fatalf("want exit 0, healthy (temp fully replicated): %v", r)
		}
	})

	if r := runShell(t, nil, "", "-m", meta, "-e", "create doctor_t -p 4 -r 1"); r.code != 0 {
		t.Fatalf("create: %v", r)
	}
	if err := ac.DropTable(ctx, "temp", time.Hour); err != nil {
		t.Fatalf("drop temp: %v", err)
	}

	t.Run("single-replica tables are healthy", func(t *testing.T) {
		r, rep := doctor(t)
		if r.code != 0 || rep.Status != "healthy" || !rep.onlyInfoBesides() {
			t.Fatalf("want exit 0, healthy: %v", r)
		}
		if !rep.has("info", "dropped_table_expiring", "temp") {
			t.Errorf("want temp's expiry within 24 h as info: %v", r)
		}
		text := runShell(t, nil, "", "-m", meta, "-e", "doctor")
		if text.code != 0 || !strings.Contains(text.stdout, "status: healthy") || !strings.Contains(text.stdout, "`recall ") {
			t.Errorf("text: %v", text)
		}
	})

	t.Run("freezed meta is a warning", func(t *testing.T) {
		if r := runShell(t, nil, "", "-m", meta, "-e", "set_meta_level freezed"); r.code != 0 {
			t.Fatalf("set_meta_level: %v", r)
		}
		r, rep := doctor(t)
		if r.code != 1 || rep.Status != "warning" || !rep.has("warning", "meta_level", "meta") {
			t.Errorf("want exit 1 with a meta_level warning: %v", r)
		}
		if r := runShell(t, nil, "", "-m", meta, "-e", "set_meta_level steady"); r.code != 0 {
			t.Fatalf("set_meta_level: %v", r)
		}
	})

	t.Run("killed replica server is critical", func(t *testing.T) {
		_, parts, err := ac.TablePartitions(ctx, "doctor_t")
		if err != nil {
			t.Fatal(err)
		}
		victim, addr := "", parts[0].Primary
		for i, a := range b.Replicas {
			if a == addr {
				victim = fmt.Sprintf("replica%d", i+1)
			}
		}
		if victim == "" {
			t.Fatalf("primary %q of doctor_t.0 is none of %v", addr, b.Replicas)
		}
		if err := b.Kill(victim, syscall.SIGKILL, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		// The meta notices after its failure-detector grace (10 s on a onebox).
		deadline := time.Now().Add(60 * time.Second)
		var r result
		var rep doctorReport
		for {
			r, rep = doctor(t)
			if r.code == 2 && rep.has("critical", "node_down", addr) && rep.has("critical", "no_primary", "doctor_t") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no node_down %s and no_primary doctor_t within 60 s: %v", addr, r)
			}
			time.Sleep(time.Second)
		}
		if rep.Status != "critical" || !strings.Contains(r.stderr, "critical") {
			t.Errorf("want status critical: %v", r)
		}
	})
}
