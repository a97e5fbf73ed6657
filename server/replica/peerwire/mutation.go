package peerwire

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/pegasus-go/pegasus/server/pacifica"
)

// A mutation's log record body (mlog.Entry.Data; the entry itself holds the
// ballot and decree):
//
//	byte     format (mutationFormat)
//	varint   LastCommitted
//	varint   TimestampUs
//	uvarint  number of updates
//	per update: uvarint length, bytes
//
// Every write passes through it once on each member, so it is plain
// varints with no thrift framing.

// mutationFormat tags the layout above, so that a log written by this
// version can be told apart from a later layout.
const mutationFormat = 1

var errShortMutation = errors.New("truncated record")

// EncodeMutation appends m's log record body to dst.
func EncodeMutation(dst []byte, m pacifica.Mutation) []byte {
	n := 1 + 3*binary.MaxVarintLen64
	for _, u := range m.Updates {
		n += binary.MaxVarintLen32 + len(u)
	}
	if cap(dst)-len(dst) < n {
		dst = append(make([]byte, 0, len(dst)+n), dst...)
	}
	dst = append(dst, mutationFormat)
	dst = binary.AppendVarint(dst, m.LastCommitted)
	dst = binary.AppendVarint(dst, m.TimestampUs)
	dst = binary.AppendUvarint(dst, uint64(len(m.Updates)))
	for _, u := range m.Updates {
		dst = binary.AppendUvarint(dst, uint64(len(u)))
		dst = append(dst, u...)
	}
	return dst
}

// DecodeMutation reads a record body written by EncodeMutation for the
// mutation at ballot and decree. The result does not share memory with
// data, which is only read during the call. Zero-length updates read as
// empty, non-nil slices; a mutation without updates has nil Updates.
func DecodeMutation(ballot, decree int64, data []byte) (pacifica.Mutation, error) {
	m := pacifica.Mutation{Ballot: ballot, Decree: decree}
	fail := func(err error) (pacifica.Mutation, error) {
		return pacifica.Mutation{}, fmt.Errorf("decode mutation %d: %w", decree, err)
	}
	if len(data) == 0 {
		return fail(errShortMutation)
	}
	if data[0] != mutationFormat {
		return fail(fmt.Errorf("record format %d, want %d", data[0], mutationFormat))
	}
	p := 1
	var err error
	if m.LastCommitted, p, err = varint(data, p); err != nil {
		return fail(err)
	}
	if m.TimestampUs, p, err = varint(data, p); err != nil {
		return fail(err)
	}
	count, p, err := uvarint(data, p)
	if err != nil {
		return fail(err)
	}
	// Each update takes at least its length byte.
	if count > uint64(len(data)-p) {
		return fail(fmt.Errorf("%d updates in %d bytes", count, len(data)-p))
	}
	// Check every length first, so that the updates' bytes take one
	// allocation of the exact size.
	q, total := p, 0
	for range count {
		var l uint64
		if l, q, err = uvarint(data, q); err != nil {
			return fail(err)
		}
		if l > uint64(len(data)-q) {
			return fail(errShortMutation)
		}
		q += int(l)
		total += int(l)
	}
	if q != len(data) {
		return fail(fmt.Errorf("%d trailing bytes", len(data)-q))
	}
	if count == 0 {
		return m, nil
	}
	buf := make([]byte, total)
	m.Updates = make([][]byte, count)
	off := 0
	for i := range m.Updates {
		l, next, _ := uvarint(data, p)
		n := copy(buf[off:], data[next:next+int(l)])
		m.Updates[i] = buf[off : off+n : off+n]
		off, p = off+n, next+n
	}
	return m, nil
}

func uvarint(b []byte, p int) (uint64, int, error) {
	v, n := binary.Uvarint(b[p:])
	if n <= 0 {
		if n == 0 {
			return 0, p, errShortMutation
		}
		return 0, p, errors.New("varint overflows 64 bits")
	}
	return v, p + n, nil
}

func varint(b []byte, p int) (int64, int, error) {
	v, n := binary.Varint(b[p:])
	if n <= 0 {
		if n == 0 {
			return 0, p, errShortMutation
		}
		return 0, p, errors.New("varint overflows 64 bits")
	}
	return v, p + n, nil
}
