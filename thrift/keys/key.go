package keys

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MaxHashKeyLen is the longest hash key the server accepts. The u16 length
// prefix could describe 65535, but upstream servers reject it, so we do too.
const MaxHashKeyLen = 65534

// prefixLen is the size of the hash-key length prefix.
const prefixLen = 2

// ErrHashKeyTooLong reports a hash key of 65535 bytes or more.
var ErrHashKeyTooLong = errors.New("hash key too long")

// ErrInvalidKey reports an encoded key that cannot be decoded.
var ErrInvalidKey = errors.New("invalid encoded key")

// ValidateHashKey reports whether hashKey can be part of a stored key
// (shorter than 65535 bytes).
func ValidateHashKey(hashKey []byte) error {
	if len(hashKey) > MaxHashKeyLen {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrHashKeyTooLong, len(hashKey), MaxHashKeyLen)
	}
	return nil
}

// EncodeKey returns the encoded full key of (hashKey, sortKey). The hash key
// must have passed ValidateHashKey; a hash key whose length does not fit the
// u16 prefix yields nil.
func EncodeKey(hashKey, sortKey []byte) []byte {
	if len(hashKey) > 0xFFFF {
		return nil
	}
	return AppendKey(make([]byte, 0, prefixLen+len(hashKey)+len(sortKey)), hashKey, sortKey)
}

// AppendKey appends the encoded full key of (hashKey, sortKey) to dst and
// returns the extended slice. A hash key whose length does not fit the u16
// prefix leaves dst unchanged.
func AppendKey(dst, hashKey, sortKey []byte) []byte {
	if len(hashKey) > 0xFFFF {
		return dst
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(hashKey)))
	dst = append(dst, hashKey...)
	return append(dst, sortKey...)
}

// DecodeKey splits an encoded full key into its hash key and sort key. The
// results alias encoded.
func DecodeKey(encoded []byte) (hashKey, sortKey []byte, err error) {
	if len(encoded) < prefixLen {
		return nil, nil, fmt.Errorf("%w: %d bytes, need at least %d", ErrInvalidKey, len(encoded), prefixLen)
	}
	n := int(binary.BigEndian.Uint16(encoded))
	if prefixLen+n > len(encoded) {
		return nil, nil, fmt.Errorf("%w: hash key length %d exceeds the %d bytes left", ErrInvalidKey, n, len(encoded)-prefixLen)
	}
	return encoded[prefixLen : prefixLen+n], encoded[prefixLen+n:], nil
}

// NextHashKey returns the exclusive upper bound of hashKey's range: the
// smallest key greater than every encoded key with that hash key. For an
// empty hash key it is 00 01. The hash key must have passed ValidateHashKey.
func NextHashKey(hashKey []byte) []byte {
	return successor(EncodeKey(hashKey, nil))
}

// NextKey returns the smallest key greater than every key that starts with
// encode(hashKey, sortKey) — the exclusive end of the (hashKey, sortKey
// prefix) range. It is nil only when no such key exists (every byte 0xFF).
func NextKey(hashKey, sortKey []byte) []byte {
	return successor(EncodeKey(hashKey, sortKey))
}

// successor increments the last byte that is not 0xFF and drops everything
// after it, in place. All-0xFF input has no successor and yields nil.
func successor(k []byte) []byte {
	for i := len(k) - 1; i >= 0; i-- {
		if k[i] != 0xFF {
			k[i]++
			return k[:i+1]
		}
	}
	return nil
}
