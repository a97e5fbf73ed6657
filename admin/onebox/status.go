package onebox

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pegasus-go/pegasus/admin"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// Status prints the box's processes, the replica servers the meta knows,
// and every table's partitions. It returns an error when a process is down
// or the meta cannot be asked.
func (b *Box) Status(ctx context.Context, w io.Writer) error {
	if IsHA(b.Dir) {
		b.HA = true
	}
	down, metasUp := 0, 0
	fmt.Fprintf(w, "cluster %s in %s\n\n", b.clusterName(), b.Dir)
	fmt.Fprintf(w, "%-10s %-8s %-17s %s\n", "process", "pid", "address", "state")
	if b.HA {
		line, up := b.zooKeeperStatus()
		fmt.Fprint(w, line)
		if !up {
			down++
		}
	}
	for _, p := range b.processes() {
		pid, ok := b.pid(p)
		state, pidText := "running", fmt.Sprint(pid)
		if !ok {
			state, pidText = "stopped", "-"
			down++
		}
		fmt.Fprintf(w, "%-10s %-8s %-17s %s\n", p.Name, pidText, p.Address, state)
		if ok && p.Role == "meta" {
			metasUp++
		}
	}
	if metasUp == 0 {
		return fmt.Errorf("no meta server is running")
	}
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	if b.HA {
		info, err := ac.ClusterInfo(ctx)
		if err != nil {
			return err
		}
		for _, kv := range info {
			if kv[0] == "primary_meta_server" {
				fmt.Fprintf(w, "\nmeta leader: %s\n", kv[1])
			}
		}
	}
	nodes, err := ac.ListNodes(ctx, admintypes.NodeStatus_NS_INVALID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%-22s %s\n", "replica server", "status")
	for _, n := range nodes {
		fmt.Fprintf(w, "%-22s %s\n", n.Node.String(), strings.TrimPrefix(n.Status.String(), "NS_"))
	}
	tables, err := ac.ListTables(ctx, layer2.AppStatus_AS_AVAILABLE)
	if err != nil {
		return err
	}
	sort.Slice(tables, func(i, j int) bool { return tables[i].AppID < tables[j].AppID })
	for _, t := range tables {
		cfg, err := ac.QueryConfig(ctx, t.AppName)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\ntable %s (app_id %d, %d partitions)\n", t.AppName, t.AppID, t.PartitionCount)
		fmt.Fprintf(w, "  %-5s %-7s %-22s %s\n", "pidx", "ballot", "primary", "secondaries")
		for _, pc := range cfg.Partitions {
			var secs []string
			for _, s := range pc.Secondaries {
				secs = append(secs, s.String())
			}
			primary := "-"
			if pc.Primary != nil && !pc.Primary.IsZero() {
				primary = pc.Primary.String()
			}
			fmt.Fprintf(w, "  %-5d %-7d %-22s %s\n", pc.Pid.PartitionIndex, pc.Ballot, primary, strings.Join(secs, ","))
		}
	}
	if down > 0 {
		total := len(b.processes())
		if b.HA {
			total++
		}
		return fmt.Errorf("%d of %d processes are not running", down, total)
	}
	return nil
}
