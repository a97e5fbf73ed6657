package base

import (
	"context"
	"fmt"

	"github.com/apache/thrift/lib/go/thrift"
)

// Gpid is dsn.gpid, the global id of a partition: table id plus partition
// index. On the wire it is one i64 with Appid in the low 32 bits and
// PartitionIndex in the high 32 bits (app 2, partition 5 is
// 0x0000000500000002).
type Gpid struct {
	Appid          int32
	PartitionIndex int32
}

// NewGpid returns the gpid of partition index of table appid.
func NewGpid(appid, index int32) *Gpid { return &Gpid{Appid: appid, PartitionIndex: index} }

// Raw returns the wire value.
func (g *Gpid) Raw() int64 {
	if g == nil {
		return 0
	}
	return int64(uint64(uint32(g.PartitionIndex))<<32 | uint64(uint32(g.Appid)))
}

// GpidFromRaw splits a wire value into its two halves.
func GpidFromRaw(v int64) Gpid {
	return Gpid{Appid: int32(uint32(uint64(v))), PartitionIndex: int32(uint32(uint64(v) >> 32))}
}

// Read decodes the i64 payload.
func (g *Gpid) Read(ctx context.Context, iprot thrift.TProtocol) error {
	v, err := iprot.ReadI64(ctx)
	if err != nil {
		return fmt.Errorf("read gpid: %w", err)
	}
	*g = GpidFromRaw(v)
	return nil
}

// Write encodes the i64 payload; a nil gpid is written as 0.0.
func (g *Gpid) Write(ctx context.Context, oprot thrift.TProtocol) error {
	if err := oprot.WriteI64(ctx, g.Raw()); err != nil {
		return fmt.Errorf("write gpid: %w", err)
	}
	return nil
}

// Equals reports whether both name the same partition; nil equals 0.0.
func (g *Gpid) Equals(other *Gpid) bool { return g.Raw() == other.Raw() }

// String formats the gpid as "appid.index", as the shell and logs do.
func (g *Gpid) String() string {
	if g == nil {
		return "0.0"
	}
	return fmt.Sprintf("%d.%d", g.Appid, g.PartitionIndex)
}
