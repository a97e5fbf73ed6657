package admin

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// BalanceKind is a manual move: move_pri, copy_pri or copy_sec.
type BalanceKind string

// The moves a DBA may ask for (shell `balance -p`).
const (
	MovePrimary   BalanceKind = "move_pri"
	CopyPrimary   BalanceKind = "copy_pri"
	CopySecondary BalanceKind = "copy_sec"
)

// ProposalAction is one (target, node, type) of a balancer request: the
// node that must carry out the change, the node it is about, the change.
type ProposalAction struct {
	Target, Node netip.AddrPort // zero Target: whoever is primary
	Type         admin.ConfigType
}

// BalanceActions is the action list upstream sends for a move.
func BalanceActions(kind BalanceKind, from, to netip.AddrPort) ([]ProposalAction, error) {
	switch kind {
	case MovePrimary:
		return []ProposalAction{{from, from, admin.ConfigType_CT_DOWNGRADE_TO_SECONDARY}, {to, to, admin.ConfigType_CT_UPGRADE_TO_PRIMARY}}, nil
	case CopyPrimary:
		return []ProposalAction{{from, to, admin.ConfigType_CT_ADD_SECONDARY_FOR_LB}, {from, from, admin.ConfigType_CT_DOWNGRADE_TO_SECONDARY},
			{to, to, admin.ConfigType_CT_UPGRADE_TO_PRIMARY}}, nil
	case CopySecondary:
		return []ProposalAction{{netip.AddrPort{}, to, admin.ConfigType_CT_ADD_SECONDARY_FOR_LB}, {netip.AddrPort{}, from, admin.ConfigType_CT_DOWNGRADE_TO_INACTIVE}}, nil
	}
	return nil, fmt.Errorf("parse %s as a balance type failed", kind)
}

// ProposeBalancer sends RPC_CM_PROPOSE_BALANCER for partition pid.
func (c *Client) ProposeBalancer(ctx context.Context, pid base.Gpid, actions []ProposalAction, kind BalanceKind) error {
	req := &admin.ConfigurationBalancerRequest{Gpid: &pid, ActionList: []*admin.ConfigurationProposalAction{}}
	for _, a := range actions {
		req.ActionList = append(req.ActionList, &admin.ConfigurationProposalAction{
			Target: rpcAddr(a.Target), Node: rpcAddr(a.Node), Type: a.Type, HpTarget: hostPortOf(a.Target), HpNode: hostPortOf(a.Node),
		})
	}
	var bt admin.BalancerRequestType
	switch kind {
	case MovePrimary:
		bt = admin.BalancerRequestType_move_primary
	case CopyPrimary:
		bt = admin.BalancerRequestType_copy_primary
	case CopySecondary:
		bt = admin.BalancerRequestType_copy_secondary
	}
	if kind != "" {
		req.BalanceType = &bt
	}
	res := admin.NewMetaProposeBalancerResult()
	if err := c.call(ctx, catalog.RPC_CM_PROPOSE_BALANCER, &admin.MetaProposeBalancerArgs{Req: req}, res, func() errGetter { return res.Success }); err != nil {
		return err
	}
	return check("propose balancer", res.Success, "")
}

func rpcAddr(a netip.AddrPort) *base.RPCAddress {
	if !a.IsValid() {
		return &base.RPCAddress{}
	}
	r, err := base.NewRPCAddress(a.Addr(), a.Port())
	if err != nil {
		return &base.RPCAddress{}
	}
	return r
}

func hostPortOf(a netip.AddrPort) *base.HostPort {
	if !a.IsValid() {
		return nil
	}
	return base.NewHostPort(a.Addr().String(), a.Port())
}
