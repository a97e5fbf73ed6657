package replica

import (
	"bytes"
	"testing"

	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/catalog"
)

func TestClientWrite(t *testing.T) {
	args := []byte{0x0c, 0x00, 0x01, 0x00}
	for _, tc := range []struct {
		op   storage.Op
		name string
	}{
		{storage.OpPut, catalog.RPC_RRDB_RRDB_PUT},
		{storage.OpRemove, catalog.RPC_RRDB_RRDB_REMOVE},
		{storage.OpMultiPut, catalog.RPC_RRDB_RRDB_MULTI_PUT},
		{storage.OpMultiRemove, catalog.RPC_RRDB_RRDB_MULTI_REMOVE},
		{storage.OpIncr, catalog.RPC_RRDB_RRDB_INCR},
		{storage.OpCheckAndSet, catalog.RPC_RRDB_RRDB_CHECK_AND_SET},
		{storage.OpCheckAndMutate, catalog.RPC_RRDB_RRDB_CHECK_AND_MUTATE},
	} {
		name, got, ok := ClientWrite(payloadOf(tc.op, args))
		if !ok || name != tc.name || !bytes.Equal(got, args) {
			t.Errorf("%v: got (%q, %x, %v), want (%q, %x, true)", tc.op, name, got, ok, tc.name, args)
		}
		if _, ok := catalog.Lookup(name); !ok {
			t.Errorf("%v: %q is not in the catalogue", tc.op, name)
		}
	}
	for _, p := range [][]byte{nil, {}, {OpDuplicate}, payloadOf(storage.OpDuplicate, args), {0x7f, 1, 2}} {
		if name, _, ok := ClientWrite(p); ok {
			t.Errorf("ClientWrite(%x) = %q, want not a client write", p, name)
		}
	}
}
