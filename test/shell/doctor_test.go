package shelltest

import (
	"context"
	"encoding/json"
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
	Skipped []struct{ Check, Reason string } `json:"skipped"`
}

// has reports whether the report has a finding of this check and subject
// ("" matches any subject) with this severity ("" matches any).
func (d doctorReport) has(severity, check, subject string) bool {
	for _, f := range d.Findings {
		if (severity == "" || f.Severity == severity) && f.Check == check && (subject == "" || f.Subject == subject) {
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

// TestDoctor runs `pegasus-shell -e doctor` against a onebox (on
// 127.0.0.80) through the states docs/shell.md and docs/operations.md
// describe: the onebox as started (table temp with three replicas per
// partition: healthy, exit 0); the meta freezed (warning, exit 1); a replica
// server killed with kill -9 (node down, critical, exit 2, and temp
// under-replicated: with three servers and three replicas per partition
// the guardian has nowhere to add a member); the server restarted (healthy
// again once its replicas have learned); then only single-replica tables
// and a dropped table expiring (healthy, the expiry as info).
func TestDoctor(t *testing.T) {
	b := startBox(t, 80)
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
	// waitDoctor runs doctor once a second until ok accepts its report,
	// at most limit long.
	waitDoctor := func(t *testing.T, limit time.Duration, what string, ok func(result, doctorReport) bool) (result, doctorReport) {
		t.Helper()
		deadline := time.Now().Add(limit)
		for {
			r, rep := doctor(t)
			if ok(r, rep) {
				return r, rep
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s within %v: %v", what, limit, r)
			}
			time.Sleep(time.Second)
		}
	}
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	t.Run("onebox as started is healthy", func(t *testing.T) {
		r, rep := doctor(t)
		if r.code != 0 || rep.Status != "healthy" || !rep.onlyInfoBesides() {
			t.Fatalf("want exit 0, healthy (temp fully replicated): %v", r)
		}
		// The metric checks ran: every server answered /metrics and exposes
		// what they need (only node_flapping, which needs the meta's
		// history, is skipped).
		if rep.has("info", "metrics_unavailable", "") {
			t.Errorf("a server's /metrics did not answer: %v", r)
		}
		for _, s := range rep.Skipped {
			if s.Check != "node_flapping" {
				t.Errorf("check %s skipped: %s", s.Check, s.Reason)
			}
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

	t.Run("killed replica server is critical until it returns", func(t *testing.T) {
		victim, addr := "replica2", b.Replicas[1]
		if err := b.Kill(victim, syscall.SIGKILL, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		// The meta notices after its failure-detector grace (10 s on a
		// onebox) and moves the dead node's primaries to secondaries; temp
		// then has every primary but two members per partition.
		r, rep := waitDoctor(t, 60*time.Second, "node_down and under_replicated temp without no_primary", func(r result, rep doctorReport) bool {
			return rep.has("critical", "node_down", addr) && rep.has("warning", "under_replicated", "temp") &&
				!rep.has("critical", "no_primary", "")
		})
		if r.code != 2 || rep.Status != "critical" || !strings.Contains(r.stderr, "critical") ||
			!rep.onlyInfoBesides("node_down", "under_replicated") {
			t.Errorf("want exit 2, critical, only node_down and under_replicated: %v", r)
		}
		text := runShell(t, nil, "", "-m", meta, "-e", "doctor")
		if text.code != 2 || !strings.Contains(text.stdout, "CRITICAL  node_down  "+addr) ||
			!strings.Contains(text.stdout, "WARNING   under_replicated  temp: 8 of 8 partitions") {
			t.Errorf("text: %v", text)
		}

		if err := b.Launch(ctx, victim); err != nil {
			t.Fatalf("restart %s: %v", victim, err)
		}
		r, _ = waitDoctor(t, 2*time.Minute, "healthy cluster after the restart", func(r result, rep doctorReport) bool {
			return r.code == 0
		})
		if _, rep := doctor(t); rep.has("", "node_down", "") {
			t.Errorf("healthy with a node down: %v", r)
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
}
