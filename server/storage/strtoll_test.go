package storage

import (
	"math"
	"testing"
)

func TestParseInt64(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"12", 12, true},
		{" 12", 12, true},
		{"\t\n\v\f\r 7", 7, true},
		{"+5", 5, true},
		{"-12", -12, true},
		{"0x1f", 31, true},
		{"0X1F", 31, true},
		{"-0x10", -16, true},
		{"010", 8, true},
		{"-010", -8, true},
		{"00", 0, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"0x7fffffffffffffff", math.MaxInt64, true},
		{"-0x8000000000000000", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"99999999999999999999999", 0, false},
		{"0x8000000000000000", 0, false},
		{"", 0, false},
		{" ", 0, false},
		{"-", 0, false},
		{"+", 0, false},
		{"12a", 0, false},
		{"12 ", 0, false},
		{"a12", 0, false},
		{"08", 0, false},
		{"0x", 0, false},
		{"0xg", 0, false},
		{"- 5", 0, false},
		{"1\x002", 0, false},
		{"1.5", 0, false},
		{"--1", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseInt64([]byte(tt.in))
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseInt64(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzParseInt64 cross-checks the strtoll port against Go's ParseInt
// adjusted for C's rules (see modelParseInt).
func FuzzParseInt64(f *testing.F) {
	for _, s := range []string{"0", " 12", "0x1f", "010", "-", "12a", "9223372036854775808", "0xb", "0b1", "+-1", "\t-0X7FFFFFFFFFFFFFFF"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseInt64([]byte(s))
		want, wantOK := modelParseInt([]byte(s))
		if ok != wantOK || (ok && got != want) {
			t.Fatalf("parseInt64(%q) = %d, %v; reference %d, %v", s, got, ok, want, wantOK)
		}
	})
}
