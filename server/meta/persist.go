package meta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// Layout in the store, under the cluster root:
//
//	<root>/apps/<app_id>           JSON appRecord (split_status while splitting, split.go)
//	<root>/apps/<app_id>/<pidx>    JSON partitionRecord (split children included, at ballot -1)
//	<root>/apps/<app_id>/duplication/...  duplications (dup_persist.go)
//
// Records carry a format version so a later layout can read this one.
const recordVersion = 1

type appRecord struct {
	Version            int               `json:"v"`
	ID                 int32             `json:"app_id"`
	Name               string            `json:"app_name"`
	Type               string            `json:"app_type"`
	Status             string            `json:"status"`
	PartitionCount     int32             `json:"partition_count"`
	InitPartitionCount int32             `json:"init_partition_count"`
	MaxReplicaCount    int32             `json:"max_replica_count"`
	Envs               map[string]string `json:"envs"`
	IsStateful         bool              `json:"is_stateful"`
	AtomicIdempotent   bool              `json:"atomic_idempotent"`
	CreateSecond       int64             `json:"create_second"`
	DropSecond         int64             `json:"drop_second"`
	ExpireSecond       int64             `json:"expire_second"`
	// SplitStatus is App.Split by name ("SPLITTING", ...), absent when the
	// table is not splitting.
	SplitStatus []string `json:"split_status,omitempty"`
}

type partitionRecord struct {
	Version             int      `json:"v"`
	AppID               int32    `json:"app_id"`
	Index               int32    `json:"partition_index"`
	Ballot              int64    `json:"ballot"`
	MaxReplicaCount     int32    `json:"max_replica_count"`
	Primary             string   `json:"primary,omitempty"`
	Secondaries         []string `json:"secondaries"`
	LastDrops           []string `json:"last_drops"`
	LastCommittedDecree int64    `json:"last_committed_decree"`
	Flags               int32    `json:"partition_flags"`
}

// AppsPath is where tables live under a cluster root.
func AppsPath(root string) string { return metastore.Join(root, "apps") }

func appPath(root string, id int32) string {
	return metastore.Join(AppsPath(root), strconv.Itoa(int(id)))
}

func partitionPath(root string, pid base.Gpid) string {
	return metastore.Join(appPath(root, pid.Appid), strconv.Itoa(int(pid.PartitionIndex)))
}

// Ops returns the store writes of a change, tables first.
func (c Change) Ops(root string) ([]metastore.Op, error) {
	ops := make([]metastore.Op, 0, len(c.Apps)+len(c.Partitions))
	for _, a := range c.Apps {
		v, err := json.Marshal(appRecord{
			Version: recordVersion, ID: a.ID, Name: a.Name, Type: a.Type, Status: a.Status.String(),
			PartitionCount: a.PartitionCount, InitPartitionCount: a.InitPartitionCount,
			MaxReplicaCount: a.MaxReplicaCount, Envs: a.Envs, IsStateful: a.IsStateful,
			AtomicIdempotent: a.AtomicIdempotent, CreateSecond: a.CreateSecond,
			DropSecond: a.DropSecond, ExpireSecond: a.ExpireSecond, SplitStatus: splitNames(a.Split),
		})
		if err != nil {
			return nil, fmt.Errorf("encode table %d: %w", a.ID, err)
		}
		ops = append(ops, metastore.PutOp(appPath(root, a.ID), v))
	}
	for _, p := range c.Partitions {
		r := partitionRecord{
			Version: recordVersion, AppID: p.Pid.Appid, Index: p.Pid.PartitionIndex, Ballot: p.Ballot,
			MaxReplicaCount: p.MaxReplicaCount, Secondaries: addrStrings(p.Secondaries),
			LastDrops: addrStrings(p.LastDrops), LastCommittedDecree: p.LastCommittedDecree, Flags: p.Flags,
		}
		if p.HasPrimary() {
			r.Primary = p.Primary.String()
		}
		v, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encode partition %v: %w", &p.Pid, err)
		}
		ops = append(ops, metastore.PutOp(partitionPath(root, p.Pid), v))
	}
	for _, pid := range c.RemovedPartitions {
		ops = append(ops, metastore.DeleteOp(partitionPath(root, pid)))
	}
	dupOps, err := c.Dup.ops(root)
	if err != nil {
		return nil, err
	}
	return append(ops, dupOps...), nil
}

func addrStrings(as []netip.AddrPort) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

func parseAddrs(ss []string) ([]netip.AddrPort, error) {
	var out []netip.AddrPort
	for _, s := range ss {
		a, err := netip.ParseAddrPort(s)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Load reads every table and partition under root into a new State. Every
// node named as primary or secondary is taken to be alive as of now, with
// a full grace period (what a new leader does).
func Load(ctx context.Context, store metastore.Store, root string, cfg Config, now time.Time) (*State, error) {
	s := NewState(cfg)
	ids, err := store.Children(ctx, AppsPath(root))
	if errors.Is(err, metastore.ErrNotFound) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load tables: %w", err)
	}
	for _, name := range ids {
		id, err := strconv.ParseInt(name, 10, 32)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("load tables: unexpected node %s", metastore.Join(AppsPath(root), name))
		}
		c, err := loadTable(ctx, store, root, int32(id))
		if err != nil {
			return nil, err
		}
		if c.Dup, err = loadDups(ctx, store, root, int32(id)); err != nil {
			return nil, err
		}
		if err := s.Apply(c); err != nil {
			return nil, fmt.Errorf("load table %d: %w", id, err)
		}
	}
	s.AddNodesFromConfigs(now)
	return s, nil
}

func loadTable(ctx context.Context, store metastore.Store, root string, id int32) (Change, error) {
	path := appPath(root, id)
	v, err := store.Get(ctx, path)
	if err != nil {
		return Change{}, fmt.Errorf("load table %d: %w", id, err)
	}
	var r appRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return Change{}, fmt.Errorf("load table %d from %s: %w", id, path, err)
	}
	status, err := layer2.AppStatusFromString(r.Status)
	if err != nil || r.ID != id || r.PartitionCount <= 0 {
		return Change{}, fmt.Errorf("load table %d from %s: bad record (status %q, id %d, %d partitions)",
			id, path, r.Status, r.ID, r.PartitionCount)
	}
	app := App{
		ID: r.ID, Name: r.Name, Type: r.Type, Status: status, PartitionCount: r.PartitionCount,
		InitPartitionCount: r.InitPartitionCount, MaxReplicaCount: r.MaxReplicaCount, Envs: r.Envs,
		IsStateful: r.IsStateful, AtomicIdempotent: r.AtomicIdempotent, CreateSecond: r.CreateSecond,
		DropSecond: r.DropSecond, ExpireSecond: r.ExpireSecond,
	}
	if app.Split, err = parseSplit(r.SplitStatus, r.PartitionCount); err != nil {
		return Change{}, fmt.Errorf("load table %d from %s: %w", id, path, err)
	}
	c := Change{Apps: []App{app.Clone()}}
	for i := range r.PartitionCount {
		p, err := loadPartition(ctx, store, root, base.Gpid{Appid: id, PartitionIndex: i})
		if err != nil {
			return Change{}, err
		}
		c.Partitions = append(c.Partitions, p)
	}
	return c, nil
}

func loadPartition(ctx context.Context, store metastore.Store, root string, pid base.Gpid) (Partition, error) {
	path := partitionPath(root, pid)
	v, err := store.Get(ctx, path)
	if err != nil {
		return Partition{}, fmt.Errorf("load partition %v: %w", &pid, err)
	}
	var r partitionRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return Partition{}, fmt.Errorf("load partition %v from %s: %w", &pid, path, err)
	}
	if r.AppID != pid.Appid || r.Index != pid.PartitionIndex {
		return Partition{}, fmt.Errorf("load partition %v from %s: record is for %d.%d", &pid, path, r.AppID, r.Index)
	}
	p := Partition{
		Pid: pid, Ballot: r.Ballot, MaxReplicaCount: r.MaxReplicaCount,
		LastCommittedDecree: r.LastCommittedDecree, Flags: r.Flags,
	}
	if r.Primary != "" {
		if p.Primary, err = netip.ParseAddrPort(r.Primary); err != nil {
			return Partition{}, fmt.Errorf("load partition %v: primary: %w", &pid, err)
		}
	}
	if p.Secondaries, err = parseAddrs(r.Secondaries); err != nil {
		return Partition{}, fmt.Errorf("load partition %v: secondaries: %w", &pid, err)
	}
	if p.LastDrops, err = parseAddrs(r.LastDrops); err != nil {
		return Partition{}, fmt.Errorf("load partition %v: last drops: %w", &pid, err)
	}
	return p, nil
}
