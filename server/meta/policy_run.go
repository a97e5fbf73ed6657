package meta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/server/backup"
	"github.com/pegasus-go/pegasus/server/metastore"
)

// The policy loop: while this server leads, one goroutine (started by
// lead, stopped when the term ends or the server closes) looks at every
// policy each BackupPollInterval, starts a backup of each of a due
// policy's tables with the one-shot machinery (backup.go), and applies
// retention to the policy's finished backups.

// policies is the meta server's policy bookkeeping for one term.
type policies struct {
	mu      sync.Mutex // guards records and loaded; held across a change's store write
	records map[string]*policyRecord
	loaded  bool
}

func policiesPath(root string) string { return metastore.Join(root, "backup", "policy") }

func policyPath(root, name string) string { return metastore.Join(policiesPath(root), name) }

// savePolicy persists a policy with the term's fence.
func (s *Server) savePolicy(ctx context.Context, p *policyRecord) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode policy %s: %w", p.Name, err)
	}
	return s.fencedCommit(ctx, metastore.PutOp(policyPath(s.opts.ClusterRoot, p.Name), b))
}

// fencedCommit commits one op with the term's fence.
func (s *Server) fencedCommit(ctx context.Context, op metastore.Op) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if !s.leading() {
		return errNotLeading
	}
	if err := s.store.Commit(ctx, append([]metastore.Op{op}, s.fence...)); err != nil {
		s.depose(err)
		return &storeError{err}
	}
	return nil
}

// loadPoliciesLocked reads the policies once per term; s.pol.mu is held.
func (s *Server) loadPoliciesLocked(ctx context.Context) error {
	if s.pol.loaded {
		return nil
	}
	root := policiesPath(s.opts.ClusterRoot)
	names, err := s.store.Children(ctx, root)
	if err != nil && !errors.Is(err, metastore.ErrNotFound) {
		return fmt.Errorf("load backup policies: %w", err)
	}
	records := map[string]*policyRecord{}
	for _, name := range names {
		b, err := s.store.Get(ctx, metastore.Join(root, name))
		if err != nil {
			return fmt.Errorf("load backup policy %s: %w", name, err)
		}
		var p policyRecord
		if err := json.Unmarshal(b, &p); err != nil {
			s.log.Error("meta: unreadable backup policy skipped", "policy", name, "err", err)
			continue
		}
		records[p.Name] = &p
	}
	s.pol.records, s.pol.loaded = records, true
	return nil
}

// policyList returns copies of the policies, sorted by name.
func (s *Server) policyList(ctx context.Context) ([]*policyRecord, error) {
	s.pol.mu.Lock()
	defer s.pol.mu.Unlock()
	if err := s.loadPoliciesLocked(ctx); err != nil {
		return nil, err
	}
	out := make([]*policyRecord, 0, len(s.pol.records))
	for _, p := range s.pol.records {
		out = append(out, p.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// forgetPolicies drops the cached policies when a term ends.
func (s *Server) forgetPolicies() {
	s.pol.mu.Lock()
	s.pol.records, s.pol.loaded = nil, false
	s.pol.mu.Unlock()
}

// policyBackups returns copies of policy's backup records, oldest first.
func (s *Server) policyBackups(policy string) []*backupRecord {
	var out []*backupRecord
	for _, r := range s.backupRecords(-1) {
		if r.Policy == policy {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].BackupID < out[j].BackupID })
	return out
}

// startPolicyLoop runs the policy loop until the returned stop is called;
// stop waits for it.
func (s *Server) startPolicyLoop() (stop func()) {
	return s.startLoop(s.opts.BackupPollInterval, s.policyRound)
}

// startLoop runs round at once and then every period, on a goroutine of
// its own, until the returned stop is called; stop cancels the round's
// context and waits for the goroutine.
func (s *Server) startLoop(period time.Duration, round func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(s.ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			round(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}

// policyRound starts the backups of every due policy and applies
// retention to every policy.
func (s *Server) policyRound(ctx context.Context) {
	if !s.leading() {
		return
	}
	pols, err := s.policyList(ctx)
	if err != nil {
		s.log.Error("meta: backup policies", "err", err)
		return
	}
	if len(pols) == 0 {
		return
	}
	if err := s.loadBackups(ctx); err != nil {
		s.log.Error("meta: backup policies", "err", err)
		return
	}
	now := s.now()
	for _, p := range pols {
		if ctx.Err() != nil {
			return
		}
		s.retain(ctx, p)
		if p.Disabled {
			continue
		}
		var last int64
		if recs := s.policyBackups(p.Name); len(recs) > 0 {
			last = recs[len(recs)-1].StartTimeMs
		}
		due, err := nextDue(p, last, time.Local)
		if err != nil {
			s.log.Error("meta: backup policy", "policy", p.Name, "err", err)
			continue
		}
		if now.Before(due) {
			continue
		}
		for _, id := range p.AppIDs {
			if _, err := s.startBackup(ctx, id, p.Provider, "", p.Name); err != nil {
				level := slog.LevelWarn
				var r *Refusal
				if errors.As(err, &r) { // busy, or the table was dropped: retried every round
					level = slog.LevelDebug
				}
				s.log.Log(ctx, level, "meta: policy backup not started", "policy", p.Name, "app_id", id, "err", err)
			}
		}
	}
}

// retain removes, per table, the policy's backups beyond its history
// count: first on the provider, then the record.
func (s *Server) retain(ctx context.Context, p *policyRecord) {
	byApp := map[int32][]*backupRecord{}
	for _, r := range s.policyBackups(p.Name) {
		byApp[r.AppID] = append(byApp[r.AppID], r)
	}
	for _, recs := range byApp {
		for _, id := range expiredBackups(recs, int(p.HistoryCount)) {
			if err := s.deleteBackup(ctx, id); err != nil {
				s.log.Error("meta: remove an old policy backup", "policy", p.Name, "backup_id", id, "err", err)
			}
		}
	}
}

// deleteBackup removes backup id's files from its provider and then its
// record.
func (s *Server) deleteBackup(ctx context.Context, id int64) error {
	s.bk.mu.Lock()
	r, ok := s.bk.records[id]
	if ok {
		r = r.clone()
	}
	s.bk.mu.Unlock()
	if !ok {
		return nil
	}
	bs, err := backup.Open(r.Provider, s.opts.BackupRoot)
	if err != nil {
		return fmt.Errorf("delete backup %d: %w", id, err)
	}
	if err := bs.Remove(ctx, r.location().Dir()); err != nil {
		return fmt.Errorf("delete backup %d: %w", id, err)
	}
	if err := s.fencedCommit(ctx, metastore.DeleteOp(backupPath(s.opts.ClusterRoot, id))); err != nil {
		return fmt.Errorf("delete backup record %d: %w", id, err)
	}
	s.bk.mu.Lock()
	delete(s.bk.records, id)
	s.bk.mu.Unlock()
	s.log.Info("meta: old policy backup removed", "policy", r.Policy, "backup_id", id, "app", r.AppName)
	return nil
}

func formatInterval(sec int64) string { return strconv.FormatInt(sec, 10) }

// PolicyView is a backup policy as the /meta/backup_policy page shows it,
// with its newest backups.
type PolicyView struct {
	Name            string             `json:"policy_name"`
	Provider        string             `json:"backup_provider_type"`
	AppIDs          []int32            `json:"app_ids"`
	IntervalSeconds int64              `json:"backup_interval_seconds"`
	StartTime       string             `json:"start_time"`
	HistoryCount    int32              `json:"backup_history_count"`
	Enabled         bool               `json:"enabled"`
	Backups         []PolicyBackupView `json:"backups"`
}

// PolicyBackupView is one backup of a policy, newest first in PolicyView.
type PolicyBackupView struct {
	BackupID    int64  `json:"backup_id"`
	AppID       int32  `json:"app_id"`
	AppName     string `json:"app_name"`
	StartTimeMs int64  `json:"start_time_ms"`
	EndTimeMs   int64  `json:"end_time_ms"`
	Status      string `json:"status"` // running, completed or failed
}

// PolicyViews lists the backup policies, by name, each with the backups it
// still has records of (retention bounds them), newest first.
func (s *Server) PolicyViews(ctx context.Context) ([]PolicyView, error) {
	pols, err := s.policyList(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.loadBackups(ctx); err != nil {
		return nil, err
	}
	out := make([]PolicyView, 0, len(pols))
	for _, p := range pols {
		v := PolicyView{Name: p.Name, Provider: p.Provider, AppIDs: p.AppIDs, IntervalSeconds: p.IntervalSec,
			StartTime: p.StartTime, HistoryCount: p.HistoryCount, Enabled: !p.Disabled, Backups: []PolicyBackupView{}}
		recs := s.policyBackups(p.Name)
		for i := len(recs) - 1; i >= 0; i-- {
			r := recs[i]
			st := "completed"
			switch {
			case r.Failed:
				st = "failed"
			case !r.finished():
				st = "running"
			}
			v.Backups = append(v.Backups, PolicyBackupView{BackupID: r.BackupID, AppID: r.AppID, AppName: r.AppName,
				StartTimeMs: r.StartTimeMs, EndTimeMs: r.EndTimeMs, Status: st})
		}
		out = append(out, v)
	}
	return out, nil
}
