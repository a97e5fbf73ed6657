package mlog

import "github.com/pegasus-go/pegasus/thrift/base"

// OldestHolders names what keeps GC from removing the oldest segment: each
// partition whose entries in it reach above durable(gpid), with the
// highest such decree (storage must hold it durably before the segment
// can go). It is empty when only the active segment is left.
func (l *Log) OldestHolders(durable func(base.Gpid) int64) map[base.Gpid]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[base.Gpid]int64{}
	if len(l.segments) <= 1 {
		return out
	}
	for g, d := range l.segments[0].maxDecree {
		if d > durable(g) {
			out[g] = d
		}
	}
	return out
}
