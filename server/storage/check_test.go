package storage

import (
	"testing"

	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

func TestEvalCheck(t *testing.T) {
	type tc struct {
		ct      rrdb.CasCheckType
		operand string
		exists  bool
		value   string
		passed  bool
		invalid bool
	}
	tests := []tc{
		{rrdb.CasCheckType_CT_NO_CHECK, "", false, "", true, false},
		{rrdb.CasCheckType_CT_NO_CHECK, "x", true, "y", true, false},
		{rrdb.CasCheckType_CT_VALUE_NOT_EXIST, "", false, "", true, false},
		{rrdb.CasCheckType_CT_VALUE_NOT_EXIST, "", true, "", false, false},
		{rrdb.CasCheckType_CT_VALUE_NOT_EXIST_OR_EMPTY, "", false, "", true, false},
		{rrdb.CasCheckType_CT_VALUE_NOT_EXIST_OR_EMPTY, "", true, "", true, false},
		{rrdb.CasCheckType_CT_VALUE_NOT_EXIST_OR_EMPTY, "", true, "v", false, false},
		{rrdb.CasCheckType_CT_VALUE_EXIST, "", true, "", true, false},
		{rrdb.CasCheckType_CT_VALUE_EXIST, "", false, "", false, false},
		{rrdb.CasCheckType_CT_VALUE_NOT_EMPTY, "", true, "v", true, false},
		{rrdb.CasCheckType_CT_VALUE_NOT_EMPTY, "", true, "", false, false},
		{rrdb.CasCheckType_CT_VALUE_NOT_EMPTY, "", false, "", false, false},
		{rrdb.CasCheckType_CT_VALUE_MATCH_ANYWHERE, "ll", true, "hello", true, false},
		{rrdb.CasCheckType_CT_VALUE_MATCH_ANYWHERE, "", true, "", true, false},
		{rrdb.CasCheckType_CT_VALUE_MATCH_ANYWHERE, "", false, "", false, false},
		{rrdb.CasCheckType_CT_VALUE_MATCH_ANYWHERE, "xx", true, "hello", false, false},
		{rrdb.CasCheckType_CT_VALUE_MATCH_PREFIX, "he", true, "hello", true, false},
		{rrdb.CasCheckType_CT_VALUE_MATCH_PREFIX, "lo", true, "hello", false, false},
		{rrdb.CasCheckType_CT_VALUE_MATCH_PREFIX, "hello!", true, "hello", false, false},
		{rrdb.CasCheckType_CT_VALUE_MATCH_POSTFIX, "lo", true, "hello", true, false},
		{rrdb.CasCheckType_CT_VALUE_MATCH_POSTFIX, "he", true, "hello", false, false},
		{rrdb.CasCheckType_CT_VALUE_BYTES_LESS, "b", true, "a", true, false},
		{rrdb.CasCheckType_CT_VALUE_BYTES_LESS, "a", true, "a", false, false},
		{rrdb.CasCheckType_CT_VALUE_BYTES_LESS, "ab", true, "a", true, false},
		{rrdb.CasCheckType_CT_VALUE_BYTES_LESS, "\x80", true, "\x7f", true, false},
		{rrdb.CasCheckType_CT_VALUE_BYTES_LESS, "b", false, "", false, false},
		{rrdb.CasCheckType_CT_VALUE_BYTES_LESS_OR_EQUAL, "a", true, "a", true, false},
		{rrdb.CasCheckType_CT_VALUE_BYTES_LESS_OR_EQUAL, "a", true, "b", false, false},
		{rrdb.CasCheckType_CT_VALUE_BYTES_EQUAL, "a", true, "a", true, false},
		{rrdb.CasCheckType_CT_VALUE_BYTES_EQUAL, "", true, "", true, false},
		{rrdb.CasCheckType_CT_VALUE_BYTES_EQUAL, "", false, "", false, false},
		{rrdb.CasCheckType_CT_VALUE_BYTES_EQUAL, "a", true, "b", false, false},
		{rrdb.CasCheckType_CT_VALUE_BYTES_GREATER_OR_EQUAL, "a", true, "a", true, false},
		{rrdb.CasCheckType_CT_VALUE_BYTES_GREATER_OR_EQUAL, "b", true, "a", false, false},
		{rrdb.CasCheckType_CT_VALUE_BYTES_GREATER, "a", true, "b", true, false},
		{rrdb.CasCheckType_CT_VALUE_BYTES_GREATER, "a", true, "a", false, false},
		{rrdb.CasCheckType_CT_VALUE_INT_LESS, "10", true, "9", true, false},
		{rrdb.CasCheckType_CT_VALUE_INT_LESS, "9", true, "10", false, false},
		{rrdb.CasCheckType_CT_VALUE_INT_LESS, "0x10", true, "010", true, false},
		{rrdb.CasCheckType_CT_VALUE_INT_LESS, "1", false, "", false, false},
		{rrdb.CasCheckType_CT_VALUE_INT_LESS, "1", true, "", false, true},
		{rrdb.CasCheckType_CT_VALUE_INT_LESS, "1", true, "abc", false, true},
		{rrdb.CasCheckType_CT_VALUE_INT_LESS, "x", true, "1", false, true},
		{rrdb.CasCheckType_CT_VALUE_INT_LESS_OR_EQUAL, "5", true, "5", true, false},
		{rrdb.CasCheckType_CT_VALUE_INT_LESS_OR_EQUAL, "5", true, "6", false, false},
		{rrdb.CasCheckType_CT_VALUE_INT_EQUAL, "5", true, " 5", true, false},
		{rrdb.CasCheckType_CT_VALUE_INT_EQUAL, "5", true, "6", false, false},
		{rrdb.CasCheckType_CT_VALUE_INT_EQUAL, "5 ", true, "5", false, true},
		{rrdb.CasCheckType_CT_VALUE_INT_GREATER_OR_EQUAL, "-5", true, "-5", true, false},
		{rrdb.CasCheckType_CT_VALUE_INT_GREATER_OR_EQUAL, "-4", true, "-5", false, false},
		{rrdb.CasCheckType_CT_VALUE_INT_GREATER, "-4", true, "-3", true, false},
		{rrdb.CasCheckType_CT_VALUE_INT_GREATER, "-3", true, "-3", false, false},
		{rrdb.CasCheckType_CT_VALUE_INT_GREATER, "1", true, "99999999999999999999", false, true},
	}
	covered := map[rrdb.CasCheckType]bool{}
	for _, tt := range tests {
		covered[tt.ct] = true
		passed, invalid := evalCheck(tt.ct, []byte(tt.operand), tt.exists, []byte(tt.value))
		if passed != tt.passed || invalid != tt.invalid {
			t.Errorf("evalCheck(%v, %q, exists=%v, %q) = %v, %v; want %v, %v",
				tt.ct, tt.operand, tt.exists, tt.value, passed, invalid, tt.passed, tt.invalid)
		}
	}
	for ct := rrdb.CasCheckType(0); ct <= 17; ct++ {
		if !validCheckType(ct) || !covered[ct] {
			t.Errorf("check type %v valid=%v covered=%v", ct, validCheckType(ct), covered[ct])
		}
	}
	for _, ct := range []rrdb.CasCheckType{-1, 18, 1 << 40} {
		if validCheckType(ct) {
			t.Errorf("check type %d reported valid", ct)
		}
	}
}

func TestMatchFilter(t *testing.T) {
	tests := []struct {
		ft      rrdb.FilterType
		pattern string
		key     string
		want    bool
	}{
		{rrdb.FilterType_FT_NO_FILTER, "x", "abc", true},
		{rrdb.FilterType_FT_MATCH_ANYWHERE, "", "", true},
		{rrdb.FilterType_FT_MATCH_ANYWHERE, "b", "abc", true},
		{rrdb.FilterType_FT_MATCH_ANYWHERE, "d", "abc", false},
		{rrdb.FilterType_FT_MATCH_PREFIX, "ab", "abc", true},
		{rrdb.FilterType_FT_MATCH_PREFIX, "bc", "abc", false},
		{rrdb.FilterType_FT_MATCH_POSTFIX, "bc", "abc", true},
		{rrdb.FilterType_FT_MATCH_POSTFIX, "ab", "abc", false},
		{rrdb.FilterType_FT_MATCH_POSTFIX, "abcd", "abc", false},
	}
	for _, tt := range tests {
		if got := matchFilter(tt.ft, []byte(tt.pattern), []byte(tt.key)); got != tt.want {
			t.Errorf("matchFilter(%v, %q, %q) = %v", tt.ft, tt.pattern, tt.key, got)
		}
	}
	if validFilterType(4) || validFilterType(-1) || !validFilterType(3) {
		t.Error("validFilterType bounds wrong")
	}
}
