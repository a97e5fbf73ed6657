package peerwire

import (
	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
)

// peerRPC is how one message type travels: its RPC name and its generated
// args struct, whose single field is the peer_message.
type peerRPC struct {
	typ  pacifica.MsgType
	name string
	// args returns a new args struct holding m (nil for an empty one to
	// decode into) and the address of its message field.
	args func(m *replication.PeerMessage) (thrift.TStruct, **replication.PeerMessage)
}

var peerRPCs = []peerRPC{
	{pacifica.MsgPrepare, catalog.RPC_PREPARE,
		func(m *replication.PeerMessage) (thrift.TStruct, **replication.PeerMessage) {
			a := &replication.PeerPrepareArgs{Msg: m}
			return a, &a.Msg
		}},
	{pacifica.MsgPrepareAck, catalog.RPC_PREPARE_ACK,
		func(m *replication.PeerMessage) (thrift.TStruct, **replication.PeerMessage) {
			a := &replication.PeerPrepareAckArgs{Msg: m}
			return a, &a.Msg
		}},
	{pacifica.MsgGroupCheck, catalog.RPC_GROUP_CHECK,
		func(m *replication.PeerMessage) (thrift.TStruct, **replication.PeerMessage) {
			a := &replication.PeerGroupCheckArgs{Msg: m}
			return a, &a.Msg
		}},
	{pacifica.MsgGroupCheckReply, catalog.RPC_GROUP_CHECK_ACK,
		func(m *replication.PeerMessage) (thrift.TStruct, **replication.PeerMessage) {
			a := &replication.PeerGroupCheckAckArgs{Msg: m}
			return a, &a.Msg
		}},
	{pacifica.MsgLearn, catalog.RPC_LEARN,
		func(m *replication.PeerMessage) (thrift.TStruct, **replication.PeerMessage) {
			a := &replication.PeerLearnArgs{Msg: m}
			return a, &a.Msg
		}},
	{pacifica.MsgLearnReply, catalog.RPC_LEARN_ACK,
		func(m *replication.PeerMessage) (thrift.TStruct, **replication.PeerMessage) {
			a := &replication.PeerLearnAckArgs{Msg: m}
			return a, &a.Msg
		}},
	{pacifica.MsgLearnCompleted, catalog.RPC_LEARN_COMPLETION_NOTIFY,
		func(m *replication.PeerMessage) (thrift.TStruct, **replication.PeerMessage) {
			a := &replication.PeerLearnCompletionNotifyArgs{Msg: m}
			return a, &a.Msg
		}},
}

func rpcOfType(t pacifica.MsgType) (peerRPC, bool) {
	for _, r := range peerRPCs {
		if r.typ == t {
			return r, true
		}
	}
	return peerRPC{}, false
}

func rpcOfName(name string) (peerRPC, bool) {
	for _, r := range peerRPCs {
		if r.name == name {
			return r, true
		}
	}
	return peerRPC{}, false
}

// RPCName is the one-way RPC a message of type t travels as, or "" for a
// type this package does not know.
func RPCName(t pacifica.MsgType) string {
	r, _ := rpcOfType(t)
	return r.name
}

// Names returns the RPC names of the seven message types, for registering
// one handler per name with rpc.Server.Handle.
func Names() []string {
	out := make([]string, len(peerRPCs))
	for i, r := range peerRPCs {
		out[i] = r.name
	}
	return out
}
