package mlog

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// Segment files are reused: GC hands a collected segment's file to the
// next roll instead of deleting it, so that a new segment needs neither a
// fresh zero-filled file (32 MiB of disk writes that every log sync on the
// disk competes with; prealloc.go) nor block allocation on append. A reused file still holds its previous records after the new
// ones, so what ends a segment must not depend on the bytes that follow:
//
//   - Every record's checksum is sealed with the segment's sequence
//     number (CRC-32C of the payload XOR segmentMask(seq)). A record left
//     from the file's earlier use under another number fails its check.
//     For numbers below 2^32 the masks differ (CRC-32C tells apart any two
//     inputs differing only within 32 consecutive bits), so an intact
//     stale record can never pass; one cut at an arbitrary offset passes
//     with the odds of a torn record passing, 2^-32.
//   - A segment starts with a header record naming the format (version 2)
//     and its own number, and a rolled segment ends with an end record,
//     synced before the next segment takes appends. A segment in the
//     middle of the log thus ends at its end record (or at end of file,
//     for the one cut at open), and a bad record before that is
//     corruption, as it always was.
//
// Version 1 segments (no header, plain checksums, zero-filled tails) are
// read as before and deleted, never reused.

const (
	formatVersion = 2
	// controlApp is the app id of the log's own records; app ids of
	// tables are positive.
	controlApp   = -1
	kindStart    = -1 // partition index of a segment header
	kindEnd      = -2 // partition index of a segment's end record
	controlBytes = recordHeader + payloadFixed
)

// segmentMask is what seals the checksums of segment seq's records.
func segmentMask(seq int64) uint32 {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seq))
	return crc32.Checksum(b[:], castagnoli)
}

// sealRecords binds records encoded by appendRecord to segment seq.
func sealRecords(data []byte, seq int64) {
	mask := segmentMask(seq)
	for off := 0; off+recordHeader <= len(data); {
		n := int(binary.BigEndian.Uint32(data[off:]))
		sum := binary.BigEndian.Uint32(data[off+4:])
		binary.BigEndian.PutUint32(data[off+4:], sum^mask)
		off += recordHeader + n
	}
}

// controlRecord is segment seq's header (kindStart) or end record.
func controlRecord(seq int64, kind int32) []byte {
	ballot := int64(0)
	if kind == kindStart {
		ballot = formatVersion
	}
	rec := appendRecord(nil, Entry{Gpid: base.Gpid{Appid: controlApp, PartitionIndex: kind}, Ballot: ballot, Decree: seq})
	sealRecords(rec, seq)
	return rec
}

// isControl reports whether e is segment seq's own record of kind.
func isControl(e Entry, kind int32, seq int64) bool {
	return e.Gpid.Appid == controlApp && e.Gpid.PartitionIndex == kind && e.Decree == seq
}

// segmentFormat reads the start of a segment: for a version 2 segment
// numbered seq it returns the checksum mask and the header's length; for
// anything else (a version 1 segment, an empty file, a reused file whose
// new header never reached the disk) mask 0 and offset 0.
func segmentFormat(head []byte, seq int64) (mask uint32, off int, v2 bool) {
	m := segmentMask(seq)
	e, n, err := decodeRecord(head, m)
	if err != nil || !isControl(e, kindStart, seq) || e.Ballot != formatVersion {
		return 0, 0, false
	}
	return m, n, true
}
