package replication

import (
	"errors"
	"fmt"
	"math"
	"net"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// kvOpKind is one of the operations the history records.
type kvOpKind int

const (
	kvGet kvOpKind = iota
	kvSet
	kvCAS // check_and_set: set value if the record holds expect
)

// kvInput is an operation on one key.
type kvInput struct {
	kind   kvOpKind
	key    string
	value  string // set, cas: the value written
	expect string // cas: the value the check compares with
}

// kvOutput is an operation's answer. unknown marks a write that failed in
// a way that leaves open whether it was applied: porcupine may place it
// anywhere after its call, or nowhere (its return time is the end of the
// history).
type kvOutput struct {
	value   string // get: the value read; cas: the value the check saw
	ok      bool   // cas: the check passed and the value was written
	unknown bool
}

// kvModel is a register per key, checked one key at a time.
var kvModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var order []string
		for _, op := range history {
			k := op.Input.(kvInput).key
			if _, ok := byKey[k]; !ok {
				order = append(order, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(order))
		for _, k := range order {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return linInit },
	Step: func(state, input, output any) (bool, any) {
		st, in, out := state.(string), input.(kvInput), output.(kvOutput)
		switch in.kind {
		case kvGet:
			return out.unknown || out.value == st, st
		case kvSet:
			return true, in.value
		default: // kvCAS
			passes := st == in.expect
			next := st
			if passes {
				next = in.value
			}
			return out.unknown || (out.ok == passes && out.value == st), next
		}
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(kvInput), output.(kvOutput)
		var call string
		switch in.kind {
		case kvGet:
			call = fmt.Sprintf("get(%s)", in.key)
		case kvSet:
			call = fmt.Sprintf("set(%s, %q)", in.key, in.value)
		default:
			call = fmt.Sprintf("cas(%s, %q → %q)", in.key, in.expect, in.value)
		}
		switch {
		case out.unknown:
			return call + " → outcome unknown"
		case in.kind == kvGet:
			return fmt.Sprintf("%s → %q", call, out.value)
		case in.kind == kvCAS:
			return fmt.Sprintf("%s → %v, saw %q", call, out.ok, out.value)
		}
		return call
	},
	DescribeState: func(state any) string { return fmt.Sprintf("%q", state) },
}

// casNotExecuted reports whether a failed check_and_set surely did not
// execute. The client retries a check_and_set only after a refusal that
// precedes execution, so the error's last attempt decides: no primary to
// send to, a failed dial, or a refusal of the partition (ERR_INVALID_STATE,
// ERR_OBJECT_NOT_FOUND, ERR_BUSY, ...). A lost connection or a timeout
// while the request was out may have executed; so may ERR_NOT_ENOUGH_MEMBER
// and ERR_CAPACITY_EXCEEDED, which the client treats as answers to a write
// that may have been prepared.
func casNotExecuted(err error) bool {
	if errors.Is(err, rpc.ErrConnClosed) {
		return false
	}
	if errors.Is(err, client.ErrInvalidArgument) || errors.Is(err, client.ErrPartitionUnavailable) {
		return true
	}
	var re *rpc.RemoteError
	if errors.As(err, &re) {
		switch re.Errno {
		case base.ERR_INVALID_STATE, base.ERR_OBJECT_NOT_FOUND, base.ERR_BUSY, base.ERR_SPLITTING, base.ERR_PARENT_PARTITION_MISUSED:
			return true
		}
		return false
	}
	var ne *net.OpError
	return errors.As(err, &ne) && ne.Op == "dial"
}

// TestKVModel checks the model on small hand-made histories, so that the
// linearizability test can fail: a stale read, a check_and_set that saw
// an overwritten value, and the freedom an unknown outcome leaves.
func TestKVModel(t *testing.T) {
	op := func(client int, call, ret int64, in kvInput, out kvOutput) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret}
	}
	set := func(v string) kvInput { return kvInput{kind: kvSet, key: "k", value: v} }
	get := kvInput{kind: kvGet, key: "k"}
	cas := func(expect, v string) kvInput { return kvInput{kind: kvCAS, key: "k", expect: expect, value: v} }
	unknown := kvOutput{unknown: true}
	const never = math.MaxInt64
	for _, tc := range []struct {
		name string
		ops  []porcupine.Operation
		want porcupine.CheckResult
	}{
		{"read after write", []porcupine.Operation{
			op(0, 0, 10, set("a"), kvOutput{}),
			op(1, 20, 30, get, kvOutput{value: "a"}),
		}, porcupine.Ok},
		{"stale read", []porcupine.Operation{
			op(0, 0, 10, set("a"), kvOutput{}),
			op(1, 20, 30, get, kvOutput{value: linInit}),
		}, porcupine.Illegal},
		{"concurrent read may see either", []porcupine.Operation{
			op(0, 0, 10, set("a"), kvOutput{}),
			op(1, 5, 30, get, kvOutput{value: linInit}),
		}, porcupine.Ok},
		{"cas passes on the current value", []porcupine.Operation{
			op(0, 0, 10, set("a"), kvOutput{}),
			op(1, 20, 30, cas("a", "b"), kvOutput{ok: true, value: "a"}),
			op(0, 40, 50, get, kvOutput{value: "b"}),
		}, porcupine.Ok},
		{"cas passes on an overwritten value", []porcupine.Operation{
			op(0, 0, 10, set("a"), kvOutput{}),
			op(0, 20, 30, set("b"), kvOutput{}),
			op(1, 40, 50, cas("a", "c"), kvOutput{ok: true, value: "a"}),
		}, porcupine.Illegal},
		{"cas fails on the expected value", []porcupine.Operation{
			op(1, 0, 10, cas(linInit, "c"), kvOutput{ok: false, value: linInit}),
		}, porcupine.Illegal},
		{"unknown write applied", []porcupine.Operation{
			op(0, 0, never, set("a"), unknown),
			op(1, 20, 30, get, kvOutput{value: "a"}),
		}, porcupine.Ok},
		{"unknown write not applied", []porcupine.Operation{
			op(0, 0, never, set("a"), unknown),
			op(1, 20, 30, get, kvOutput{value: linInit}),
		}, porcupine.Ok},
		{"unknown write applied, then a read of the old value", []porcupine.Operation{
			op(0, 0, never, set("a"), unknown),
			op(1, 20, 30, get, kvOutput{value: "a"}),
			op(1, 40, 50, get, kvOutput{value: linInit}),
		}, porcupine.Illegal},
		{"a value nobody wrote", []porcupine.Operation{
			op(0, 0, never, set("a"), unknown),
			op(1, 20, 30, get, kvOutput{value: "z"}),
		}, porcupine.Illegal},
	} {
		if got := porcupine.CheckOperationsTimeout(kvModel, tc.ops, 10*time.Second); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
