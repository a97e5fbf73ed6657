package storage

import (
	"strconv"

	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

// incr adds req.Increment to the integer stored at req.Key (§5.7). An
// absent, expired or empty value counts as 0; any other value must parse
// as an int64 (strtoll rules) or the request fails with invalid argument,
// as does an overflowing sum (new_value then carries the old value).
func (p *Partition) incr(req *rrdb.IncrRequest) (*rrdb.IncrResponse, error) {
	resp := &rrdb.IncrResponse{
		AppID:          p.opts.AppID,
		PartitionIndex: p.opts.PartitionIndex,
		Decree:         p.w.decree,
		Server:         p.opts.Server,
	}
	if req == nil {
		resp.Error = StatusInvalidArgument
		return resp, nil
	}
	key := req.Key.Bytes()
	rec, err := p.readForWrite(key)
	if err != nil {
		return nil, err
	}

	var base int64
	var expireTs uint32
	if !rec.exists {
		if req.ExpireTsSeconds > 0 {
			expireTs = uint32(req.ExpireTsSeconds)
		}
	} else {
		if len(rec.data) != 0 {
			v, ok := parseInt64(rec.data)
			if !ok {
				resp.Error = StatusInvalidArgument
				return resp, nil
			}
			base = v
		}
		switch {
		case req.ExpireTsSeconds == 0:
			expireTs = rec.expireTs
		case req.ExpireTsSeconds > 0:
			expireTs = uint32(req.ExpireTsSeconds)
		}
	}

	sum := base + req.Increment
	if (req.Increment > 0 && sum < base) || (req.Increment < 0 && sum > base) {
		resp.Error = StatusInvalidArgument
		resp.NewValue_ = base
		return resp, nil
	}
	var digits [20]byte
	p.stagePut(key, strconv.AppendInt(digits[:0], sum, 10), expireTs)
	resp.NewValue_ = sum
	return resp, nil
}
