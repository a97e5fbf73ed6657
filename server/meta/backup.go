package meta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/server/backup"
	"github.com/pegasus-go/pegasus/server/metastore"
)

// One-shot cold backups (docs/backup.md). The meta server keeps a record
// per backup in its store and runs each unfinished backup while it leads:
// it asks every partition's current primary to upload a checkpoint
// (RPC_COLD_BACKUP, runner in backup_run.go) until all have, then writes
// the backup's metadata to the provider, which marks the backup complete.
// A new leader (or a restarted meta server) resumes the unfinished ones.

// backupRecord is one backup as the store keeps it.
type backupRecord struct {
	BackupID       int64  `json:"backup_id"`
	AppID          int32  `json:"app_id"`
	AppName        string `json:"app_name"`
	Provider       string `json:"backup_provider_type"`
	Path           string `json:"backup_path"`
	Cluster        string `json:"cluster"`
	PartitionCount int32  `json:"partition_count"`
	StartTimeMs    int64  `json:"start_time_ms"`
	EndTimeMs      int64  `json:"end_time_ms"`
	Failed         bool   `json:"failed"`
	Hint           string `json:"hint,omitempty"`
	// Policy names the backup policy that started the backup ("" for a
	// one-shot backup).
	Policy string `json:"policy,omitempty"`
	// Uploaded holds, per partition, the manifest summary once its
	// primary reported the upload done (Files == 0 and Decree == -1: not yet).
	Uploaded []backup.PartitionSummary `json:"uploaded"`
}

func (r *backupRecord) location() backup.Location {
	return backup.Location{Prefix: r.Path, Cluster: r.Cluster, AppName: r.AppName, AppID: r.AppID, BackupID: r.BackupID}
}

func (r *backupRecord) finished() bool { return r.Failed || r.EndTimeMs > 0 }

func (r *backupRecord) doneCount() int {
	n := 0
	for _, u := range r.Uploaded {
		if u.Decree >= 0 {
			n++
		}
	}
	return n
}

func (r *backupRecord) clone() *backupRecord {
	c := *r
	c.Uploaded = append([]backup.PartitionSummary(nil), r.Uploaded...)
	return &c
}

// backups is the meta server's backup bookkeeping.
type backups struct {
	mu      sync.Mutex // guards the fields below
	records map[int64]*backupRecord
	running map[int64]bool
	loaded  bool // records were read from the store in this term
	closed  bool
	wg      sync.WaitGroup // the runners
}

func backupsPath(root string) string { return metastore.Join(root, "backup", "oneshot") }

func backupPath(root string, id int64) string {
	return metastore.Join(backupsPath(root), strconv.FormatInt(id, 10))
}

// saveBackup persists a record with the term's fence.
func (s *Server) saveBackup(ctx context.Context, r *backupRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode backup %d: %w", r.BackupID, err)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if !s.leading() {
		return errNotLeading
	}
	if err := s.store.Commit(ctx, append([]metastore.Op{metastore.PutOp(backupPath(s.opts.ClusterRoot, r.BackupID), b)}, s.fence...)); err != nil {
		s.depose(err)
		return &storeError{err}
	}
	return nil
}

// loadBackups reads the records once per term and resumes the unfinished
// backups. It runs whenever the records are needed, so a server that just
// took over picks them up on the first backup RPC or the next poll.
func (s *Server) loadBackups(ctx context.Context) error {
	s.bk.mu.Lock()
	loaded := s.bk.loaded
	s.bk.mu.Unlock()
	if loaded {
		return nil
	}
	root := backupsPath(s.opts.ClusterRoot)
	names, err := s.store.Children(ctx, root)
	if err != nil && !errors.Is(err, metastore.ErrNotFound) {
		return fmt.Errorf("load backups: %w", err)
	}
	records := map[int64]*backupRecord{}
	for _, name := range names {
		b, err := s.store.Get(ctx, metastore.Join(root, name))
		if err != nil {
			return fmt.Errorf("load backup %s: %w", name, err)
		}
		var r backupRecord
		if err := json.Unmarshal(b, &r); err != nil {
			s.log.Error("meta: unreadable backup record skipped", "backup", name, "err", err)
			continue
		}
		records[r.BackupID] = &r
	}
	s.bk.mu.Lock()
	if !s.bk.loaded {
		s.bk.records, s.bk.loaded = records, true
	}
	s.bk.mu.Unlock()
	for _, r := range records {
		if !r.finished() {
			s.runBackup(r.BackupID)
		}
	}
	return nil
}

// forgetBackups drops the records when a term ends (lead returns): the
// next term reads them again.
func (s *Server) forgetBackups() {
	s.bk.mu.Lock()
	s.bk.loaded, s.bk.records = false, nil
	s.bk.mu.Unlock()
}

// backupRecords returns copies of the records of app (all when appID < 0).
func (s *Server) backupRecords(appID int32) []*backupRecord {
	s.bk.mu.Lock()
	defer s.bk.mu.Unlock()
	var out []*backupRecord
	for _, r := range s.bk.records {
		if appID < 0 || r.AppID == appID {
			out = append(out, r.clone())
		}
	}
	return out
}

// updateBackup changes a record in memory and persists it.
func (s *Server) updateBackup(ctx context.Context, id int64, change func(r *backupRecord)) (*backupRecord, error) {
	s.bk.mu.Lock()
	r, ok := s.bk.records[id]
	if !ok {
		s.bk.mu.Unlock()
		return nil, fmt.Errorf("backup %d: no record", id)
	}
	change(r)
	c := r.clone()
	s.bk.mu.Unlock()
	return c, s.saveBackup(ctx, c)
}

// runBackup starts the runner of backup id unless one runs.
func (s *Server) runBackup(id int64) {
	s.bk.mu.Lock()
	defer s.bk.mu.Unlock()
	if s.bk.closed || s.bk.running[id] || s.ctx.Err() != nil {
		return
	}
	if s.bk.running == nil {
		s.bk.running = map[int64]bool{}
	}
	s.bk.running[id] = true
	s.bk.wg.Add(1)
	go func() {
		defer s.bk.wg.Done()
		defer func() {
			s.bk.mu.Lock()
			delete(s.bk.running, id)
			s.bk.mu.Unlock()
		}()
		s.backupRunner(id)
	}()
}

// closeBackups waits for the runners; the caller cancels s.ctx first.
func (s *Server) closeBackups() {
	s.bk.mu.Lock()
	s.bk.closed = true
	s.bk.mu.Unlock()
	s.bk.wg.Wait()
}

func nowMs(t time.Time) int64 { return t.UnixMilli() }
