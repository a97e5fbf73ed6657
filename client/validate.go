package client

import (
	"errors"
	"math"
	"time"

	"github.com/pegasus-go/pegasus/thrift/keys"
)

// pegasusEpoch is the Unix time of the Pegasus epoch (2016-01-01T00:00:00Z);
// every expire_ts on the wire counts seconds from it (protocol.md §5.5).
const pegasusEpoch = 1451606400

// now is the clock TTLs are computed against; tests may replace it.
var now = time.Now

// checkHashKey refuses what no single-hash-key operation may carry: an
// empty hash key, or one too long for the key encoding (65535 bytes and up).
func checkHashKey(hashKey []byte) error {
	if len(hashKey) == 0 {
		return invalidf("empty hash key")
	}
	if err := keys.ValidateHashKey(hashKey); err != nil {
		return errors.Join(ErrInvalidArgument, err)
	}
	return nil
}

// expireTs converts a relative TTL to the absolute expire_ts the server
// stores. 0 means no TTL. A positive TTL is rounded up to whole seconds so
// that a short TTL never turns into "no TTL".
func expireTs(ttl time.Duration) (int32, error) {
	if ttl < 0 {
		return 0, invalidf("negative TTL %v", ttl)
	}
	if ttl == 0 {
		return 0, nil
	}
	secs := int64(ttl / time.Second)
	if ttl%time.Second != 0 {
		secs++
	}
	ts := now().Unix() - pegasusEpoch + secs
	if ts > math.MaxInt32 {
		return 0, invalidf("TTL %v ends after the last representable expiry time", ttl)
	}
	return int32(ts), nil
}

// nonNil returns b, or an empty slice for nil, so that a found empty value
// is distinguishable from "absent" (nil).
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
