package shell

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// liveTTL is how long completion values fetched from the cluster are
// reused before being fetched again (in the background).
const liveTTL = 10 * time.Second

// liveFetchWait bounds how long completion waits for values it has never
// fetched; later fetches happen in the background and never block typing.
const liveFetchWait = 700 * time.Millisecond

// liveValues caches the values the REPL completes from the cluster:
// table names, node addresses, env keys of the current table and remote
// command names.
type liveValues struct {
	s *Session

	mu       sync.Mutex // guards entries
	entries  map[Kind]*liveEntry
	envTable string // the table whose env keys are cached
}

type liveEntry struct {
	values   []string
	at       time.Time
	fetching bool
	done     chan struct{} // closed when the running fetch ends
}

func newLiveValues(s *Session) *liveValues {
	return &liveValues{s: s, entries: map[Kind]*liveEntry{}}
}

// reset forgets everything (another cluster).
func (l *liveValues) reset() {
	l.mu.Lock()
	l.entries = map[Kind]*liveEntry{}
	l.mu.Unlock()
}

// invalidate makes the next completion of kind fetch again.
func (l *liveValues) invalidate(k Kind) {
	l.mu.Lock()
	if e := l.entries[k]; e != nil {
		e.at = time.Time{}
	}
	l.mu.Unlock()
}

// values returns the cached values of kind, fetching them first (for at
// most liveFetchWait) when there are none yet, and refreshing them in the
// background when they are old.
func (l *liveValues) values(k Kind) []string {
	switch k {
	case KindMetaLevel:
		return metaLevelNames
	case KindBool:
		return []string{"true", "false"}
	case KindCluster:
		return l.s.cfg.ClusterNames()
	case KindCommand:
		return Names()
	}
	l.mu.Lock()
	if k == KindEnvKey && l.envTable != l.s.table {
		delete(l.entries, k)
		l.envTable = l.s.table
	}
	e := l.entries[k]
	if e == nil {
		e = &liveEntry{}
		l.entries[k] = e
	}
	stale := time.Since(e.at) > liveTTL
	if stale && !e.fetching {
		e.fetching = true
		e.done = make(chan struct{})
		go l.fetch(k, e, l.s.admin, l.s.table, l.s.metas)
	}
	have, done := e.values != nil, e.done
	l.mu.Unlock()
	if !have && done != nil {
		select {
		case <-done:
		case <-time.After(liveFetchWait):
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return e.values
}

// fetch runs on its own goroutine with the session state it needs copied,
// since the session may change cluster or table meanwhile.
func (l *liveValues) fetch(k Kind, e *liveEntry, ac *admin.Client, table string, metas []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	vals, err := load(ctx, k, ac, table, metas)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		e.values, e.at = vals, time.Now()
	}
	e.fetching = false
	close(e.done)
}

func load(ctx context.Context, k Kind, ac *admin.Client, table string, metas []string) ([]string, error) {
	var out []string
	switch k {
	case KindTable:
		apps, err := ac.ListTables(ctx, layer2.AppStatus_AS_AVAILABLE)
		if err != nil {
			return nil, err
		}
		for _, a := range apps {
			out = append(out, a.AppName)
		}
	case KindNode:
		nodes, err := ac.ListNodes(ctx, admintypes.NodeStatus_NS_INVALID)
		if err != nil {
			return nil, err
		}
		for _, n := range nodes {
			out = append(out, n.Node.String())
		}
	case KindEnvKey:
		seen := map[string]bool{}
		if table != "" {
			if envs, err := ac.TableEnvs(ctx, table); err == nil {
				for key := range envs {
					seen[key] = true
				}
			}
		}
		for _, key := range knownEnvKeys {
			seen[key] = true
		}
		for key := range seen {
			out = append(out, key)
		}
	case KindRemoteCommand:
		seen := map[string]bool{}
		targets := append([]string(nil), metas...)
		if nodes, err := ac.ListNodes(ctx, admintypes.NodeStatus_NS_ALIVE); err == nil && len(nodes) > 0 {
			targets = append(targets, nodes[0].Node.String())
		}
		for _, t := range targets {
			help, err := admin.RemoteCommand(ctx, t, "help", nil)
			if err != nil {
				continue
			}
			for _, line := range strings.Split(help, "\n") {
				if f := strings.Fields(line); len(f) > 0 {
					seen[f[0]] = true
				}
			}
		}
		for c := range seen {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	if out == nil {
		out = []string{}
	}
	return out, nil
}
