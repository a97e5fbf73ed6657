package meta

import (
	"context"
	"errors"
	"net/netip"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// proposeBalancer answers RPC_CM_PROPOSE_BALANCER. Two action lists are
// moves the balancer runs (shell `balance`): move_pri is
// (from, from, DOWNGRADE_TO_SECONDARY), (to, to, UPGRADE_TO_PRIMARY), and
// copy_sec is (·, to, ADD_SECONDARY_FOR_LB), (·, from, DOWNGRADE_TO_INACTIVE
// or REMOVE), and copy_pri is (from, to, ADD_SECONDARY_FOR_LB),
// (from, from, DOWNGRADE_TO_SECONDARY), (to, to, UPGRADE_TO_PRIMARY). A
// single action (shell `propose`) is sent as a proposal to its target as
// is, on the partition's current configuration: the replica server decides
// whether it applies.
func (s *Server) proposeBalancer(_ context.Context, q *admin.ConfigurationBalancerRequest) any {
	resp := &admin.ConfigurationBalancerResponse{Err: ec(base.ERR_OK)}
	if q.Gpid == nil || len(q.ActionList) == 0 || len(q.ActionList) > 3 {
		resp.Err = ec(base.ERR_INVALID_PARAMETERS)
		return resp
	}
	acts := make([]action, len(q.ActionList))
	for i, a := range q.ActionList {
		if a == nil {
			resp.Err = ec(base.ERR_INVALID_PARAMETERS)
			return resp
		}
		acts[i].typ = a.Type
		acts[i].target, _ = nodeAddr(a.Target, a.HpTarget)
		acts[i].node, _ = nodeAddr(a.Node, a.HpNode)
	}
	pid := *q.Gpid
	var err error
	switch m, kind := moveOf(pid, acts); kind {
	case moveAction:
		var serr error
		if err = s.read(func(st *State) { serr = st.StartMove(m) }); err == nil {
			err = serr
		}
		if err == nil {
			s.log.Info("meta: balancer move accepted", "move", m.String())
			s.triggerCure()
		}
	case singleAction:
		err = s.proposeOne(pid, acts[0])
	default:
		err = refuse(base.ERR_INVALID_PARAMETERS, "action list %v is none of move_pri, copy_sec, copy_pri or a single proposal", acts)
	}
	if err != nil {
		s.log.Info("meta: balancer request refused", "gpid", &pid, "err", err)
	}
	resp.Err = ec(s.replyErrno(err))
	return resp
}

type action struct {
	typ          admin.ConfigType
	target, node netip.AddrPort
}

type actionKind int

const (
	unknownAction actionKind = iota
	moveAction
	singleAction
)

// moveOf recognises the action lists of the balancer's moves.
func moveOf(pid base.Gpid, acts []action) (Move, actionKind) {
	switch {
	case len(acts) == 1:
		return Move{}, singleAction
	case len(acts) == 2 && acts[0].typ == admin.ConfigType_CT_DOWNGRADE_TO_SECONDARY && acts[1].typ == admin.ConfigType_CT_UPGRADE_TO_PRIMARY:
		return Move{Kind: MovePrimary, Pid: pid, From: acts[0].node, To: acts[1].node}, moveAction
	case len(acts) == 2 && acts[0].typ == admin.ConfigType_CT_ADD_SECONDARY_FOR_LB &&
		(acts[1].typ == admin.ConfigType_CT_DOWNGRADE_TO_INACTIVE || acts[1].typ == admin.ConfigType_CT_REMOVE):
		return Move{Kind: CopySecondary, Pid: pid, From: acts[1].node, To: acts[0].node}, moveAction
	case len(acts) == 3 && acts[0].typ == admin.ConfigType_CT_ADD_SECONDARY_FOR_LB &&
		acts[1].typ == admin.ConfigType_CT_DOWNGRADE_TO_SECONDARY && acts[2].typ == admin.ConfigType_CT_UPGRADE_TO_PRIMARY:
		return Move{Kind: CopyPrimary, Pid: pid, From: acts[1].node, To: acts[2].node}, moveAction
	}
	return Move{}, unknownAction
}

var errNoTarget = errors.New("the action names no target and node")

// proposeOne sends one proposal as a DBA asked for it.
func (s *Server) proposeOne(pid base.Gpid, a action) error {
	if !a.target.IsValid() || !a.node.IsValid() {
		return refuse(base.ERR_INVALID_PARAMETERS, "%v", errNoTarget)
	}
	var (
		pr   Proposal
		serr error
	)
	err := s.read(func(st *State) {
		t, p, ok := st.partition(pid)
		switch {
		case st.EffectiveLevel() < admin.MetaFunctionLevel_fl_steady:
			serr = refuse(base.ERR_STATE_FREEZED, "the meta function level forbids proposals")
		case !ok || !t.app.Available() || p.Dropped():
			serr = refuse(base.ERR_OBJECT_NOT_FOUND, "no partition %v", &pid)
		case p.Ballot == childBallot:
			serr = refuse(base.ERR_CHILD_NOT_READY, "partition %v is a split child that has not registered", &pid)
		case !st.Alive(a.target):
			serr = refuse(base.ERR_INVALID_PARAMETERS, "target %v is not alive", a.target)
		default:
			pr = Proposal{Target: a.target, Update: ConfigUpdate{App: t.app.Clone(), Config: p.Clone(), Type: a.typ, Node: a.node}}
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	s.log.Info("meta: proposing on request", "node", pr.Target, "gpid", &pid, "type", pr.Update.Type, "about", a.node)
	s.proposer.send(pr.Target, toUpdateRequest(pr.Update))
	return nil
}
