package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

// Draining a replica server (upstream admin-cli's nodes-migrator): every
// partition it serves gets one move — move_pri to one of its secondaries
// where it is primary, copy_sec to another alive server where it is a
// secondary — through the meta server's balancer, which never lets a
// partition drop below its replica count. Moves already under way are left
// to finish; a round is repeated until the server holds nothing.

// DrainMove is one planned move off the drained server.
type DrainMove struct {
	Table    string
	Pid      base.Gpid
	Kind     BalanceKind
	From, To netip.AddrPort
}

func (m DrainMove) String() string {
	return fmt.Sprintf("%s %d.%d %s %v -> %v", m.Table, m.Pid.Appid, m.Pid.PartitionIndex, m.Kind, m.From, m.To)
}

// DrainPlan lists the moves that take every replica off node, choosing
// targets among the alive servers (limited to targets when given) with the
// fewest replicas, then the fewest primaries. Remaining counts the
// replicas node still serves.
func (c *Client) DrainPlan(ctx context.Context, node netip.AddrPort, targets []netip.AddrPort) (plan []DrainMove, remaining int, err error) {
	infos, err := c.ListNodes(ctx, admin.NodeStatus_NS_ALIVE)
	if err != nil {
		return nil, 0, err
	}
	var alive []netip.AddrPort
	for _, in := range infos {
		if in.Node == nil || in.Node.IsInvalid() {
			continue
		}
		a := netip.AddrPortFrom(in.Node.Addr(), in.Node.Port())
		if a != node && (len(targets) == 0 || slices.Contains(targets, a)) {
			alive = append(alive, a)
		}
	}
	tables, err := c.ListTables(ctx, layer2.AppStatus_AS_AVAILABLE)
	if err != nil {
		return nil, 0, err
	}
	type load struct{ replicas, primaries int }
	loads := map[netip.AddrPort]*load{}
	for _, a := range alive {
		loads[a] = &load{}
	}
	type part struct {
		table string
		p     Partition
		id    int32
	}
	var parts []part
	for _, t := range tables {
		id, ps, err := c.TablePartitions(ctx, t.AppName)
		if err != nil {
			return nil, 0, err
		}
		for _, p := range ps {
			parts = append(parts, part{t.AppName, p, id})
			for _, m := range append([]string{p.Primary}, p.Secondaries...) {
				if ap, err := netip.ParseAddrPort(m); err == nil && loads[ap] != nil {
					loads[ap].replicas++
					if m == p.Primary {
						loads[ap].primaries++
					}
				}
			}
		}
	}
	least := func(cands []netip.AddrPort) (netip.AddrPort, bool) {
		if len(cands) == 0 {
			return netip.AddrPort{}, false
		}
		return slices.MinFunc(cands, func(a, b netip.AddrPort) int {
			return cmp.Or(cmp.Compare(loads[a].replicas, loads[b].replicas), cmp.Compare(loads[a].primaries, loads[b].primaries), a.Compare(b))
		}), true
	}
	self := node.String()
	for _, pt := range parts {
		p := pt.p
		pid := base.Gpid{Appid: pt.id, PartitionIndex: p.Index}
		switch {
		case p.Primary == self:
			remaining++
			var secs []netip.AddrPort
			for _, s := range p.Secondaries {
				if a, err := netip.ParseAddrPort(s); err == nil && loads[a] != nil {
					secs = append(secs, a)
				}
			}
			if to, ok := least(secs); ok {
				plan = append(plan, DrainMove{pt.table, pid, MovePrimary, node, to})
				loads[to].primaries++
			}
		case slices.Contains(p.Secondaries, self):
			remaining++
			var cands []netip.AddrPort
			for a := range loads {
				if p.Primary != a.String() && !slices.Contains(p.Secondaries, a.String()) {
					cands = append(cands, a)
				}
			}
			if to, ok := least(cands); ok {
				plan = append(plan, DrainMove{pt.table, pid, CopySecondary, node, to})
				loads[to].replicas++
			}
		}
	}
	return plan, remaining, nil
}

// ErrBalancerLively refuses a drain while the meta's own balancer would
// move replicas back.
var ErrBalancerLively = errors.New("the meta function level is lively: its balancer would move replicas back; set_meta_level steady first")

// StartDrain sends the plan's moves; a partition with a move already under
// way is skipped (it is planned again next round). It returns how many
// moves the meta accepted.
func (c *Client) StartDrain(ctx context.Context, plan []DrainMove) (accepted int, err error) {
	info, err := c.ClusterInfo(ctx)
	if err != nil {
		return 0, err
	}
	for _, kv := range info {
		if kv[0] == "meta_function_level" && strings.TrimPrefix(kv[1], "fl_") == "lively" {
			return 0, ErrBalancerLively
		}
	}
	for _, m := range plan {
		actions, err := BalanceActions(m.Kind, m.From, m.To)
		if err != nil {
			return accepted, err
		}
		err = c.ProposeBalancer(ctx, m.Pid, actions, m.Kind)
		var oe *OpError
		switch {
		case err == nil:
			accepted++
		case errors.As(err, &oe) && (oe.Errno == base.ERR_BUSY || oe.Errno == base.ERR_INVALID_PARAMETERS):
			// A move under way, or the layout changed since planning: the
			// next round plans again.
		default:
			return accepted, fmt.Errorf("%v: %w", m, err)
		}
	}
	return accepted, nil
}
