package admin

import (
	"context"
	"sort"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// Partition is one partition's configuration in plain terms.
type Partition struct {
	Index       int32
	Ballot      int64
	MaxReplicas int32
	Primary     string   // "" when the partition has no primary
	Secondaries []string // in configuration order
	// LastCommitted is the partition's last committed decree as its
	// primary last reported it to the meta server.
	LastCommitted int64
}

// Replicas counts the partition's members.
func (p Partition) Replicas() int {
	n := len(p.Secondaries)
	if p.Primary != "" {
		n++
	}
	return n
}

// Health classifies partitions the way upstream's shell does: fully
// healthy when it has a primary and all its replicas; write-unhealthy
// without a primary or with fewer members than writes need (two, or the
// max replica count when it is lower); read-unhealthy without a primary.
type Health struct {
	Partitions     int `json:"partition_count"`
	FullyHealthy   int `json:"fully_healthy"`
	Unhealthy      int `json:"unhealthy"`
	WriteUnhealthy int `json:"write_unhealthy"`
	ReadUnhealthy  int `json:"read_unhealthy"`
}

// TableHealth classifies parts.
func TableHealth(parts []Partition) Health {
	h := Health{Partitions: len(parts)}
	for _, p := range parts {
		n := p.Replicas()
		switch {
		case p.Primary == "":
			h.WriteUnhealthy++
			h.ReadUnhealthy++
		case n < int(min(2, p.MaxReplicas)):
			h.WriteUnhealthy++
		}
		if p.Primary != "" && n >= int(p.MaxReplicas) {
			h.FullyHealthy++
		}
	}
	h.Unhealthy = h.Partitions - h.FullyHealthy
	return h
}

// Partitions turns a configuration query's answer into Partitions sorted
// by index.
func Partitions(cfg *layer2.QueryCfgResponse) []Partition {
	out := make([]Partition, 0, len(cfg.Partitions))
	for _, pc := range cfg.Partitions {
		p := Partition{Ballot: pc.Ballot, MaxReplicas: pc.MaxReplicaCount, LastCommitted: pc.LastCommittedDecree}
		if pc.Pid != nil {
			p.Index = pc.Pid.PartitionIndex
		}
		p.Primary = addrString(pc.Primary, pc.HpPrimary)
		for i, a := range pc.Secondaries {
			var hp *base.HostPort
			if i < len(pc.HpSecondaries) {
				hp = pc.HpSecondaries[i]
			}
			if s := addrString(a, hp); s != "" {
				p.Secondaries = append(p.Secondaries, s)
			}
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// addrString prints an address as ip:port, falling back to the host:port
// form; "" for an empty address.
func addrString(a *base.RPCAddress, hp *base.HostPort) string {
	if a != nil && !a.IsZero() {
		return a.String()
	}
	if hp != nil && !hp.IsInvalid() {
		return hp.String()
	}
	return ""
}

// TablePartitions returns a table's id and partitions.
func (c *Client) TablePartitions(ctx context.Context, table string) (int32, []Partition, error) {
	cfg, err := c.QueryConfig(ctx, table)
	if err != nil {
		return 0, nil, err
	}
	return cfg.AppID, Partitions(cfg), nil
}

// WaitReady polls a table's configuration every interval until every
// partition has a primary (the single-replica stage serves a partition
// from its primary alone), calling progress with the count of partitions
// that have one after each poll. It returns ctx's error if ctx ends first.
func (c *Client) WaitReady(ctx context.Context, table string, interval time.Duration, progress func(ready, total int)) error {
	for {
		_, parts, err := c.TablePartitions(ctx, table)
		if err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			ready := 0
			for _, p := range parts {
				if p.Primary != "" {
					ready++
				}
			}
			if progress != nil {
				progress(ready, len(parts))
			}
			if ready == len(parts) && len(parts) > 0 {
				return nil
			}
		} else if !IsNotFound(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// NodeReplicas counts the replicas a node serves.
type NodeReplicas struct {
	Primary   int `json:"primary_count"`
	Secondary int `json:"secondary_count"`
}

// ReplicasPerNode counts, over every available table, the primaries and
// secondaries each node serves.
func (c *Client) ReplicasPerNode(ctx context.Context) (map[string]NodeReplicas, error) {
	tables, err := c.ListTables(ctx, layer2.AppStatus_AS_AVAILABLE)
	if err != nil {
		return nil, err
	}
	out := map[string]NodeReplicas{}
	for _, t := range tables {
		_, parts, err := c.TablePartitions(ctx, t.AppName)
		if err != nil {
			if IsNotFound(err) {
				continue // dropped meanwhile
			}
			return nil, err
		}
		for _, p := range parts {
			if p.Primary != "" {
				n := out[p.Primary]
				n.Primary++
				out[p.Primary] = n
			}
			for _, s := range p.Secondaries {
				n := out[s]
				n.Secondary++
				out[s] = n
			}
		}
	}
	return out, nil
}
