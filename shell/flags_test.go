package shell

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	cmd := lookup("multi_get_range")
	cases := []struct {
		words []string
		args  []string
		vals  map[string]string
		usage bool
	}{
		{words: []string{"h", "a", "z"}, args: []string{"h", "a", "z"}, vals: map[string]string{}},
		{words: []string{"h", "-a", "false", "a", "--stop_inclusive=true", "z", "-n5", "-ir"},
			args: []string{"h", "a", "z"},
			vals: map[string]string{"start_inclusive": "false", "stop_inclusive": "true", "max_count": "5", "no_value": "true", "reverse": "true"}},
		{words: []string{"h", "a", "z", "-s", "PREFIX", "-y", "-x"}, args: []string{"h", "a", "z"},
			vals: map[string]string{"sort_key_filter_type": "prefix", "sort_key_filter_pattern": "-x"}},
		{words: []string{"h", "--", "-a", "-b"}, args: []string{"h", "-a", "-b"}, vals: map[string]string{}},
		{words: []string{"h", "a"}, usage: true},
		{words: []string{"h", "a", "z", "extra"}, usage: true},
		{words: []string{"h", "a", "z", "-q"}, usage: true},
		{words: []string{"h", "a", "z", "-s", "sideways"}, usage: true},
		{words: []string{"h", "a", "z", "-n"}, usage: true},
		{words: []string{"h", "a", "z", "--reverse=maybe"}, usage: true},
	}
	for _, c := range cases {
		p, err := parseArgs(cmd, c.words)
		if c.usage {
			if _, ok := err.(*usageError); !ok {
				t.Errorf("%q: want a usage error, got %v", c.words, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(p.args, c.args) || !reflect.DeepEqual(p.values, c.vals) {
			t.Errorf("%q: got %q %v %v", c.words, p.args, p.values, err)
		}
	}
	// A negative number is a positional argument.
	if p, err := parseArgs(lookup("incr"), []string{"h", "s", "-5"}); err != nil || p.args[2] != "-5" {
		t.Errorf("incr -5: %v %v", p, err)
	}
	// -h asks for help unless the command has its own -h.
	if p, _ := parseArgs(lookup("ls"), []string{"-h"}); p == nil || !p.help {
		t.Error("ls -h is help")
	}
	if p, err := parseArgs(lookup("full_scan"), []string{"-h", "prefix"}); err != nil || p.help || p.values["hash_key_filter_type"] != "prefix" {
		t.Errorf("full_scan -h is its hash key filter: %v %v", p, err)
	}
	// Required flags.
	if _, err := parseArgs(lookup("check_and_set"), []string{"h", "-c", "c", "-t", "exist", "-s", "s"}); err == nil || !strings.Contains(err.Error(), "set_value") {
		t.Errorf("missing -v: %v", err)
	}
}

func TestRegistry(t *testing.T) {
	for _, c := range commands {
		if c.Summary == "" || c.Group == "" || c.Run == nil {
			t.Errorf("%s: summary, group and run are required", c.Name)
		}
		seen := map[string]bool{}
		for _, f := range c.Flags {
			for _, n := range []string{"-" + f.Short, "--" + f.Long, "--" + f.Alias} {
				if n == "-" || n == "--" {
					continue
				}
				if seen[n] {
					t.Errorf("%s: flag %s defined twice", c.Name, n)
				}
				seen[n] = true
			}
		}
	}
	// Every P0 and P1 command upstream scripts use that the server side
	// supports is registered.
	for _, n := range []string{"help", "version", "exit", "use", "cc", "escape_all", "timeout", "ls", "app", "app_stat",
		"create", "drop", "recall", "rename", "get_replica_count", "set_replica_count", "get_atomic_idempotent",
		"enable_atomic_idempotent", "disable_atomic_idempotent", "cluster_info", "nodes", "get_meta_level",
		"set_meta_level", "get_app_envs", "set_app_envs", "del_app_envs", "clear_app_envs", "remote_command",
		"server_info", "set", "get", "del", "multi_set", "multi_get", "multi_get_range", "multi_get_sortkeys",
		"multi_del", "multi_del_range", "incr", "check_and_set", "check_and_mutate", "exist", "count", "ttl", "hash",
		"hash_scan", "full_scan", "copy_data", "clear_data", "count_data"} {
		if lookup(n) == nil {
			t.Errorf("command %s is missing", n)
		}
	}
}

func TestClosest(t *testing.T) {
	for word, want := range map[string]string{"lss": "ls", "nodse": "nodes", "full_scna": "full_scan", "get_app_env": "get_app_envs", "zzzzzzzz": ""} {
		if got := closest(word); got != want {
			t.Errorf("closest(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestSplitCommands(t *testing.T) {
	got := splitCommands(`use t; set a "x;y" 'p;q' ;; get a "x\";"`)
	want := []string{"use t", `set a "x;y" 'p;q'`, `get a "x\";"`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
}

func TestConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shell.toml")
	os.WriteFile(path, []byte("default_cluster = \"a\"\ntimeout_ms = 700\n[clusters.a]\nmeta_servers = [\"10.0.0.1:34601\", \"10.0.0.2:34601\"]\n"), 0o644)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"":                              "a 10.0.0.1:34601,10.0.0.2:34601",
		"a":                             "a 10.0.0.1:34601,10.0.0.2:34601",
		"10.0.0.1:34601,10.0.0.2:34601": "a 10.0.0.1:34601,10.0.0.2:34601",
		"10.9.9.9:1":                    "unknown 10.9.9.9:1",
		"onebox":                        "onebox 127.0.0.1:34601",
	} {
		name, metas, err := cfg.Resolve(in)
		if got := name + " " + strings.Join(metas, ","); err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, _, err := cfg.Resolve("b"); err == nil {
		t.Error("unknown cluster resolved")
	}
	os.WriteFile(path, []byte("[clusters.a]\nmeta_server = [\"x:1\"]\n"), 0o644)
	if _, err := LoadConfig(path); err == nil {
		t.Error("a misspelt key must be an error")
	}
	// The sample config in conf/ parses.
	if _, err := LoadConfig("../conf/shell.toml"); err != nil {
		t.Error(err)
	}
}

func TestSuggest(t *testing.T) {
	s, err := NewSession(Options{Cluster: "127.0.0.29:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	texts := func(before string) []string {
		var out []string
		for _, sg := range s.suggest(before) {
			out = append(out, sg.Text)
		}
		return out
	}
	if got := texts("multi_get_s"); !reflect.DeepEqual(got, []string{"multi_get_sortkeys"}) {
		t.Errorf("command names: %q", got)
	}
	if got := texts("nodes -s "); !reflect.DeepEqual(got, []string{"all", "alive", "unalive"}) {
		t.Errorf("flag choices: %q", got)
	}
	if got := texts("set_meta_level l"); !reflect.DeepEqual(got, []string{"lively"}) {
		t.Errorf("meta levels: %q", got)
	}
	if got := texts("hash_scan h a b --no"); !reflect.DeepEqual(got, []string{"--no_value"}) {
		t.Errorf("long flags: %q", got)
	}
	if got := texts("set_app_envs default_t"); !reflect.DeepEqual(got, []string{"default_ttl"}) {
		t.Errorf("env keys: %q", got)
	}
}
