package replication

import (
	"context"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// direct sends requests for one record straight to one replica server,
// bypassing the client's routing.
type direct struct {
	conn *rpc.Conn
	h    wire.Header
	key  *base.Blob
}

// directTo opens a connection of the test's own to addr for record
// (hk, sortKey) of partition gpid; it is closed when the test ends.
func directTo(t *testing.T, ctx context.Context, addr string, gpid base.Gpid, hk string) *direct {
	t.Helper()
	conn, err := rpc.Dial(ctx, addr, rpc.ConnOptions{})
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &direct{
		conn: conn,
		h:    wire.Header{AppID: gpid.Appid, PartitionIndex: gpid.PartitionIndex, PartitionHash: keys.PartitionHash([]byte(hk))},
		key:  base.NewBlob(keys.EncodeKey([]byte(hk), sortKey)),
	}
}

// get reads the record: the value and storage error code the server
// answered, or the call's error (a refusal is an *rpc.RemoteError).
func (d *direct) get(ctx context.Context) (value string, code int32, err error) {
	res := rrdb.NewRrdbGetResult()
	if err := d.conn.Call(ctx, d.h, catalog.RPC_RRDB_RRDB_GET, &rrdb.RrdbGetArgs{Key: d.key}, res); err != nil {
		return "", 0, err
	}
	return string(res.Success.GetValue().Bytes()), res.Success.GetError(), nil
}

// put writes "stale" to the record: the decree and storage error code the
// server answered, or the call's error.
func (d *direct) put(ctx context.Context) (decree int64, code int32, err error) {
	res := rrdb.NewRrdbPutResult()
	args := &rrdb.RrdbPutArgs{Update: &rrdb.UpdateRequest{Key: d.key, Value: base.NewBlob([]byte("stale"))}}
	if err := d.conn.Call(ctx, d.h, catalog.RPC_RRDB_RRDB_PUT, args, res); err != nil {
		return 0, 0, err
	}
	return res.Success.GetDecree(), res.Success.GetError(), nil
}
