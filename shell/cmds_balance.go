package shell

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/thrift/base"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// Manual balancing: one explicit move (balance) or one raw configuration
// proposal (propose), as upstream's shell spells them (shell.md §2.6).

func init() {
	register(
		&Command{Name: "balance", Group: "cluster", Summary: "move one replica or primary of a partition", JSON: true,
			Help: "move_pri: the primary on --from steps down and the secondary on --to takes over.\n" +
				"copy_sec: --to learns the partition as an extra secondary, then --from leaves it.\n" +
				"copy_pri: --to learns as an extra secondary, --from steps down for it, then leaves.\n" +
				"The meta server validates the move and runs it; `app <table> -d` shows the result.",
			Flags: []Flag{
				{Short: "g", Long: "gpid", Value: "app_id.pidx", Help: "the partition", Required: true},
				{Short: "p", Long: "type", Value: "move_pri|copy_pri|copy_sec", Help: "the move", Required: true},
				{Short: "f", Long: "from", Value: "host:port", Kind: KindNode, Help: "the node giving up the role", Required: true},
				{Short: "t", Long: "to", Value: "host:port", Kind: KindNode, Help: "the node taking it", Required: true},
				{Long: "dry-run", Help: "print the request and send nothing"},
				{Short: "w", Long: "wait", Help: "wait until the move is done, then show the table's replicas per node"},
			},
			Run: runBalance},
		&Command{Name: "propose", Group: "cluster", Summary: "send one configuration proposal for a partition", JSON: true,
			Help: "Sends -p <config_type> (without CT_, e.g. DOWNGRADE_TO_INACTIVE) about --node to --target\n" +
				"(usually the partition's primary), on the partition's current configuration. The replica\n" +
				"server decides whether it applies.",
			Flags: []Flag{
				{Short: "f", Long: "force", Help: "accepted for compatibility; the meta always checks the configuration"},
				{Short: "g", Long: "gpid", Value: "app_id.pidx", Help: "the partition", Required: true},
				{Short: "p", Long: "type", Value: "config_type", Help: "the change", Required: true},
				{Short: "t", Long: "target", Value: "host:port", Kind: KindNode, Help: "the node that carries it out", Required: true},
				{Short: "n", Long: "node", Value: "host:port", Kind: KindNode, Help: "the node it is about", Required: true},
			},
			Run: runPropose},
	)
}

func parseGpidArg(s string) (base.Gpid, error) {
	app, idx, ok := strings.Cut(s, ".")
	a, err1 := strconv.ParseInt(app, 10, 32)
	i, err2 := strconv.ParseInt(idx, 10, 32)
	if !ok || err1 != nil || err2 != nil || a <= 0 || i < 0 {
		return base.Gpid{}, usagef("invalid gpid %q: want <app_id>.<partition_index>", s)
	}
	return base.Gpid{Appid: int32(a), PartitionIndex: int32(i)}, nil
}

// parseNodeArg reads host:port, resolving a host name to its IPv4 address.
func parseNodeArg(flag, s string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Is4() {
		return ap, nil
	}
	host, port, err := net.SplitHostPort(s)
	if err == nil {
		var ips []net.IP
		if ips, err = net.LookupIP(host); err == nil {
			for _, ip := range ips {
				if v4 := ip.To4(); v4 != nil {
					p, perr := strconv.ParseUint(port, 10, 16)
					if perr == nil {
						return netip.AddrPortFrom(netip.AddrFrom4([4]byte(v4)), uint16(p)), nil
					}
				}
			}
		}
	}
	return netip.AddrPort{}, usagef("invalid %s address %q: want an IPv4 host:port", flag, s)
}

func runBalance(c *Call) error {
	pid, err := parseGpidArg(c.Str("gpid", ""))
	if err != nil {
		return err
	}
	kind := admin.BalanceKind(strings.ToLower(c.Str("type", "")))
	from, err := parseNodeArg("from", c.Str("from", ""))
	if err != nil {
		return err
	}
	to, err := parseNodeArg("to", c.Str("to", ""))
	if err != nil {
		return err
	}
	actions, err := admin.BalanceActions(kind, from, to)
	if err != nil {
		return usagef("%v", err)
	}
	if c.Switch("dry-run") {
		lines := []string{}
		for _, a := range actions {
			target := "the primary"
			if a.Target.IsValid() {
				target = a.Target.String()
			}
			lines = append(lines, fmt.Sprintf("(target %s, node %v, %v)", target, a.Node, a.Type))
		}
		return c.Emit(map[string]any{"gpid": fmt.Sprintf("%d.%d", pid.Appid, pid.PartitionIndex), "type": kind, "actions": lines},
			func(w io.Writer) {
				fmt.Fprintf(w, "would send %s of %d.%d from %v to %v as:\n", kind, pid.Appid, pid.PartitionIndex, from, to)
				for _, l := range lines {
					fmt.Fprintf(w, "  %s\n", l)
				}
			})
	}
	ctx, cancel := c.adminCtx()
	err = c.s.admin.ProposeBalancer(ctx, pid, actions, kind)
	cancel()
	if err != nil || !c.Switch("wait") {
		return proposalResult(c, "send balance proposal result", pid, err)
	}
	if !c.Switch("json") {
		c.Printf("send balance proposal result: %s", base.ERR_OK)
	}
	return waitMove(c, pid)
}

// waitMove polls the meta's moves under way until pid's is done, then
// prints where the partition's table now lives.
func waitMove(c *Call, pid base.Gpid) error {
	prefix := fmt.Sprintf(" %d.%d ", pid.Appid, pid.PartitionIndex)
	deadline := time.Now().Add(10 * time.Minute)
	for {
		v, err := balancerView(c)
		if err != nil {
			return err
		}
		under := false
		for _, m := range v.UnderWay {
			under = under || strings.Contains(m, prefix)
		}
		if !under {
			break
		}
		if time.Now().After(deadline) {
			return failf(nil, "the move of %d.%d is still under way after 10m", pid.Appid, pid.PartitionIndex)
		}
		select {
		case <-c.ctx.Done():
			return failf(c.ctx.Err(), "interrupted")
		case <-time.After(time.Second):
		}
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	tables, err := c.s.admin.ListTables(ctx, layer2.AppStatus_AS_AVAILABLE)
	if err != nil {
		return failf(err, "list tables failed: %s", describe(err))
	}
	for _, t := range tables {
		if t.AppID != pid.Appid {
			continue
		}
		_, parts, err := c.s.admin.TablePartitions(ctx, t.AppName)
		if err != nil {
			return failf(err, "query app %s failed: %s", t.AppName, describe(err))
		}
		counts := map[string][2]int{}
		var p admin.Partition
		for _, q := range parts {
			if q.Index == pid.PartitionIndex {
				p = q
			}
			n := counts[q.Primary]
			counts[q.Primary] = [2]int{n[0] + 1, n[1]}
			for _, s := range q.Secondaries {
				n := counts[s]
				counts[s] = [2]int{n[0], n[1] + 1}
			}
		}
		nodes := make([]string, 0, len(counts))
		for n := range counts {
			nodes = append(nodes, n)
		}
		sort.Strings(nodes)
		return c.Emit(map[string]any{"gpid": fmt.Sprintf("%d.%d", pid.Appid, pid.PartitionIndex), "primary": p.Primary, "secondaries": p.Secondaries, "ballot": p.Ballot},
			func(w io.Writer) {
				fmt.Fprintf(w, "move done: %d.%d primary %s, secondaries %v, ballot %d\n", pid.Appid, pid.PartitionIndex, p.Primary, p.Secondaries, p.Ballot)
				fmt.Fprintf(w, "%s per node (primary/secondary):\n", t.AppName)
				for _, n := range nodes {
					fmt.Fprintf(w, "  %s %d/%d\n", n, counts[n][0], counts[n][1])
				}
			})
	}
	return failf(nil, "table %d is gone", pid.Appid)
}

func runPropose(c *Call) error {
	pid, err := parseGpidArg(c.Str("gpid", ""))
	if err != nil {
		return err
	}
	name := strings.ToUpper(strings.TrimPrefix(strings.ToUpper(c.Str("type", "")), "CT_"))
	typ, err := admintypes.ConfigTypeFromString("CT_" + name)
	if err != nil || typ == admintypes.ConfigType_CT_INVALID {
		return usagef("parse %s as config_type failed", c.Str("type", ""))
	}
	target, err := parseNodeArg("target", c.Str("target", ""))
	if err != nil {
		return err
	}
	node, err := parseNodeArg("node", c.Str("node", ""))
	if err != nil {
		return err
	}
	ctx, cancel := c.adminCtx()
	defer cancel()
	err = c.s.admin.ProposeBalancer(ctx, pid, []admin.ProposalAction{{Target: target, Node: node, Type: typ}}, "")
	return proposalResult(c, "send proposal response", pid, err)
}

// proposalResult prints upstream's one-line answer; a refusal is a failure.
func proposalResult(c *Call, what string, pid base.Gpid, err error) error {
	if err != nil {
		return failf(err, "%s: %s", what, describe(err))
	}
	return c.Done(map[string]string{"gpid": fmt.Sprintf("%d.%d", pid.Appid, pid.PartitionIndex), "result": string(base.ERR_OK)},
		"%s: %s", what, base.ERR_OK)
}

func init() {
	register(&Command{Name: "balance_plan", Group: "cluster", Summary: "show the balancer's moves: under way, and planned per table", JSON: true,
		Help: "Asks the meta leader (remote command meta.lb.plan) for the moves under way and, per healthy table,\n" +
			"the moves its balancer would start at level lively. Changes nothing.",
		Run: runBalancePlan})
}

// balancerPlan is the meta's answer to meta.lb.plan.
type balancerPlan struct {
	Level    string              `json:"meta_function_level"`
	UnderWay []string            `json:"moves_under_way"`
	Planned  map[string][]string `json:"planned_by_table"`
}

func runBalancePlan(c *Call) error {
	v, err := balancerView(c)
	if err != nil {
		return err
	}
	return c.Emit(v, func(w io.Writer) {
		fmt.Fprintf(w, "meta level: %s\n", v.Level)
		fmt.Fprintf(w, "moves under way: %d\n", len(v.UnderWay))
		for _, m := range v.UnderWay {
			fmt.Fprintf(w, "  %s\n", m)
		}
		tables := make([]string, 0, len(v.Planned))
		for t := range v.Planned {
			tables = append(tables, t)
		}
		sort.Strings(tables)
		for _, t := range tables {
			fmt.Fprintf(w, "table %s: %d moves planned\n", t, len(v.Planned[t]))
			for _, m := range v.Planned[t] {
				fmt.Fprintf(w, "  %s\n", m)
			}
		}
	})
}

// balancerView asks the meta leader for its balancer's moves.
func balancerView(c *Call) (balancerPlan, error) {
	var v balancerPlan
	ctx, cancel := c.adminCtx()
	defer cancel()
	info, err := c.s.admin.ClusterInfo(ctx)
	if err != nil {
		return v, failf(err, "get cluster info failed, error=%s", describe(err))
	}
	leader := ""
	for _, kv := range info {
		if kv[0] == "primary_meta_server" {
			leader = kv[1]
		}
	}
	if leader == "" {
		return v, failf(nil, "no meta leader is known")
	}
	out, err := admin.RemoteCommand(ctx, leader, "meta.lb.plan", nil)
	if err != nil {
		return v, failf(err, "meta.lb.plan on %s failed: %s", leader, describe(err))
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		return v, failf(err, "meta.lb.plan on %s answered %q", leader, out)
	}
	return v, nil
}
