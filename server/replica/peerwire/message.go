package peerwire

import (
	"errors"
	"fmt"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// Envelope is one replica-to-replica message and, for an invitation to
// learn, the table it belongs to.
type Envelope struct {
	Msg pacifica.Message
	// App is the partition's table (app_info), which the sender attaches
	// to a group check inviting a learner so that a server that does not
	// hold the replica yet can create it. Nil otherwise.
	App *layer2.AppInfo
	// SplitPartitionCount and SplitChildDecree are the host's partition
	// split fields of a group check and its ack (peer_message fields 21 and
	// 22; zero when absent): the new partition count, and the decree at
	// which the members' children stop following their parent.
	SplitPartitionCount int32
	SplitChildDecree    int64
	// DupConfirmed rides on a primary's group checks while the table
	// duplicates: the lowest decree its duplications confirmed, which the
	// secondaries' logs must keep everything above (peer_message field 20).
	DupConfirmed *int64
}

// Encode returns the RPC name and args struct that carry e, for
// rpc.Conn.Send. The args share e's byte slices (the updates) and App
// until they are written. It fails for an unknown message type and for a
// message Decode would refuse.
func Encode(e Envelope) (name string, args thrift.TStruct, err error) {
	r, ok := rpcOfType(e.Msg.Type)
	if !ok {
		return "", nil, fmt.Errorf("encode peer message: unknown type %v", e.Msg.Type)
	}
	if err := check(e); err != nil {
		return "", nil, fmt.Errorf("encode %s: %w", r.name, err)
	}
	args, _ = r.args(toWire(e))
	return r.name, args, nil
}

// Decode reads the message of a peer RPC request. The result shares no
// memory with req.Args.
func Decode(req *rpc.Request) (Envelope, error) {
	r, ok := rpcOfName(req.Name)
	if !ok {
		return Envelope{}, fmt.Errorf("decode peer message: %q is not a peer RPC", req.Name)
	}
	args, field := r.args(nil)
	if err := req.DecodeArgs(args); err != nil {
		return Envelope{}, err
	}
	if *field == nil {
		return Envelope{}, fmt.Errorf("decode %s: %w", r.name, errors.New("no message"))
	}
	e, err := fromWire(r.typ, *field)
	if err == nil {
		err = check(e)
	}
	if err != nil {
		return Envelope{}, fmt.Errorf("decode %s: %w", r.name, err)
	}
	return e, nil
}
