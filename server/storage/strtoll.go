package storage

import "math"

// parseInt64 parses s the way C strtoll(s, &end, 0) does when the whole
// string must be consumed and the result must fit int64: optional leading
// whitespace, an optional sign, then a decimal number, a 0x/0X hexadecimal
// number or a 0-prefixed octal number. Trailing bytes, an empty digit
// sequence and overflow are all failures.
func parseInt64(s []byte) (int64, bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	base := uint64(10)
	if i < len(s) && s[i] == '0' {
		// "0x" counts as a hex prefix only if a hex digit follows;
		// otherwise strtoll consumes just the "0".
		if i+2 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') && digitValue(s[i+2]) < 16 {
			base = 16
			i += 2
		} else {
			base = 8
		}
	}
	start := i
	// Magnitude limit: 2^63 for negatives, 2^63-1 otherwise.
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	var v uint64
	for ; i < len(s); i++ {
		d := uint64(digitValue(s[i]))
		if d >= base {
			break
		}
		if v > (limit-d)/base {
			return 0, false
		}
		v = v*base + d
	}
	if i == start || i != len(s) {
		return 0, false
	}
	if neg {
		return int64(-v), true // -2^63 wraps to itself
	}
	return int64(v), true
}

// isCSpace matches C isspace in the "C" locale.
func isCSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// digitValue returns the value of an alphanumeric digit, or 255.
func digitValue(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'z':
		return c - 'a' + 10
	case c >= 'A' && c <= 'Z':
		return c - 'A' + 10
	}
	return 255
}
