package storage

import (
	"bytes"

	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

// validFilterType reports whether t is one of the four filter types.
func validFilterType(t rrdb.FilterType) bool {
	return t >= rrdb.FilterType_FT_NO_FILTER && t <= rrdb.FilterType_FT_MATCH_POSTFIX
}

// matchFilter applies a hash-key or sort-key filter; an empty pattern always
// matches. The type must have passed validFilterType.
func matchFilter(t rrdb.FilterType, pattern, key []byte) bool {
	if len(pattern) == 0 {
		return true
	}
	switch t {
	case rrdb.FilterType_FT_MATCH_ANYWHERE:
		return bytes.Contains(key, pattern)
	case rrdb.FilterType_FT_MATCH_PREFIX:
		return bytes.HasPrefix(key, pattern)
	case rrdb.FilterType_FT_MATCH_POSTFIX:
		return bytes.HasSuffix(key, pattern)
	}
	return true
}
