package peerwire

import (
	"bytes"
	"math"
	"reflect"
	"testing"

	"github.com/pegasus-go/pegasus/server/pacifica"
)

func TestMutationRoundTrip(t *testing.T) {
	cases := []pacifica.Mutation{
		{Ballot: 1, Decree: 1}, // an empty write
		{Ballot: 2, Decree: 9, LastCommitted: 8, TimestampUs: 1},     // empty, with a commit point
		{Ballot: 3, Decree: 4, Updates: [][]byte{{}}},                // one zero-length update
		{Ballot: 3, Decree: 4, Updates: [][]byte{{}, {1, 2, 3}, {}}}, // zero-length among others
		{Ballot: 5, Decree: 6, LastCommitted: -1, TimestampUs: math.MinInt64, Updates: [][]byte{{0}}},
		{Ballot: math.MaxInt64, Decree: math.MaxInt64, LastCommitted: math.MaxInt64, TimestampUs: math.MaxInt64},
	}
	for seed := range uint64(500) {
		cases = append(cases, newGen(seed).mutation(70))
	}
	prefix := []byte("log header")
	for i, m := range cases {
		data := EncodeMutation(append([]byte(nil), prefix...), m)
		if !bytes.HasPrefix(data, prefix) {
			t.Fatalf("case %d: EncodeMutation lost dst's bytes", i)
		}
		body := data[len(prefix):]
		got, err := DecodeMutation(m.Ballot, m.Decree, body)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("case %d: round trip\n got %#v\nwant %#v", i, got, m)
		}
		if len(m.Updates) == 0 && got.Updates != nil {
			t.Fatalf("case %d: an empty write decoded with updates %#v", i, got.Updates)
		}
		for j, u := range got.Updates {
			if u == nil {
				t.Fatalf("case %d: update %d decoded as nil", i, j)
			}
			if cap(u) != len(u) {
				t.Fatalf("case %d: update %d has spare capacity %d: appending to it would overwrite the next", i, j, cap(u)-len(u))
			}
		}
		// The result owns its bytes: data is only valid during the call.
		for k := range body {
			body[k] = 0xee
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("case %d: decoded mutation aliases the record", i)
		}
	}
}

func TestMutationFormat(t *testing.T) {
	m := pacifica.Mutation{LastCommitted: 5, TimestampUs: 1, Updates: [][]byte{[]byte("ab"), {}}}
	// format, varint 5 (zigzag 10), varint 1 (2), 2 updates, "ab", "".
	want := []byte{1, 10, 2, 2, 2, 'a', 'b', 0}
	if got := EncodeMutation(nil, m); !bytes.Equal(got, want) {
		t.Errorf("EncodeMutation = % x, want % x", got, want)
	}
}

func TestDecodeMutationRejects(t *testing.T) {
	m := newGen(4).mutation(8)
	m.Updates = append(m.Updates, []byte("last"))
	good := EncodeMutation(nil, m)
	for n := range len(good) {
		if _, err := DecodeMutation(1, 2, good[:n]); err == nil {
			t.Fatalf("%d of %d bytes decoded", n, len(good))
		}
	}
	for name, data := range map[string][]byte{
		"trailing byte":     append(append([]byte(nil), good...), 0),
		"unknown format":    append([]byte{2}, good[1:]...),
		"varint overflow":   {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0},
		"count beyond data": {1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"length beyond end": {1, 0, 0, 1, 5, 'a'},
		"huge length":       {1, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	} {
		got, err := DecodeMutation(1, 2, data)
		if err == nil {
			t.Errorf("%s: decoded %+v", name, got)
		} else if !reflect.DeepEqual(got, pacifica.Mutation{}) {
			t.Errorf("%s: error %v with a partial result %+v", name, err, got)
		}
	}
}

func TestDecodeMutationAllocations(t *testing.T) {
	m := prepare(64, 1024).Msg.Mutation
	data := EncodeMutation(nil, m)
	if n := testing.AllocsPerRun(100, func() { _, _ = DecodeMutation(m.Ballot, m.Decree, data) }); n > 2 {
		t.Errorf("DecodeMutation allocates %v times, want at most 2 (the bytes and the slice of updates)", n)
	}
	buf := make([]byte, 0, len(data))
	if n := testing.AllocsPerRun(100, func() { buf = EncodeMutation(buf[:0], m) }); n != 0 {
		t.Errorf("EncodeMutation into a large enough buffer allocates %v times", n)
	}
}

// TestDecodeMutationRedundantVarint: a varint written with redundant
// continuation bytes still reads as its value (encoding/binary accepts it).
func TestDecodeMutationRedundantVarint(t *testing.T) {
	m, err := DecodeMutation(1, 2, []byte{1, 0x84, 0x00, 0, 0})
	if err != nil || m.LastCommitted != 2 || m.Updates != nil {
		t.Errorf("got %+v, %v", m, err)
	}
}
