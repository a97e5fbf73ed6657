package meta

import (
	"net/netip"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// ConfigSync answers a replica server's report of the replicas it stores
// (RPC_CM_CONFIG_SYNC): every partition whose configuration names the node
// as primary or secondary, and the stored replicas it may delete because
// their table was dropped and its hold period has expired, or because
// their partition no longer exists (the children of a canceled split). An
// unknown node gets ERR_OBJECT_NOT_FOUND.
//
// During a split the table carries the doubled partition count, each
// parent that is not done its split status (syncSplitStatus), and a child
// that has not registered (no members) is sent to nobody.
func (s *State) ConfigSync(n netip.AddrPort, stored []base.Gpid, now time.Time) ([]ConfigUpdate, []base.Gpid, error) {
	if !s.Known(n) {
		return nil, nil, refuse(base.ERR_OBJECT_NOT_FOUND, "replica server %v is unknown", n)
	}
	var serving []ConfigUpdate
	for _, id := range s.tableIDs() {
		t := s.tables[id]
		if !t.app.Available() {
			continue
		}
		for _, p := range t.parts {
			if p.IsMember(n) {
				serving = append(serving, ConfigUpdate{
					App: t.app.Clone(), Config: p.Clone(), Type: admin.ConfigType_CT_INVALID, Node: n,
					SplitStatus: t.app.syncSplitStatus(p.Pid.PartitionIndex),
				})
			}
		}
	}
	var gc []base.Gpid
	for _, pid := range stored {
		t := s.tables[pid.Appid]
		switch {
		case t == nil:
		case t.app.Dropped() && now.Unix() >= t.app.ExpireSecond,
			t.app.Available() && pid.PartitionIndex >= t.app.PartitionCount:
			gc = append(gc, pid)
		}
	}
	return serving, gc, nil
}
