package shelltest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// result is one run of the pegasus-shell binary.
type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

// runShell runs pegasus-shell with args, stdin as its standard input (not
// a terminal), and env as its whole environment when not nil. Each run is
// bounded to 60 seconds.
func runShell(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, shellBinary, args...)
	if env != nil {
		cmd.Env = env
	}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("run pegasus-shell %q: %v", args, err)
	}
	return r
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\n--- stdout ---\n" + r.stdout + "--- stderr ---\n" + r.stderr
}

func TestScripted(t *testing.T) {
	b := startBox(t, 23)
	meta := b.MetaServers()[0]
	sh := func(t *testing.T, stdin string, args ...string) result {
		t.Helper()
		return runShell(t, nil, stdin, append([]string{"-m", meta}, args...)...)
	}
	if r := sh(t, "", "-e", "create script_t -p 4 -r 1"); r.code != 0 {
		t.Fatalf("create: %v", r)
	}

	t.Run("execute stops at the first failure", func(t *testing.T) {
		r := sh(t, "", "-e", "use script_t; lss; version")
		if r.code != 2 || strings.Contains(r.stdout, "Pegasus Shell") || !strings.Contains(r.stderr, "did you mean 'ls'") {
			t.Errorf("want exit 2 before version: %v", r)
		}
		r = sh(t, "", "--keep-going", "-e", "use nope; version")
		if r.code != 1 || !strings.Contains(r.stdout, "Pegasus Shell") {
			t.Errorf("want version run and exit 1: %v", r)
		}
		r = sh(t, "", "-e", "use script_t", "-e", `set k "a;b" "v 1"; get k "a;b"`)
		if r.code != 0 || r.stdout != "OK\n\"v 1\"\n" {
			t.Errorf("quoted semicolons, results on stdout only: %v", r)
		}
		if !strings.Contains(r.stderr, "partition_index") {
			t.Errorf("the partition footer belongs on stderr: %v", r)
		}
	})

	t.Run("script file", func(t *testing.T) {
		dir := t.TempDir()
		script := filepath.Join(dir, "s.txt")
		os.WriteFile(script, []byte("# a comment\nuse script_t\n\nset f1 s v\nget f1 nope_missing_arg_next\nget f1\nget f1 s\n"), 0o644)
		r := sh(t, "", "-f", script)
		if r.code != 2 || strings.Contains(r.stdout, `"v"`) || !strings.Contains(r.stderr, "USAGE: get") {
			t.Errorf("want stop at the usage error: %v", r)
		}
		r = sh(t, "", "-k", "-f", script)
		if r.code != 2 || !strings.Contains(r.stdout, `"v"`) {
			t.Errorf("want every line run and exit 2: %v", r)
		}
	})

	t.Run("stdin runs every line", func(t *testing.T) {
		r := sh(t, "use script_t\nset p q r\nbogus\nget p q\n")
		if r.code != 2 || !strings.Contains(r.stdout, `"r"`) {
			t.Errorf("want state carried across lines, every line run, exit 2: %v", r)
		}
		if strings.Contains(r.stdout, ">>>") || strings.Contains(r.stdout, "\x1b[") {
			t.Errorf("no prompt and no colours without a terminal: %v", r)
		}
		if r := sh(t, "use script_t\nget p q\n"); r.code != 0 {
			t.Errorf("want exit 0: %v", r)
		}
	})

	t.Run("answers and mutations from the next lines", func(t *testing.T) {
		r := sh(t, "set_replica_count script_t 2\ny\nget_replica_count script_t\nset_replica_count script_t 3\nn\n")
		if !strings.Contains(r.stdout, "from 1 to 2: success") || !strings.Contains(r.stdout, "max_replica_count  : 2") || r.code != 1 {
			t.Errorf("want y applied, n refused: %v", r)
		}
		r = sh(t, "use script_t\ncheck_and_mutate cm -c c -t not_exist\nset c v1\nset d v2 100\ndel zz\nok\nmulti_get cm\n")
		if r.code != 0 || !strings.Contains(r.stdout, "Mutate succeed.") || !strings.Contains(r.stdout, `"cm" : "d" => "v2"`) {
			t.Errorf("check_and_mutate from stdin: %v", r)
		}
	})

	t.Run("dangerous commands need yes without a terminal", func(t *testing.T) {
		sh(t, "", "-e", "create script_drop -p 1 -r 1")
		r := sh(t, "", "-e", "drop script_drop")
		if r.code != 2 || !strings.Contains(r.stderr, "--yes") {
			t.Errorf("want a refusal: %v", r)
		}
		r = sh(t, "", "--yes", "-e", "drop script_drop")
		if r.code != 0 || !strings.Contains(r.stdout, "drop app script_drop succeed") {
			t.Errorf("want the drop: %v", r)
		}
	})

	t.Run("json", func(t *testing.T) {
		var tables []map[string]any
		r := sh(t, "", "-e", "ls --json")
		if err := json.Unmarshal([]byte(r.stdout), &tables); err != nil || r.code != 0 {
			t.Fatalf("ls --json: %v: %v", err, r)
		}
		partitions := 0.0
		for _, tb := range tables {
			for _, f := range []string{"app_id", "name", "status", "partition_count", "replica_count"} {
				if _, ok := tb[f]; !ok {
					t.Errorf("ls --json: no %s in %v", f, tb)
				}
			}
			partitions += tb["partition_count"].(float64)
		}
		var nodes []map[string]any
		r = sh(t, "", "--json", "-e", "nodes -d")
		if err := json.Unmarshal([]byte(r.stdout), &nodes); err != nil || len(nodes) != 3 {
			t.Fatalf("nodes -d --json: %v: %v", err, r)
		}
		primaries := 0.0
		for _, n := range nodes {
			for _, f := range []string{"address", "status", "replica_count", "primary_count", "secondary_count"} {
				if _, ok := n[f]; !ok {
					t.Errorf("nodes -d --json: no %s in %v", f, n)
				}
			}
			primaries += n["primary_count"].(float64)
		}
		if primaries != partitions {
			t.Errorf("nodes count %v primaries, tables have %v partitions", primaries, partitions)
		}
		var app struct {
			Partitions []struct {
				Pidx        *int     `json:"pidx"`
				Ballot      *int     `json:"ballot"`
				Primary     string   `json:"primary"`
				Secondaries []string `json:"secondaries"`
			} `json:"partitions"`
		}
		r = sh(t, "", "-e", "app script_t -d -j")
		if err := json.Unmarshal([]byte(r.stdout), &app); err != nil || len(app.Partitions) != 4 {
			t.Fatalf("app -d --json: %v: %v", err, r)
		}
		for _, p := range app.Partitions {
			if p.Pidx == nil || p.Ballot == nil || p.Primary == "" || p.Secondaries == nil {
				t.Errorf("app -d --json partition incomplete: %+v", p)
			}
		}
		// A JSON session prints one document per command.
		r = sh(t, "", "--json", "-e", "use script_t; set j k v; get j k; exist j k")
		dec := json.NewDecoder(strings.NewReader(r.stdout))
		docs := 0
		for dec.More() {
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("json stream: %v: %v", err, r)
			}
			docs++
		}
		if docs != 3 || r.code != 0 {
			t.Errorf("want 3 JSON documents: %v", r)
		}
	})

	t.Run("output file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "nodes.txt")
		r := sh(t, "", "-e", "nodes -d -o "+f)
		data, _ := os.ReadFile(f)
		if r.code != 0 || r.stdout != "" || !strings.Contains(string(data), "[details]") || !strings.Contains(string(data), "out_file") {
			t.Errorf("nodes -d -o: %v\nfile:\n%s", r, data)
		}
	})

	t.Run("cluster unreachable", func(t *testing.T) {
		r := runShell(t, nil, "", "-m", "127.0.0.29:1", "-e", "ls")
		if r.code != 3 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "cluster unreachable") || r.took > 20*time.Second {
			t.Errorf("want one line and exit 3 within the bounded wait: %v (took %v)", r, r.took)
		}
		if strings.Contains(r.stderr, "goroutine") {
			t.Errorf("stack trace: %v", r)
		}
	})

	t.Run("config file and cluster names", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "shell.toml")
		os.WriteFile(cfg, []byte("default_cluster = \"test\"\n[clusters.test]\nmeta_servers = [\""+meta+"\"]\n[clusters.dead]\nmeta_servers = [\"127.0.0.29:1\"]\n"), 0o644)
		for _, args := range [][]string{
			{"--config", cfg, "-e", "cluster_info"},
			{"-c", cfg, "--cluster", "test", "-e", "cluster_info"},
			{"-c", cfg, "-n", "test", "-e", "cluster_info"},
			{cfg, "test", "-e", "cluster_info"},
			{"-c", cfg, "-n", "dead", "-e", "cc test; cluster_info"},
		} {
			if r := runShell(t, nil, "", args...); r.code != 0 || !strings.Contains(r.stdout, "primary_meta_server") {
				t.Errorf("%q: %v", args, r)
			}
		}
		if r := runShell(t, nil, "", "-c", cfg, "-n", "nope", "-e", "ls"); r.code != 2 {
			t.Errorf("unknown cluster name: %v", r)
		}
		if r := runShell(t, nil, "", "-c", cfg, "-m", meta, "-n", "test", "-e", "ls"); r.code != 2 {
			t.Errorf("-m with -n: %v", r)
		}
	})

	t.Run("cron: no terminal, no HOME", func(t *testing.T) {
		env := []string{"PATH=/usr/bin:/bin"}
		r := runShell(t, env, "", "-m", meta, "-e", "use script_t; get p q; ls")
		if r.code != 0 || !strings.Contains(r.stdout, "[general_info]") {
			t.Errorf("-e: %v", r)
		}
		r = runShell(t, env, "use script_t\nget p q\n", "-m", meta)
		if r.code != 0 || !strings.Contains(r.stdout, `"r"`) {
			t.Errorf("stdin: %v", r)
		}
	})

	t.Run("flags of the binary", func(t *testing.T) {
		if r := runShell(t, nil, "", "--help"); r.code != 0 || !strings.Contains(r.stdout, "Exit status") {
			t.Errorf("--help: %v", r)
		}
		if r := runShell(t, nil, "", "--bogus"); r.code != 2 {
			t.Errorf("--bogus: %v", r)
		}
	})
}
