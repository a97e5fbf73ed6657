package replica

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// On disk, a replica server keeps one directory per replica under
// <data_dir>/reps/<app_id>.<partition_index>.pegasus/, holding the RocksDB
// in data/rdb/ and the replica's last accepted configuration in
// replica.json (see docs/cluster-protocol.md).
const (
	repsDir        = "reps"
	stateFile      = "replica.json"
	replicaDirTail = ".pegasus"
)

var replicaDirName = regexp.MustCompile(`^(\d+)\.(\d+)\.pegasus$`)

func replicaDir(dataDir string, gpid base.Gpid) string {
	return filepath.Join(dataDir, repsDir, fmt.Sprintf("%d.%d%s", gpid.Appid, gpid.PartitionIndex, replicaDirTail))
}

func rdbDir(dir string) string { return filepath.Join(dir, "data", "rdb") }

// replicaState is what a replica persists about its place in the cluster,
// written before the replica acts on a new ballot.
type replicaState struct {
	AppID           int32             `json:"app_id"`
	PartitionIndex  int32             `json:"partition_index"`
	AppName         string            `json:"app_name"`
	AppType         string            `json:"app_type"`
	PartitionCount  int32             `json:"partition_count"`
	MaxReplicaCount int32             `json:"max_replica_count"`
	Envs            map[string]string `json:"envs,omitempty"`
	Ballot          int64             `json:"ballot"`
	// SplitPending marks the child of a partition split whose parent has
	// let go of it but which the meta has not yet been seen to register:
	// it is not opened until the meta lists it (split_node.go).
	SplitPending bool `json:"split_pending,omitempty"`
	// Duplicating: the table is the master of a duplication; with it,
	// only an AtomicIdempotent table takes non-idempotent writes.
	Duplicating      bool `json:"duplicating,omitempty"`
	AtomicIdempotent bool `json:"atomic_idempotent,omitempty"`
}

func (s replicaState) gpid() base.Gpid {
	return base.Gpid{Appid: s.AppID, PartitionIndex: s.PartitionIndex}
}

// writeState replaces dir/replica.json atomically (write, fsync, rename,
// fsync the directory).
func writeState(dir string, s replicaState) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode replica state: %w", err)
	}
	tmp := filepath.Join(dir, stateFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write replica state: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write replica state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync replica state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close replica state: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, stateFile)); err != nil {
		return fmt.Errorf("install replica state: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func readState(dir string) (replicaState, error) {
	var s replicaState
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return s, fmt.Errorf("read replica state: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("decode replica state %s: %w", dir, err)
	}
	return s, nil
}

// storedReplica is a replica directory found on disk.
type storedReplica struct {
	gpid  base.Gpid
	dir   string
	state replicaState
	// durable is the decree its storage held when it was closed (0 when
	// not known): the mutation log keeps its entries past it.
	durable int64
}

// scanReplicas lists the replica directories under dataDir. A directory
// whose state cannot be read is reported in bad, not silently skipped.
func scanReplicas(dataDir string) (found []storedReplica, bad []error) {
	entries, err := os.ReadDir(filepath.Join(dataDir, repsDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []error{fmt.Errorf("scan replicas: %w", err)}
	}
	for _, e := range entries {
		m := replicaDirName.FindStringSubmatch(e.Name())
		if !e.IsDir() || m == nil {
			continue
		}
		app, _ := strconv.ParseInt(m[1], 10, 32)
		idx, _ := strconv.ParseInt(m[2], 10, 32)
		gpid := base.Gpid{Appid: int32(app), PartitionIndex: int32(idx)}
		dir := filepath.Join(dataDir, repsDir, e.Name())
		st, err := readState(dir)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		if st.gpid() != gpid {
			bad = append(bad, fmt.Errorf("replica dir %s holds state of %d.%d", dir, st.AppID, st.PartitionIndex))
			continue
		}
		found = append(found, storedReplica{gpid: gpid, dir: dir, state: st})
	}
	return found, bad
}
