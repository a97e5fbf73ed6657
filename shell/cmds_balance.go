package shell

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/thrift/base"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
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
	ctx, cancel := c.adminCtx()
	defer cancel()
	err = c.s.admin.ProposeBalancer(ctx, pid, actions, kind)
	return proposalResult(c, "send balance proposal result", pid, err)
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
