package backup

import (
	"fmt"
	"strconv"
)

// A table being restored carries where its data comes from in its envs
// (upstream's restore.* keys, plus the provider's root), so that the
// replica server assigned a partition of it knows what to download.
const (
	EnvRestoreProvider = "restore.block_service_provider"
	EnvRestoreRoot     = "restore.provider_root"
	EnvRestoreCluster  = "restore.cluster_name"
	EnvRestoreAppName  = "restore.app_name"
	EnvRestoreAppID    = "restore.app_id"
	EnvRestoreBackupID = "restore.backup_id"
	EnvRestorePath     = "restore.restore_path"
	EnvRestoreSkipBad  = "restore.skip_bad_partition"
)

// Source is a backup to restore from, on a provider.
type Source struct {
	Provider string
	Root     string
	Location Location
	// SkipBad starts a partition whose data is missing or corrupt empty
	// instead of failing the restore.
	SkipBad bool
}

// Envs are the env entries that name s on the restored table.
func (s Source) Envs() map[string]string {
	m := map[string]string{
		EnvRestoreProvider: s.Provider,
		EnvRestoreRoot:     s.Root,
		EnvRestoreCluster:  s.Location.Cluster,
		EnvRestoreAppName:  s.Location.AppName,
		EnvRestoreAppID:    strconv.Itoa(int(s.Location.AppID)),
		EnvRestoreBackupID: strconv.FormatInt(s.Location.BackupID, 10),
	}
	if s.Location.Prefix != "" {
		m[EnvRestorePath] = s.Location.Prefix
	}
	if s.SkipBad {
		m[EnvRestoreSkipBad] = "true"
	}
	return m
}

// SourceFromEnvs reads a table's restore envs; ok is false for a table
// that is not restored from a backup.
func SourceFromEnvs(envs map[string]string) (s Source, ok bool, err error) {
	backupID, ok := envs[EnvRestoreBackupID]
	if !ok {
		return s, false, nil
	}
	s.Provider, s.Root = envs[EnvRestoreProvider], envs[EnvRestoreRoot]
	s.Location.Cluster, s.Location.AppName = envs[EnvRestoreCluster], envs[EnvRestoreAppName]
	s.Location.Prefix = envs[EnvRestorePath]
	s.SkipBad = envs[EnvRestoreSkipBad] == "true"
	if s.Location.BackupID, err = strconv.ParseInt(backupID, 10, 64); err != nil {
		return s, true, fmt.Errorf("restore env %s=%q: %w", EnvRestoreBackupID, backupID, err)
	}
	id, err := strconv.ParseInt(envs[EnvRestoreAppID], 10, 32)
	if err != nil {
		return s, true, fmt.Errorf("restore env %s=%q: %w", EnvRestoreAppID, envs[EnvRestoreAppID], err)
	}
	s.Location.AppID = int32(id)
	return s, true, nil
}
