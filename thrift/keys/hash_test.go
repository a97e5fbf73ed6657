package keys

import (
	"hash/crc64"
	"testing"
)

func TestPartitionHashCheckValues(t *testing.T) {
	tests := []struct {
		in       string
		expected uint64
	}{
		{"", 0},
		{"123456789", 0xae8b14860a799888},
		{"hk1", 0xb136b82b96d0c625},
		{"h", 0x555d9839ecea8b30},
		{"hello", 0x3377857006524257},
	}
	for _, tt := range tests {
		if got := PartitionHash([]byte(tt.in)); got != tt.expected {
			t.Errorf("PartitionHash(%q) = %#x, want %#x", tt.in, got, tt.expected)
		}
	}
	if got := crc64.MakeTable(Poly)[1]; got != 0x7f6ef0c830358979 {
		t.Errorf("table[1] = %#x", got)
	}
}

func TestKeyHash(t *testing.T) {
	if got, want := KeyHash(EncodeKey([]byte("hello"), []byte("sort"))), PartitionHash([]byte("hello")); got != want {
		t.Errorf("KeyHash uses hash key: %#x, want %#x", got, want)
	}
	if got, want := KeyHash(EncodeKey(nil, []byte("hello"))), PartitionHash([]byte("hello")); got != want {
		t.Errorf("empty hash key uses sort key: %#x, want %#x", got, want)
	}
	for _, k := range [][]byte{nil, {0}, {0, 9, 'a'}} {
		_ = KeyHash(k) // must not panic
	}
}

func TestPartitionIndex(t *testing.T) {
	h := PartitionHash([]byte("hk1"))
	for _, n := range []int32{1, 2, 4, 8, 16, 256} {
		got := PartitionIndex(h, n)
		if got != int32(h&uint64(n-1)) {
			t.Errorf("PartitionIndex(%#x, %d) = %d", h, n, got)
		}
		if !BelongsTo(h, got, n-1) {
			t.Errorf("BelongsTo(%#x, %d, %d) = false", h, got, n-1)
		}
	}
	if got := PartitionIndex(h, 0); got != -1 {
		t.Errorf("PartitionIndex with count 0 = %d", got)
	}
	if BelongsTo(h, 0, -1) {
		t.Error("BelongsTo with version -1 = true")
	}
}

// TestPartitionHashMatchesCRC64 checks the hand loop against hash/crc64 on
// keys of every length up to a few KB (crc64 switches strategy at 64 and
// 2048 bytes).
func TestPartitionHashMatchesCRC64(t *testing.T) {
	buf := make([]byte, 4100)
	x := uint32(12345)
	for i := range buf {
		x = x*1664525 + 1013904223
		buf[i] = byte(x >> 24)
	}
	for n := 0; n <= len(buf); n += 1 + n/16 {
		if got, want := PartitionHash(buf[:n]), crc64.Checksum(buf[:n], table); got != want {
			t.Fatalf("PartitionHash of %d bytes = %#x, crc64 says %#x", n, got, want)
		}
	}
}
