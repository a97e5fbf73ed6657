package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Data versions of the value schema (protocol.md §5.4). A partition records
// its version in the meta key "pegasus_data_version"; new partitions use 1.
const (
	DataVersion0 = 0 // expire_ts u32 · user data
	DataVersion1 = 1 // expire_ts u32 · timetag u64 · user data
	DataVersion2 = 2 // 0x82 · expire_ts u32 · timetag u64 · user data
)

// metaDataVersion is the meta key holding the partition's data version.
const metaDataVersion = "pegasus_data_version"

// errShortValue reports a stored value shorter than its version's header.
var errShortValue = errors.New("stored value shorter than its header")

// valueHeaderLen is the size of the header that precedes the user data.
func valueHeaderLen(version uint32) int {
	switch version {
	case DataVersion0:
		return 4
	case DataVersion1:
		return 12
	default:
		return 13
	}
}

// storedValue is a decoded RocksDB value; data aliases the raw bytes.
type storedValue struct {
	expireTs uint32
	timetag  uint64
	data     []byte
}

// decodeValue splits a raw value of the given data version into its header
// fields and user data (which aliases raw).
func decodeValue(version uint32, raw []byte) (storedValue, error) {
	if len(raw) < valueHeaderLen(version) {
		return storedValue{}, fmt.Errorf("decode value of version %d: %w (%d bytes)", version, errShortValue, len(raw))
	}
	switch version {
	case DataVersion0:
		return storedValue{expireTs: binary.BigEndian.Uint32(raw), data: raw[4:]}, nil
	case DataVersion1:
		return storedValue{
			expireTs: binary.BigEndian.Uint32(raw),
			timetag:  binary.BigEndian.Uint64(raw[4:]),
			data:     raw[12:],
		}, nil
	default:
		return storedValue{
			expireTs: binary.BigEndian.Uint32(raw[1:]),
			timetag:  binary.BigEndian.Uint64(raw[5:]),
			data:     raw[13:],
		}, nil
	}
}

// expireTsOf returns the expire_ts of a raw value without decoding the rest;
// ok is false when the value is too short.
func expireTsOf(version uint32, raw []byte) (ts uint32, ok bool) {
	off := 0
	if version >= DataVersion2 {
		off = 1
	}
	if len(raw) < valueHeaderLen(version) {
		return 0, false
	}
	return binary.BigEndian.Uint32(raw[off:]), true
}

// appendValue appends the stored form of user data to dst in the given data
// version.
func appendValue(dst []byte, version uint32, expireTs uint32, timetag uint64, data []byte) []byte {
	switch version {
	case DataVersion0:
		dst = binary.BigEndian.AppendUint32(dst, expireTs)
	case DataVersion1:
		dst = binary.BigEndian.AppendUint32(dst, expireTs)
		dst = binary.BigEndian.AppendUint64(dst, timetag)
	default:
		dst = append(dst, 0x80|byte(version))
		dst = binary.BigEndian.AppendUint32(dst, expireTs)
		dst = binary.BigEndian.AppendUint64(dst, timetag)
	}
	return append(dst, data...)
}

// Timetag builds the conflict-resolution tag stored with v1/v2 values: the
// write's timestamp in microseconds (56 bits), the duplication cluster id
// (7 bits) and the delete flag.
func Timetag(timestampUs int64, clusterID uint8, deleted bool) uint64 {
	t := uint64(timestampUs)<<8 | uint64(clusterID&0x7F)<<1
	if deleted {
		t |= 1
	}
	return t
}
