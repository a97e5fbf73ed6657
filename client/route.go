package client

import (
	"fmt"

	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// routeTable is one immutable snapshot of a table's partition
// configuration. A refresh replaces the whole snapshot.
type routeTable struct {
	gen   uint64 // increases with every snapshot of the table
	appID int32
	count int32       // partition count, a power of two
	parts []partRoute // indexed by partition index
}

// partRoute is where one partition is served.
type partRoute struct {
	ballot  int64
	primary string // "a.b.c.d:port"; "" when the partition has no primary
}

// target names the partition a request is for. Requests about a hash key
// are routed by its hash; full-table scans name the partition directly.
type target struct {
	hash    uint64 // header partition_hash
	byIndex bool   // route to index instead of hash % count
	index   int32
}

// hashTarget routes by the partition hash of hashKey (protocol.md §5.3).
func hashTarget(hashKey []byte) target { return target{hash: keys.PartitionHash(hashKey)} }

// indexTarget routes to partition index itself; the header partition_hash
// is the index so that the server's index & mask check holds.
func indexTarget(index int32) target {
	return target{hash: uint64(index), byIndex: true, index: index}
}

// parseRoute validates a leader's ERR_OK answer (protocol.md §6.2) and
// builds a snapshot. It checks what routing relies on: a table id, a
// power-of-two partition count (1 is accepted), one configuration per
// partition, each naming its own table and a distinct index in range. A
// partition without a primary does not invalidate the table (unlike
// upstream's Go client): requests to it fail with ErrPartitionUnavailable,
// which makes the client refresh and retry, while the other partitions stay
// usable.
func parseRoute(resp *layer2.QueryCfgResponse, gen uint64) (*routeTable, error) {
	n := resp.PartitionCount
	switch {
	case resp.AppID <= 0:
		return nil, fmt.Errorf("invalid table configuration: app_id %d", resp.AppID)
	case n <= 0 || n&(n-1) != 0:
		return nil, fmt.Errorf("invalid table configuration: partition_count %d is not a power of two", n)
	case len(resp.Partitions) != int(n):
		return nil, fmt.Errorf("invalid table configuration: %d partitions listed, partition_count %d", len(resp.Partitions), n)
	}
	rt := &routeTable{gen: gen, appID: resp.AppID, count: n, parts: make([]partRoute, n)}
	seen := make([]bool, n)
	for i, pc := range resp.Partitions {
		if pc == nil || pc.Pid == nil {
			return nil, fmt.Errorf("invalid table configuration: entry %d has no pid", i)
		}
		idx := pc.Pid.PartitionIndex
		if pc.Pid.Appid != resp.AppID || idx < 0 || idx >= n || seen[idx] {
			return nil, fmt.Errorf("invalid table configuration: entry %d has pid %v (app_id %d, %d partitions)", i, pc.Pid, resp.AppID, n)
		}
		seen[idx] = true
		pr := partRoute{ballot: pc.Ballot}
		if !pc.Primary.IsInvalid() {
			pr.primary = pc.Primary.String()
		}
		rt.parts[idx] = pr
	}
	return rt, nil
}

// locate returns the partition index and primary address for t.
func (rt *routeTable) locate(t target) (int32, string, error) {
	idx := t.index
	if !t.byIndex {
		idx = keys.PartitionIndex(t.hash, rt.count)
		// A split child that is not ready yet (ballot < 0) is served by its
		// parent (protocol.md §6.2).
		if rt.parts[idx].ballot < 0 && idx >= rt.count/2 {
			idx -= rt.count / 2
		}
	}
	if idx < 0 || idx >= rt.count {
		return 0, "", fmt.Errorf("%w: partition %d of a table with %d partitions", ErrPartitionUnavailable, idx, rt.count)
	}
	p := rt.parts[idx]
	if p.primary == "" {
		return idx, "", fmt.Errorf("%w: %d.%d (ballot %d)", ErrPartitionUnavailable, rt.appID, idx, p.ballot)
	}
	return idx, p.primary, nil
}
