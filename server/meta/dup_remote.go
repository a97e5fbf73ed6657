package meta

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	padmin "github.com/pegasus-go/pegasus/admin"
)

// RemoteCluster is what the duplication loop needs of a follower
// cluster's meta servers.
type RemoteCluster interface {
	// TableServing returns the table's partition count and how many of
	// its partitions have a primary; ErrRemoteTableNotFound (wrapped)
	// when the table does not exist.
	TableServing(ctx context.Context, table string) (partitions, withPrimary int, err error)
	// CreateTable creates the table; an existing table of that name with
	// the same partition count is success.
	CreateTable(ctx context.Context, table string, partitions, replicas int32, envs map[string]string) error
	// Close releases connections.
	Close()
}

// ErrRemoteTableNotFound is wrapped by RemoteCluster.TableServing for a
// table the remote cluster does not have.
var ErrRemoteTableNotFound = errors.New("remote table not found")

// DialRemote returns a RemoteCluster for the cluster named name whose meta
// servers are metas.
type DialRemote func(name string, metas []string) RemoteCluster

// dialAdmin is the default DialRemote: the admin package's client.
func dialAdmin(name string, metas []string) RemoteCluster {
	return &adminRemote{name: name, c: padmin.New(metas)}
}

type adminRemote struct {
	name string
	c    *padmin.Client
}

func (r *adminRemote) TableServing(ctx context.Context, table string) (int, int, error) {
	_, parts, err := r.c.TablePartitions(ctx, table)
	if padmin.IsNotFound(err) {
		return 0, 0, fmt.Errorf("cluster %s: table %s: %w", r.name, table, ErrRemoteTableNotFound)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("cluster %s: %w", r.name, err)
	}
	n := 0
	for _, p := range parts {
		if p.Primary != "" {
			n++
		}
	}
	return len(parts), n, nil
}

func (r *adminRemote) CreateTable(ctx context.Context, table string, partitions, replicas int32, envs map[string]string) error {
	_, err := r.c.CreateTableWith(ctx, table, padmin.CreateOptions{Partitions: partitions, Replicas: replicas, Envs: envs})
	if err != nil {
		return fmt.Errorf("cluster %s: %w", r.name, err)
	}
	return nil
}

func (r *adminRemote) Close() { r.c.Close() }

// Envs a follower table carries (design notes §10): where its data comes
// from.
const (
	EnvDupMasterCluster = "duplication.master_cluster"
	EnvDupMasterMetas   = "duplication.master_metas"
	EnvDupMasterAppName = "duplication.master_app_name"
)

// followerEnvs are the envs of a new follower table: the master's, without
// restore and duplication markers of its own, plus where the data comes
// from.
func followerEnvs(master map[string]string, cluster string, metas []string, app string) map[string]string {
	envs := maps.Clone(master)
	if envs == nil {
		envs = map[string]string{}
	}
	for k := range envs {
		if strings.HasPrefix(k, "restore.") || strings.HasPrefix(k, "duplication.") {
			delete(envs, k)
		}
	}
	envs[EnvDupMasterCluster] = cluster
	envs[EnvDupMasterMetas] = strings.Join(metas, ",")
	envs[EnvDupMasterAppName] = app
	return envs
}

// followerAction is what the loop does next about a follower table.
type followerAction int

const (
	followerWait   followerAction = iota // exists, not every partition has a primary yet
	followerCreate                       // missing: create it
	followerReady                        // every partition has a primary
)

// nextFollowerAction decides from what the remote cluster said of the
// follower table.
func nextFollowerAction(found bool, partitions, withPrimary int) followerAction {
	switch {
	case !found:
		return followerCreate
	case partitions > 0 && withPrimary == partitions:
		return followerReady
	}
	return followerWait
}
