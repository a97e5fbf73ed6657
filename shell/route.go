package shell

import (
	"context"
	"fmt"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// routeInfo is where a table's partitions are served, as the shell last
// asked the meta server: it names the partition and server in the footer
// of data operations and in hash / scan -d output.
type routeInfo struct {
	appID int32
	parts []admin.Partition
	at    time.Time
}

// routeTTL is how long a table's partition locations are reused.
const routeTTL = 10 * time.Second

// route returns the partition locations of table, asking the meta server
// when refresh is set or the cached answer is old.
func (s *Session) route(ctx context.Context, table string, refresh bool) (*routeInfo, error) {
	if r := s.routes[table]; r != nil && !refresh && time.Since(r.at) < routeTTL {
		return r, nil
	}
	id, parts, err := s.admin.TablePartitions(ctx, table)
	if err != nil {
		return nil, err
	}
	r := &routeInfo{appID: id, parts: parts, at: time.Now()}
	s.routes[table] = r
	return r, nil
}

// locate returns the partition of hashKey and the server of its primary.
func (r *routeInfo) locate(hashKey []byte) (int32, string) {
	idx := keys.PartitionIndex(keys.PartitionHash(hashKey), int32(len(r.parts)))
	if idx < 0 || int(idx) >= len(r.parts) {
		return idx, ""
	}
	return idx, r.parts[idx].Primary
}

// server returns the primary of partition idx.
func (r *routeInfo) server(idx int) string {
	if idx < 0 || idx >= len(r.parts) {
		return ""
	}
	return r.parts[idx].Primary
}

// location is the partition a data operation went to, as JSON output
// includes it.
type location struct {
	AppID          int32  `json:"app_id"`
	PartitionIndex int32  `json:"partition_index"`
	Server         string `json:"server"`
}

// locationOf looks up where hashKey lives in the current table; nil when
// the meta server cannot say.
func (c *Call) locationOf(hashKey []byte) *location {
	ctx, cancel := context.WithTimeout(c.ctx, time.Second)
	defer cancel()
	r, err := c.s.route(ctx, c.s.table, false)
	if err != nil {
		return nil
	}
	idx, server := r.locate(hashKey)
	return &location{AppID: r.appID, PartitionIndex: idx, Server: server}
}

// footer prints upstream's partition footer of a data operation on
// standard error: a blank line, then app_id, partition_index and server.
func (c *Call) footer(loc *location) {
	if loc == nil || c.JSON() {
		return
	}
	kv := &kvTable{}
	kv.add("app_id", loc.AppID)
	kv.add("partition_index", loc.PartitionIndex)
	kv.add("server", loc.Server)
	fmt.Fprintln(c.s.stderr)
	for _, p := range kv.pairs {
		fmt.Fprintf(c.s.stderr, "%-16s: %s\n", p[0], p[1])
	}
}
