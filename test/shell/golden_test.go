package shelltest

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pegasus-go/pegasus/shell"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden files in testdata with the actual output")

// Golden files: testdata/*.txt hold lines "> command", each followed by
// the output it gives — standard error lines prefixed with "! ", and
// "[exit N]" for a non-zero status. One session runs a whole file, so
// `use` and other settings carry from case to case. Values that change
// from run to run (times, the onebox's directory, which replica server
// got which partition) are replaced by placeholders. Each file gets a
// fresh onebox on 127.0.0.22, so that files do not depend on each other.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			b := startBox(t, 22)
			runGolden(t, f, b.MetaServers())
		})
	}
}

type goldenCase struct {
	cmd, want string
}

func parseGolden(t *testing.T, path string) []goldenCase {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	for _, line := range strings.SplitAfter(string(raw), "\n") {
		if strings.HasPrefix(line, "> ") {
			cases = append(cases, goldenCase{cmd: strings.TrimSpace(line[2:])})
			continue
		}
		if len(cases) == 0 {
			continue // a header comment
		}
		cases[len(cases)-1].want += line
	}
	return cases
}

func runGolden(t *testing.T, path string, metas []string) {
	cases := parseGolden(t, path)
	out := &transcript{}
	s, err := shell.NewSession(shell.Options{
		Cluster: strings.Join(metas, ","), Stdout: out.stream(""), Stderr: out.stream("! "),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var rewritten strings.Builder
	header, _ := os.ReadFile(path)
	if i := bytes.Index(header, []byte("> ")); i > 0 {
		rewritten.Write(header[:i])
	}
	for _, c := range cases {
		code := s.Exec(context.Background(), c.cmd)
		got := out.take()
		if code != 0 {
			got += "[exit " + strconv.Itoa(code) + "]\n"
		}
		got = redact(got, metas[0])
		if !*rewrite && got != c.want {
			t.Errorf("%s: > %s\n--- want ---\n%s--- got ---\n%s", filepath.Base(path), c.cmd, c.want, got)
		}
		rewritten.WriteString("> " + c.cmd + "\n" + got)
	}
	if *rewrite {
		if err := os.WriteFile(path, []byte(rewritten.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// transcript interleaves standard output and standard error line by line.
type transcript struct {
	mu      sync.Mutex // guards buf and partial
	buf     strings.Builder
	partial map[string]*strings.Builder
}

type streamWriter struct {
	t      *transcript
	prefix string
}

func (t *transcript) stream(prefix string) *streamWriter { return &streamWriter{t, prefix} }

func (w *streamWriter) Write(p []byte) (int, error) {
	t := w.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.partial == nil {
		t.partial = map[string]*strings.Builder{}
	}
	pb := t.partial[w.prefix]
	if pb == nil {
		pb = &strings.Builder{}
		t.partial[w.prefix] = pb
	}
	pb.Write(p)
	s := pb.String()
	i := strings.LastIndexByte(s, '\n')
	if i < 0 {
		return len(p), nil
	}
	for _, line := range strings.SplitAfter(s[:i+1], "\n") {
		if line == "\n" {
			t.buf.WriteString(strings.TrimSpace(w.prefix) + line)
		} else if line != "" {
			t.buf.WriteString(w.prefix + line)
		}
	}
	pb.Reset()
	pb.WriteString(s[i+1:])
	return len(p), nil
}

// take returns what was written since the last take.
func (t *transcript) take() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for prefix, pb := range t.partial {
		if pb.Len() > 0 {
			t.buf.WriteString(prefix + pb.String() + "\n")
			pb.Reset()
		}
	}
	s := t.buf.String()
	t.buf.Reset()
	return s
}

var redactions = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d`), "<time>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)`), "<time>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`), "<time>"},
	{regexp.MustCompile(`bbolt:\S+`), "bbolt:<dir>"},
	{regexp.MustCompile(`(?m)^! INFO: processed for .*\n`), ""},
	{regexp.MustCompile(`(?m)^! \S+ not ready yet, still waiting.*\n`), ""},
}

// redact replaces what differs between runs; replica addresses become
// <replica> since the meta server places partitions as replica servers
// come up.
func redact(s, meta string) string {
	host := meta[:strings.LastIndexByte(meta, ':')]
	s = strings.ReplaceAll(s, meta, "<meta>")
	s = regexp.MustCompile(regexp.QuoteMeta(host)+`:348\d\d`).ReplaceAllString(s, "<replica>")
	for _, r := range redactions {
		s = r.re.ReplaceAllString(s, r.with)
	}
	return s
}
