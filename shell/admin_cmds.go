package shell

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

func parseInt(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

// flags parses "-x value" / "--long value" pairs after the positional
// arguments; bools lists flags without values.
func flags(args []string, bools ...string) (pos []string, opts map[string]string, err error) {
	opts = map[string]string{}
	isBool := map[string]bool{}
	for _, b := range bools {
		isBool[b] = true
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		if k, v, ok := strings.Cut(name, "="); ok {
			opts[k] = v
			continue
		}
		if isBool[name] {
			opts[name] = "true"
			continue
		}
		if i+1 >= len(args) {
			return nil, nil, errUsage
		}
		opts[name] = args[i+1]
		i++
	}
	return pos, opts, nil
}

func opt(opts map[string]string, names ...string) (string, bool) {
	for _, n := range names {
		if v, ok := opts[n]; ok {
			return v, true
		}
	}
	return "", false
}

func timeText(sec int64) string {
	if sec <= 0 {
		return "-"
	}
	return time.Unix(sec, 0).Format("2006-01-02_15:04:05")
}

func init() {
	register(&command{name: "cluster_info", usage: "", help: "show the cluster's meta information",
		run: func(ctx context.Context, s *Session, args []string) error {
			info, err := s.admin.ClusterInfo(ctx)
			if err != nil {
				return fmt.Errorf("get cluster info failed, error=%w", err)
			}
			width := 0
			for _, kv := range info {
				if len(kv[0]) > width {
					width = len(kv[0])
				}
			}
			fmt.Fprintln(s.Out, "[cluster_info]")
			for _, kv := range info {
				fmt.Fprintf(s.Out, "%-*s: %s\n", width+1, kv[0], kv[1])
			}
			return nil
		}})
	register(&command{name: "nodes", usage: "[-s|--status all|alive|unalive]", help: "list replica servers",
		run: func(ctx context.Context, s *Session, args []string) error {
			_, opts, err := flags(args)
			if err != nil {
				return err
			}
			status := admintypes.NodeStatus_NS_INVALID
			if v, ok := opt(opts, "s", "status"); ok && v != "all" {
				st, err := admintypes.NodeStatusFromString("NS_" + strings.ToUpper(v))
				if err != nil {
					return errUsage
				}
				status = st
			}
			nodes, err := s.admin.ListNodes(ctx, status)
			if err != nil {
				return err
			}
			sort.Slice(nodes, func(i, j int) bool { return nodes[i].Node.String() < nodes[j].Node.String() })
			alive := 0
			fmt.Fprintln(s.Out, "[details]")
			fmt.Fprintf(s.Out, "%-24s%s\n", "address", "status")
			for _, n := range nodes {
				st := strings.TrimPrefix(n.Status.String(), "NS_")
				if n.Status == admintypes.NodeStatus_NS_ALIVE {
					alive++
				}
				fmt.Fprintf(s.Out, "%-24s%s\n", n.Node.String(), st)
			}
			fmt.Fprintf(s.Out, "\n[summary]\ntotal_node_count   : %d\nalive_node_count   : %d\nunalive_node_count : %d\n",
				len(nodes), alive, len(nodes)-alive)
			return nil
		}})
	register(&command{name: "ls", usage: "[-a|--all]", help: "list tables",
		run: func(ctx context.Context, s *Session, args []string) error {
			pos, opts, err := flags(args, "a", "all")
			if err != nil || len(pos) > 0 {
				return errUsage
			}
			status := layer2.AppStatus_AS_AVAILABLE
			if _, all := opt(opts, "a", "all"); all {
				status = layer2.AppStatus_AS_INVALID
			}
			apps, err := s.admin.ListTables(ctx, status)
			if err != nil {
				return fmt.Errorf("list apps failed, error=%w", err)
			}
			sort.Slice(apps, func(i, j int) bool { return apps[i].AppID < apps[j].AppID })
			fmt.Fprintln(s.Out, "[general_info]")
			fmt.Fprintf(s.Out, "%-8s%-12s%-20s%-10s%-17s%-15s%-21s%-21s%s\n", "app_id", "status", "app_name", "app_type",
				"partition_count", "replica_count", "create_time", "drop_time", "envs_count")
			avail := 0
			for _, a := range apps {
				if a.Status == layer2.AppStatus_AS_AVAILABLE {
					avail++
				}
				fmt.Fprintf(s.Out, "%-8d%-12s%-20s%-10s%-17d%-15d%-21s%-21s%d\n", a.AppID, strings.TrimPrefix(a.Status.String(), "AS_"),
					a.AppName, a.AppType, a.PartitionCount, a.MaxReplicaCount, timeText(a.CreateSecond), timeText(a.DropSecond), len(a.Envs))
			}
			fmt.Fprintf(s.Out, "\n[summary]\ntotal_app_count : %d\n", avail)
			return nil
		}})
	register(&command{name: "app", usage: "<table>", help: "show a table's partitions",
		run: func(ctx context.Context, s *Session, args []string) error {
			if len(args) != 1 {
				return errUsage
			}
			cfg, err := s.admin.QueryConfig(ctx, args[0])
			if err != nil {
				return fmt.Errorf("query app %s failed, error=%w", args[0], err)
			}
			fmt.Fprintf(s.Out, "[general]\napp_name        : %s\napp_id          : %d\npartition_count : %d\n\n", args[0], cfg.AppID, cfg.PartitionCount)
			fmt.Fprintln(s.Out, "[replicas]")
			fmt.Fprintf(s.Out, "%-6s%-8s%-15s%-22s%s\n", "pidx", "ballot", "replica_count", "primary", "secondaries")
			for _, pc := range cfg.Partitions {
				primary, n := "-", 0
				if pc.Primary != nil && !pc.Primary.IsZero() {
					primary, n = pc.Primary.String(), 1
				}
				var secs []string
				for _, a := range pc.Secondaries {
					secs = append(secs, a.String())
				}
				n += len(secs)
				fmt.Fprintf(s.Out, "%-6d%-8d%-15s%-22s[%s]\n", pc.Pid.PartitionIndex, pc.Ballot, fmt.Sprintf("%d/%d", n, pc.MaxReplicaCount),
					primary, strings.Join(secs, ","))
			}
			return nil
		}})
	register(&command{name: "create", usage: "<table> [-p|--partition_count num] [-r|--replica_count num]", help: "create a table",
		run: func(ctx context.Context, s *Session, args []string) error {
			pos, opts, err := flags(args)
			if err != nil || len(pos) != 1 {
				return errUsage
			}
			p, r := int64(4), int64(3)
			if v, ok := opt(opts, "p", "partition_count"); ok {
				if p, err = parseInt(v); err != nil || p < 1 {
					return errUsage
				}
			}
			if v, ok := opt(opts, "r", "replica_count"); ok {
				if r, err = parseInt(v); err != nil || r < 1 {
					return errUsage
				}
			}
			if _, err := s.admin.CreateTable(ctx, pos[0], int32(p), int32(r), nil, true); err != nil {
				return fmt.Errorf("create app \"%s\" failed, error = %w", pos[0], err)
			}
			fmt.Fprintf(s.Out, "create app \"%s\" succeed\n", pos[0])
			return nil
		}})
	register(&command{name: "drop", usage: "<table> [-r|--reserve_seconds num]", help: "drop (soft-delete) a table",
		run: func(ctx context.Context, s *Session, args []string) error {
			pos, opts, err := flags(args)
			if err != nil || len(pos) != 1 {
				return errUsage
			}
			var reserve int64
			if v, ok := opt(opts, "r", "reserve_seconds"); ok {
				if reserve, err = parseInt(v); err != nil || reserve < 0 {
					return errUsage
				}
			}
			fmt.Fprintf(s.Out, "reserve_seconds = %d\n", reserve)
			if err := s.admin.DropTable(ctx, pos[0], time.Duration(reserve)*time.Second); err != nil {
				return fmt.Errorf("drop app %s failed, error=%w", pos[0], err)
			}
			fmt.Fprintf(s.Out, "drop app %s succeed\n", pos[0])
			return nil
		}})
	register(&command{name: "recall", usage: "<app_id> [new_app_name]", help: "recall a dropped table",
		run: func(ctx context.Context, s *Session, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return errUsage
			}
			id, err := parseInt(args[0])
			if err != nil {
				return fmt.Errorf("parse %s as id failed", args[0])
			}
			name := ""
			if len(args) == 2 {
				name = args[1]
			}
			info, err := s.admin.RecallTable(ctx, int32(id), name)
			if err != nil {
				return fmt.Errorf("recall app %d failed, error=%w", id, err)
			}
			fmt.Fprintf(s.Out, "recall app ok, id(%d), name(%s), partition_count(%d)\n", info.AppID, info.AppName, info.PartitionCount)
			fmt.Fprintf(s.Out, "recall app %d succeed\n", id)
			return nil
		}})
}
