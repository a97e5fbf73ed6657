package mlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/pegasus-go/pegasus/thrift/base"
)

// Entry is one logged mutation of one replica. Data is opaque to the log.
type Entry struct {
	Gpid   base.Gpid
	Ballot int64
	Decree int64
	Data   []byte
}

const (
	recordHeader = 8  // u32 length + u32 crc
	payloadFixed = 24 // i32 app id + i32 partition index + i64 ballot + i64 decree
	// MaxEntrySize bounds one entry's data; larger appends are refused.
	MaxEntrySize = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errTorn marks a record that is incomplete or fails its checksum: the end
// of the valid log.
var errTorn = errors.New("mlog: torn or corrupt record")

// appendRecord encodes e with the checksum of its payload alone; sealRecords
// then binds the records to the segment they are written to.
func appendRecord(dst []byte, e Entry) []byte {
	n := payloadFixed + len(e.Data)
	start := len(dst)
	dst = append(dst, make([]byte, recordHeader)...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(e.Gpid.Appid))
	dst = binary.BigEndian.AppendUint32(dst, uint32(e.Gpid.PartitionIndex))
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Ballot))
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Decree))
	dst = append(dst, e.Data...)
	binary.BigEndian.PutUint32(dst[start:], uint32(n))
	binary.BigEndian.PutUint32(dst[start+4:], crc32.Checksum(dst[start+recordHeader:], castagnoli))
	return dst
}

// decodeRecord reads one record from b whose checksum was sealed with
// mask (0 for a version 1 segment), returning the entry (its Data aliases
// b) and the bytes consumed.
func decodeRecord(b []byte, mask uint32) (Entry, int, error) {
	if len(b) < recordHeader {
		return Entry{}, 0, errTorn
	}
	n := int(binary.BigEndian.Uint32(b))
	sum := binary.BigEndian.Uint32(b[4:])
	if n < payloadFixed || n > payloadFixed+MaxEntrySize || len(b) < recordHeader+n {
		return Entry{}, 0, errTorn
	}
	payload := b[recordHeader : recordHeader+n]
	if crc32.Checksum(payload, castagnoli)^mask != sum {
		return Entry{}, 0, fmt.Errorf("%w: checksum mismatch", errTorn)
	}
	e := Entry{
		Gpid:   base.Gpid{Appid: int32(binary.BigEndian.Uint32(payload)), PartitionIndex: int32(binary.BigEndian.Uint32(payload[4:]))},
		Ballot: int64(binary.BigEndian.Uint64(payload[8:])),
		Decree: int64(binary.BigEndian.Uint64(payload[16:])),
		Data:   payload[payloadFixed:],
	}
	return e, recordHeader + n, nil
}
