package keys

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestEncodeKey(t *testing.T) {
	tests := []struct {
		name     string
		hash     string
		sort     string
		expected []byte
	}{
		{"both empty", "", "", []byte{0, 0}},
		{"hash only", "h", "", []byte{0, 1, 'h'}},
		{"sort only", "", "s", []byte{0, 0, 's'}},
		{"both", "hk", "sk", []byte{0, 2, 'h', 'k', 's', 'k'}},
		{"long hash", strings.Repeat("a", 300), "x", append(append([]byte{1, 44}, strings.Repeat("a", 300)...), 'x')},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EncodeKey([]byte(tt.hash), []byte(tt.sort))
			if !bytes.Equal(got, tt.expected) {
				t.Fatalf("EncodeKey(%q, %q) = %x, want %x", tt.hash, tt.sort, got, tt.expected)
			}
			appended := AppendKey([]byte("pre"), []byte(tt.hash), []byte(tt.sort))
			if !bytes.Equal(appended, append([]byte("pre"), tt.expected...)) {
				t.Fatalf("AppendKey = %x", appended)
			}
			h, s, err := DecodeKey(got)
			if err != nil || string(h) != tt.hash || string(s) != tt.sort {
				t.Fatalf("DecodeKey(%x) = %q, %q, %v", got, h, s, err)
			}
		})
	}
}

func TestEncodeKeyTooLong(t *testing.T) {
	if got := EncodeKey(make([]byte, 0x10000), nil); got != nil {
		t.Fatalf("EncodeKey of a 65536-byte hash key = %d bytes, want nil", len(got))
	}
	// 65535 still fits the prefix even though servers reject it.
	if got := EncodeKey(make([]byte, 0xFFFF), []byte("s")); len(got) != 2+0xFFFF+1 {
		t.Fatalf("EncodeKey of a 65535-byte hash key = %d bytes", len(got))
	}
}

func TestDecodeKeyInvalid(t *testing.T) {
	for _, k := range [][]byte{nil, {0}, {0, 1}, {0, 3, 'a', 'b'}, {0xFF, 0xFF}} {
		if _, _, err := DecodeKey(k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("DecodeKey(%x) error = %v, want ErrInvalidKey", k, err)
		}
	}
}

func TestValidateHashKey(t *testing.T) {
	if err := ValidateHashKey(nil); err != nil {
		t.Errorf("empty: %v", err)
	}
	if err := ValidateHashKey(make([]byte, MaxHashKeyLen)); err != nil {
		t.Errorf("65534: %v", err)
	}
	if err := ValidateHashKey(make([]byte, MaxHashKeyLen+1)); !errors.Is(err, ErrHashKeyTooLong) {
		t.Errorf("65535: %v, want ErrHashKeyTooLong", err)
	}
}

func TestNextHashKey(t *testing.T) {
	tests := []struct {
		hash     []byte
		expected []byte
	}{
		{nil, []byte{0, 1}},
		{[]byte("a"), []byte{0, 1, 'b'}},
		{[]byte{'a', 0xFF}, []byte{0, 2, 'b'}},
		{[]byte{0xFF}, []byte{0, 2}},
		{[]byte{0xFF, 0xFF}, []byte{0, 3}},
		{bytes.Repeat([]byte{0xFF}, 255), []byte{1}},
	}
	for _, tt := range tests {
		if got := NextHashKey(tt.hash); !bytes.Equal(got, tt.expected) {
			t.Errorf("NextHashKey(%x) = %x, want %x", tt.hash, got, tt.expected)
		}
	}
}

func TestNextKey(t *testing.T) {
	tests := []struct {
		hash, sort []byte
		expected   []byte
	}{
		{[]byte("h"), []byte("s"), []byte{0, 1, 'h', 't'}},
		{[]byte("h"), []byte{'s', 0xFF, 0xFF}, []byte{0, 1, 'h', 't'}},
		{[]byte("h"), []byte{0xFF}, []byte{0, 1, 'i'}},
		{nil, []byte{0xFF, 0xFF}, []byte{0, 1}},
		{nil, nil, []byte{0, 1}},
		{bytes.Repeat([]byte{0xFF}, 0xFFFF), []byte{0xFF}, nil},
	}
	for _, tt := range tests {
		got := NextKey(tt.hash, tt.sort)
		if !bytes.Equal(got, tt.expected) {
			t.Errorf("NextKey(%x, %x) = %x, want %x", tt.hash, tt.sort, got, tt.expected)
		}
		if got != nil && bytes.Compare(got, EncodeKey(tt.hash, tt.sort)) <= 0 {
			t.Errorf("NextKey(%x, %x) = %x is not after the key", tt.hash, tt.sort, got)
		}
	}
}

// Every key of a hash key's range lies in [encode(H, ""), NextHashKey(H)), and
// keys of other hash keys lie outside it.
func TestHashKeyRangeContainment(t *testing.T) {
	hashes := [][]byte{nil, []byte("a"), []byte("aa"), []byte("b"), {0xFF}, {'a', 0xFF}, {0xFF, 0xFF}}
	sorts := [][]byte{nil, []byte("x"), {0xFF, 0xFF, 0xFF}, {0}}
	for _, h := range hashes {
		lo, hi := EncodeKey(h, nil), NextHashKey(h)
		for _, h2 := range hashes {
			for _, s := range sorts {
				k := EncodeKey(h2, s)
				in := bytes.Compare(k, lo) >= 0 && bytes.Compare(k, hi) < 0
				if in != bytes.Equal(h, h2) {
					t.Errorf("key (%x,%x) in range of %x = %v", h2, s, h, in)
				}
			}
		}
	}
}

func FuzzDecodeKey(f *testing.F) {
	f.Add([]byte{}, []byte{}, []byte{0, 0})
	f.Add([]byte("hk"), []byte("sk"), []byte{0, 5, 'a'})
	f.Add([]byte{0xFF}, []byte{0xFF, 0xFF}, []byte{0xFF, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, hash, sort, garbage []byte) {
		// Garbage never panics and decoded parts always re-encode to the input.
		if h, s, err := DecodeKey(garbage); err == nil {
			if !bytes.Equal(EncodeKey(h, s), garbage) {
				t.Fatalf("re-encoding %x gave %x", garbage, EncodeKey(h, s))
			}
		}
		_ = KeyHash(garbage)
		if ValidateHashKey(hash) != nil {
			return
		}
		enc := EncodeKey(hash, sort)
		h, s, err := DecodeKey(enc)
		if err != nil || !bytes.Equal(h, hash) || !bytes.Equal(s, sort) {
			t.Fatalf("round trip of (%x, %x) via %x = (%x, %x, %v)", hash, sort, enc, h, s, err)
		}
		if next := NextKey(hash, sort); next != nil && bytes.Compare(next, enc) <= 0 {
			t.Fatalf("NextKey %x not after %x", next, enc)
		}
		if next := NextHashKey(hash); bytes.Compare(enc, next) >= 0 {
			t.Fatalf("key %x not below NextHashKey %x", enc, next)
		}
	})
}
