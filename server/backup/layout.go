package backup

import (
	"fmt"
	"path"
	"strconv"
)

// The layout of one table's backup on a provider (docs/backup.md):
//
//	[<prefix>/]<cluster>/<app_name>_<app_id>/<backup_id>/
//	    backup_info.json           written last: the backup is complete
//	    <pidx>/manifest.json       written after the partition's files
//	    <pidx>/data/<file>         the partition's RocksDB checkpoint
//
// The table's name and id are both in the path, so a table dropped and
// created again under the same name never mixes with its predecessor.
const (
	infoFile     = "backup_info.json"
	manifestFile = "manifest.json"
	dataDir      = "data"
)

// Location names one backup of one table on a provider.
type Location struct {
	Prefix   string // the optional backup_path of the request
	Cluster  string
	AppName  string
	AppID    int32
	BackupID int64
}

// TableDir is the directory holding every backup of a table.
func TableDir(prefix, cluster, appName string, appID int32) string {
	return path.Join(prefix, cluster, fmt.Sprintf("%s_%d", appName, appID))
}

// Dir is the backup's directory.
func (l Location) Dir() string {
	return path.Join(TableDir(l.Prefix, l.Cluster, l.AppName, l.AppID), strconv.FormatInt(l.BackupID, 10))
}

// InfoPath is the backup-level metadata file, the completion marker.
func (l Location) InfoPath() string { return path.Join(l.Dir(), infoFile) }

// PartitionDir is one partition's directory.
func (l Location) PartitionDir(pidx int32) string {
	return path.Join(l.Dir(), strconv.Itoa(int(pidx)))
}

// ManifestPath is a partition's manifest.
func (l Location) ManifestPath(pidx int32) string {
	return path.Join(l.PartitionDir(pidx), manifestFile)
}

// FilePath is one checkpoint file of a partition; name is relative to
// the checkpoint directory, slash-separated.
func (l Location) FilePath(pidx int32, name string) string {
	return path.Join(l.PartitionDir(pidx), dataDir, name)
}

func (l Location) String() string { return l.Dir() }
