package storage

import (
	"bytes"

	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

// validCheckType reports whether t is one of the 18 cas_check_type values.
func validCheckType(t rrdb.CasCheckType) bool {
	return t >= rrdb.CasCheckType_CT_NO_CHECK && t <= rrdb.CasCheckType_CT_VALUE_INT_GREATER
}

// evalCheck evaluates a check_and_set / check_and_mutate condition on the
// current value (exists = present and not expired). invalidArg is set when an
// int comparison meets a value or operand that is not an int64; the check
// then fails. The type must have passed validCheckType.
func evalCheck(t rrdb.CasCheckType, operand []byte, exists bool, value []byte) (passed, invalidArg bool) {
	switch t {
	case rrdb.CasCheckType_CT_NO_CHECK:
		return true, false
	case rrdb.CasCheckType_CT_VALUE_NOT_EXIST:
		return !exists, false
	case rrdb.CasCheckType_CT_VALUE_NOT_EXIST_OR_EMPTY:
		return !exists || len(value) == 0, false
	case rrdb.CasCheckType_CT_VALUE_EXIST:
		return exists, false
	case rrdb.CasCheckType_CT_VALUE_NOT_EMPTY:
		return exists && len(value) != 0, false
	}
	if !exists {
		return false, false
	}
	switch t {
	case rrdb.CasCheckType_CT_VALUE_MATCH_ANYWHERE:
		return bytes.Contains(value, operand), false
	case rrdb.CasCheckType_CT_VALUE_MATCH_PREFIX:
		return bytes.HasPrefix(value, operand), false
	case rrdb.CasCheckType_CT_VALUE_MATCH_POSTFIX:
		return bytes.HasSuffix(value, operand), false
	case rrdb.CasCheckType_CT_VALUE_BYTES_LESS,
		rrdb.CasCheckType_CT_VALUE_BYTES_LESS_OR_EQUAL,
		rrdb.CasCheckType_CT_VALUE_BYTES_EQUAL,
		rrdb.CasCheckType_CT_VALUE_BYTES_GREATER_OR_EQUAL,
		rrdb.CasCheckType_CT_VALUE_BYTES_GREATER:
		c := bytes.Compare(value, operand)
		return compareHolds(t-rrdb.CasCheckType_CT_VALUE_BYTES_LESS, c), false
	}
	v, ok1 := parseInt64(value)
	o, ok2 := parseInt64(operand)
	if !ok1 || !ok2 {
		return false, true
	}
	c := 0
	if v < o {
		c = -1
	} else if v > o {
		c = 1
	}
	return compareHolds(t-rrdb.CasCheckType_CT_VALUE_INT_LESS, c), false
}

// compareHolds interprets a comparison result c (−1, 0, 1) for the relation
// at offset rel in the order less, less-or-equal, equal, greater-or-equal,
// greater.
func compareHolds(rel rrdb.CasCheckType, c int) bool {
	switch rel {
	case 0:
		return c < 0
	case 1:
		return c <= 0
	case 2:
		return c == 0
	case 3:
		return c >= 0
	default:
		return c > 0
	}
}
