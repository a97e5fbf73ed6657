package shell

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/client"
)

// Version is printed by `version` and the banner.
var Version = "0.2.0"

// DefaultTimeout is the data operation timeout until `timeout` changes it.
const DefaultTimeout = 5 * time.Second

// metaWait bounds each admin call: past it the cluster counts as
// unreachable.
const metaWait = 10 * time.Second

// LineReader reads one line of input for a confirmation or a sub-prompt
// (check_and_mutate's mutations); io.EOF when input has ended.
type LineReader interface {
	ReadLine(prompt string) (string, error)
}

// Options configure a Session.
type Options struct {
	Config  *Config
	Cluster string // a cluster name or a comma-separated meta list; "" = default
	Stdout  io.Writer
	Stderr  io.Writer
	// Input answers confirmations and sub-prompts; nil means none (they
	// fail unless Yes).
	Input LineReader
	// Terminal says a person is at the keyboard: confirmations are asked.
	Terminal bool
	// ProgressBars draws progress bars (standard error is a terminal)
	// instead of periodic plain lines.
	ProgressBars bool
	JSON         bool // every command prints JSON where it has data
	Yes          bool // answer yes to every confirmation
	Timeout      time.Duration
}

// Session is one shell's state: the cluster, the current table, the
// settings of `escape_all` and `timeout`, and where output goes.
type Session struct {
	opts   Options
	stdout io.Writer
	stderr io.Writer
	cfg    *Config

	cluster string
	metas   []string
	admin   *admin.Client
	data    *client.Client
	tables  map[string]*client.Table // opened data tables, by name
	routes  map[string]*routeInfo    // partition locations, by table

	table     string
	escapeAll bool
	timeout   time.Duration
	quit      bool

	live *liveValues // completion values fetched from the cluster

	mu      sync.Mutex // guards running
	running context.CancelFunc
}

// NewSession prepares a session; it connects lazily.
func NewSession(opts Options) (*Session, error) {
	if opts.Config == nil {
		opts.Config = &Config{}
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
		if opts.Config.TimeoutMS > 0 {
			opts.Timeout = time.Duration(opts.Config.TimeoutMS) * time.Millisecond
		}
	}
	s := &Session{opts: opts, stdout: opts.Stdout, stderr: opts.Stderr, cfg: opts.Config, timeout: opts.Timeout}
	name, metas, err := s.cfg.Resolve(opts.Cluster)
	if err != nil {
		return nil, err
	}
	s.connect(name, metas)
	s.live = newLiveValues(s)
	return s, nil
}

// connect points the session at a cluster, closing the old connections.
func (s *Session) connect(name string, metas []string) {
	if s.admin != nil {
		s.admin.Close()
	}
	if s.data != nil {
		s.data.Close()
	}
	s.cluster, s.metas = name, metas
	s.admin = admin.New(metas)
	s.data = client.New(client.Config{MetaServers: metas})
	s.tables = map[string]*client.Table{}
	s.routes = map[string]*routeInfo{}
}

// Close releases the session's connections.
func (s *Session) Close() {
	s.admin.Close()
	s.data.Close()
}

// Cluster is the current cluster's name and meta servers.
func (s *Session) Cluster() (string, []string) { return s.cluster, s.metas }

// Table is the current table ("" when none).
func (s *Session) Table() string { return s.table }

// Quit reports whether `exit` ran.
func (s *Session) Quit() bool { return s.quit }

// Admin is the session's admin client.
func (s *Session) Admin() *admin.Client { return s.admin }

// Prompt is the REPL prompt: the cluster, the current table, ">>> ".
func (s *Session) Prompt() string {
	if s.table == "" {
		return s.cluster + " >>> "
	}
	return s.cluster + "/" + s.table + " >>> "
}

// adminCtx bounds an admin call.
func (s *Session) adminCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, metaWait)
}

// openTable opens (once) a data table of the current cluster.
func (s *Session) openTable(ctx context.Context, name string) (*client.Table, error) {
	if t := s.tables[name]; t != nil {
		return t, nil
	}
	t, err := s.data.OpenTable(ctx, name)
	if err != nil {
		return nil, err
	}
	s.tables[name] = t
	return t, nil
}

// Cancel cancels the running command, if any (Ctrl-C).
func (s *Session) Cancel() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running != nil {
		s.running()
		return true
	}
	return false
}

// confirm asks question on a terminal and reports a yes. Without a
// terminal it refuses (the command's own yes flag, or the session's --yes,
// skip the question) — except where upstream read the answer from the next
// input line of a script (scriptAnswers), which still works.
func (s *Session) confirm(question, yesFlag string, scriptAnswers bool) (bool, error) {
	if s.opts.Yes {
		return true, nil
	}
	if s.opts.Input == nil || !(s.opts.Terminal || scriptAnswers) {
		return false, usagef("this command needs confirmation: pass %s (or run pegasus-shell with --yes)", yesFlag)
	}
	for range 5 {
		ans, err := s.opts.Input.ReadLine(question + " [y/n]: ")
		if err != nil {
			return false, err
		}
		switch strings.ToLower(strings.TrimSpace(ans)) {
		case "y", "yes":
			return true, nil
		case "n", "no":
			return false, nil
		}
		fmt.Fprintln(s.stderr, "please answer y or n")
	}
	return false, nil
}
