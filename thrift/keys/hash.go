package keys

import (
	"encoding/binary"
	"hash/crc64"
)

// Poly is the reflected CRC-64 polynomial Pegasus uses for partition hashes.
const Poly = 0x9a6c9329ac4bc9b5

var table = crc64.MakeTable(Poly)

// PartitionHash is the routing hash of a raw hash key.
//
// It is crc64.Checksum with Pegasus's table, computed by a plain table
// loop: hash/crc64's update has a large stack frame (its slicing-by-8
// path), and on a server's fresh request goroutine that frame alone forced
// a stack growth (a copy of the whole stack) on every write. Hash keys are
// short, so slicing-by-8 would not pay anyway.
func PartitionHash(hashKey []byte) uint64 {
	crc := ^uint64(0)
	for _, b := range hashKey {
		crc = table[byte(crc)^b] ^ (crc >> 8)
	}
	return ^crc
}

// KeyHash is the routing hash of an encoded full key: the CRC-64 of its hash
// key, or of its sort key when the hash key is empty. A key too short to
// carry a length prefix hashes as empty (0); a length prefix that overruns
// the key hashes whatever bytes follow the prefix.
func KeyHash(encodedKey []byte) uint64 {
	if len(encodedKey) < prefixLen {
		return 0
	}
	n := int(binary.BigEndian.Uint16(encodedKey))
	rest := encodedKey[prefixLen:]
	if n == 0 {
		return PartitionHash(rest)
	}
	if n > len(rest) {
		n = len(rest)
	}
	return PartitionHash(rest[:n])
}

// PartitionIndex maps a routing hash to a partition of a table with
// partitionCount partitions (hash mod count). It returns -1 for a
// non-positive count.
func PartitionIndex(hash uint64, partitionCount int32) int32 {
	if partitionCount <= 0 {
		return -1
	}
	return int32(hash % uint64(partitionCount))
}

// BelongsTo reports whether a routing hash maps to partitionIndex under the
// partition mask partitionVersion (partition count − 1), the check the
// server applies while a table is being split. A negative version (split in
// progress) matches nothing.
func BelongsTo(hash uint64, partitionIndex, partitionVersion int32) bool {
	if partitionVersion < 0 || partitionIndex > partitionVersion {
		return false
	}
	return int32(hash&uint64(partitionVersion)) == partitionIndex
}
