package wire

import (
	"context"
	"fmt"

	"github.com/apache/thrift/lib/go/thrift"
)

// PutRequest is the hot-path view of RPC_RRDB_RRDB_PUT's args
// (put_args{1: update_request}). Decode fills it without allocating: Key,
// Value and CheckValue alias the args bytes, so they are valid only while
// the request buffer is (for a server handler: until it returns).
type PutRequest struct {
	Key      []byte
	Value    []byte
	ExpireTs int32
	// The optional internal fields of update_request (4..7), rarely set.
	Type               int32
	HasType            bool
	CheckValueReturned bool
	CheckValueExist    bool
	CheckValue         []byte
}

// Decode reads put args (field id and type of the wrapper are not checked,
// as upstream does not; the update_request fields are).
func (p *PutRequest) Decode(args []byte) error {
	*p = PutRequest{}
	d := Decoder{buf: args}
	ctx := context.Background()
	// The args struct: one field holding update_request, then STOP.
	_, t, _, err := d.ReadFieldBegin(ctx)
	if err != nil {
		return fmt.Errorf("wire: put args: %w", err)
	}
	if t != thrift.STRUCT {
		return fmt.Errorf("wire: put args: field of type %d, want a struct", t)
	}
	if err := p.decodeUpdate(&d); err != nil {
		return fmt.Errorf("wire: put args: %w", err)
	}
	if _, t, _, err = d.ReadFieldBegin(ctx); err != nil || t != thrift.STOP {
		return fmt.Errorf("wire: put args: no STOP after update_request (type %d, %v)", t, err)
	}
	if d.pos != len(args) {
		return fmt.Errorf("wire: put args: %d trailing bytes", len(args)-d.pos)
	}
	return nil
}

func (p *PutRequest) decodeUpdate(d *Decoder) error {
	ctx := context.Background()
	for {
		_, t, id, err := d.ReadFieldBegin(ctx)
		if err != nil {
			return err
		}
		switch {
		case t == thrift.STOP:
			return nil
		case id == 1 && t == thrift.STRUCT:
			p.Key, err = d.sized("key")
		case id == 2 && t == thrift.STRUCT:
			p.Value, err = d.sized("value")
		case id == 3 && t == thrift.I32:
			p.ExpireTs, err = d.i32("expire_ts_seconds")
		case id == 4 && t == thrift.I32:
			p.Type, err = d.i32("type")
			p.HasType = true
		case id == 5 && t == thrift.BOOL:
			p.CheckValueReturned, err = d.ReadBool(ctx)
		case id == 6 && t == thrift.BOOL:
			p.CheckValueExist, err = d.ReadBool(ctx)
		case id == 7 && t == thrift.STRUCT:
			p.CheckValue, err = d.sized("check_value")
		case t == thrift.STRUCT:
			// An unknown STRUCT-tagged field may be a raw base type that a
			// generic skip would misparse (protocol.md §3.1): refuse it.
			return fmt.Errorf("update_request: unknown struct field %d", id)
		default:
			err = d.skipScalar(t)
		}
		if err != nil {
			return fmt.Errorf("update_request field %d: %w", id, err)
		}
	}
}

// BlobArg reads the args of the RPCs whose single argument is a blob (get,
// remove, ttl, sortkey_count) without allocating; the result aliases args.
func BlobArg(args []byte) ([]byte, error) {
	d := Decoder{buf: args}
	ctx := context.Background()
	_, t, _, err := d.ReadFieldBegin(ctx)
	if err != nil {
		return nil, fmt.Errorf("wire: blob args: %w", err)
	}
	if t != thrift.STRUCT {
		return nil, fmt.Errorf("wire: blob args: field of type %d, want a STRUCT-tagged blob", t)
	}
	b, err := d.sized("blob")
	if err != nil {
		return nil, fmt.Errorf("wire: blob args: %w", err)
	}
	if _, t, _, err = d.ReadFieldBegin(ctx); err != nil || t != thrift.STOP {
		return nil, fmt.Errorf("wire: blob args: no STOP after the blob (type %d, %v)", t, err)
	}
	if d.pos != len(args) {
		return nil, fmt.Errorf("wire: blob args: %d trailing bytes", len(args)-d.pos)
	}
	return b, nil
}
