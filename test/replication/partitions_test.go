package replication

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// partitions returns table's partition configurations as the meta server
// has them, failing the test if it cannot be asked within 10s.
func partitions(t *testing.T, ac *admin.Client, table string) []admin.Partition {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, parts, err := ac.TablePartitions(ctx, table)
	if err != nil {
		t.Fatalf("query the configuration of %s: %v", table, err)
	}
	return parts
}

// fullyReplicated says why p is not served by a primary and
// max_replica_count-1 secondaries, all distinct servers; "" if it is.
func fullyReplicated(p admin.Partition) string {
	if p.Primary == "" {
		return fmt.Sprintf("partition %d (ballot %d) has no primary, secondaries %v", p.Index, p.Ballot, p.Secondaries)
	}
	if p.Replicas() != int(p.MaxReplicas) {
		return fmt.Sprintf("partition %d (ballot %d) has %d of %d replicas: primary %s, secondaries %v",
			p.Index, p.Ballot, p.Replicas(), p.MaxReplicas, p.Primary, p.Secondaries)
	}
	seen := map[string]bool{p.Primary: true}
	for _, s := range p.Secondaries {
		if seen[s] {
			return fmt.Sprintf("partition %d (ballot %d) names %s twice: primary %s, secondaries %v", p.Index, p.Ballot, s, p.Primary, p.Secondaries)
		}
		seen[s] = true
	}
	return ""
}

// waitFullyReplicated waits (polling, bounded by within) until every
// partition of table has a primary and max_replica_count-1 secondaries,
// and returns the configuration.
func waitFullyReplicated(t *testing.T, ac *admin.Client, table string, within time.Duration) []admin.Partition {
	t.Helper()
	deadline := time.Now().Add(within)
	var problems []string
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, parts, err := ac.TablePartitions(ctx, table)
		cancel()
		lastErr, problems = err, problems[:0]
		if err == nil {
			for _, p := range parts {
				if why := fullyReplicated(p); why != "" {
					problems = append(problems, why)
				}
			}
			if len(parts) > 0 && len(problems) == 0 {
				return parts
			}
		}
		if time.Now().After(deadline) {
			if lastErr != nil {
				t.Fatalf("table %s not fully replicated within %v: cannot query its configuration: %v", table, within, lastErr)
			}
			t.Fatalf("table %s not fully replicated within %v:\n  %s", table, within, strings.Join(problems, "\n  "))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// primaryCounts counts the partitions each replica server in servers is
// primary of (zero for those it leads none of).
func primaryCounts(parts []admin.Partition, servers []string) map[string]int {
	n := make(map[string]int, len(servers))
	for _, s := range servers {
		n[s] = 0
	}
	for _, p := range parts {
		if p.Primary != "" {
			n[p.Primary]++
		}
	}
	return n
}

// mostPrimaries and fewestPrimaries pick a replica server of servers by
// the number of partitions it is primary of (ties: the first in servers).
func mostPrimaries(parts []admin.Partition, servers []string) string {
	n := primaryCounts(parts, servers)
	best := servers[0]
	for _, s := range servers {
		if n[s] > n[best] {
			best = s
		}
	}
	return best
}

func fewestPrimaries(parts []admin.Partition, servers []string) string {
	n := primaryCounts(parts, servers)
	best := servers[0]
	for _, s := range servers {
		if n[s] < n[best] {
			best = s
		}
	}
	return best
}

// roles splits the partitions by server's role in them.
func roles(parts []admin.Partition, server string) (primaryOf, secondaryOf []int32) {
	for _, p := range parts {
		if p.Primary == server {
			primaryOf = append(primaryOf, p.Index)
		}
		for _, s := range p.Secondaries {
			if s == server {
				secondaryOf = append(secondaryOf, p.Index)
			}
		}
	}
	return primaryOf, secondaryOf
}

// partitionOf is the partition a hash key belongs to, as the client
// routes it.
func partitionOf(hashKey string, count int) int32 {
	return keys.PartitionIndex(keys.PartitionHash([]byte(hashKey)), int32(count))
}

// hashKeysIn returns n hash keys prefix-0, prefix-1, ... (skipping those
// elsewhere) that belong to the given partitions, spread over them in
// turn as far as the search allows.
func hashKeysIn(prefix string, count int, partitions []int32, n int) []string {
	want := map[int32]bool{}
	for _, p := range partitions {
		want[p] = true
	}
	perPartition := map[int32][]string{}
	for i := 0; i < 100000; i++ {
		hk := fmt.Sprintf("%s-%d", prefix, i)
		if p := partitionOf(hk, count); want[p] && len(perPartition[p]) < n {
			perPartition[p] = append(perPartition[p], hk)
		}
	}
	sorted := append([]int32(nil), partitions...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	var out []string
	for round := 0; len(out) < n && round < n; round++ {
		for _, p := range sorted {
			if round < len(perPartition[p]) && len(out) < n {
				out = append(out, perPartition[p][round])
			}
		}
	}
	return out
}
