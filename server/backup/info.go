package backup

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// Info is the backup-level metadata, written after every partition's
// manifest: its presence marks the backup complete. It carries what a
// restore needs to create the table again.
type Info struct {
	BackupID        int64             `json:"backup_id"`
	Cluster         string            `json:"cluster"`
	AppName         string            `json:"app_name"`
	AppID           int32             `json:"app_id"`
	AppType         string            `json:"app_type"`
	PartitionCount  int32             `json:"partition_count"`
	MaxReplicaCount int32             `json:"max_replica_count"`
	Envs            map[string]string `json:"envs,omitempty"`
	Provider        string            `json:"backup_provider_type"`
	Path            string            `json:"backup_path,omitempty"`
	StartTimeMs     int64             `json:"start_time_ms"`
	EndTimeMs       int64             `json:"end_time_ms"`
	// Partitions summarises each partition's manifest.
	Partitions []PartitionSummary `json:"partitions"`
}

// PartitionSummary is one partition of a finished backup.
type PartitionSummary struct {
	Index  int32 `json:"partition_index"`
	Decree int64 `json:"checkpoint_decree"`
	Files  int   `json:"files"`
	Size   int64 `json:"total_size"`
}

// Location is where the backup described by i lives.
func (i Info) Location() Location {
	return Location{Prefix: i.Path, Cluster: i.Cluster, AppName: i.AppName, AppID: i.AppID, BackupID: i.BackupID}
}

// WriteInfo writes the completion marker of the backup at loc.
func WriteInfo(ctx context.Context, bs BlockService, loc Location, info Info) error {
	if err := putJSON(ctx, bs, loc.InfoPath(), info); err != nil {
		return fmt.Errorf("write backup info: %w", err)
	}
	return nil
}

// ReadInfo reads a backup's metadata; a backup without it is
// ErrIncomplete (it never finished, or is not there at all).
func ReadInfo(ctx context.Context, bs BlockService, loc Location) (Info, error) {
	var info Info
	err := getJSON(ctx, bs, loc.InfoPath(), &info)
	if errors.Is(err, ErrNotFound) {
		return info, fmt.Errorf("backup %s has no %s: %w", loc, infoFile, ErrIncomplete)
	}
	if err != nil {
		return info, fmt.Errorf("backup %s: %w", loc, err)
	}
	if info.BackupID != loc.BackupID || info.AppID != loc.AppID || info.PartitionCount <= 0 {
		return info, fmt.Errorf("backup %s: metadata names backup %d of table %d with %d partitions: %w",
			loc, info.BackupID, info.AppID, info.PartitionCount, ErrCorrupt)
	}
	return info, nil
}

// ListBackups returns the ids of the backups kept for a table (finished
// or not), oldest first.
func ListBackups(ctx context.Context, bs BlockService, tableDir string) ([]int64, error) {
	es, err := bs.List(ctx, tableDir)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, e := range es {
		if id, err := strconv.ParseInt(e.Name, 10, 64); err == nil && e.IsDir {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}
