package replica

import (
	"testing"

	"github.com/pegasus-go/pegasus/server/config"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// validDuplicateArgs is a well-formed duplicate request of every write
// kind it may carry.
func validDuplicateArgs(t testing.TB) []byte {
	t.Helper()
	key := base.NewBlob(keys.EncodeKey([]byte("h"), []byte("s")))
	args := &rrdb.RrdbDuplicateArgs{Request: &rrdb.DuplicateRequest{Entries: []*rrdb.DuplicateEntry{
		dupEntry(t, 1_700_000_000_000_000, 2, catalog.RPC_RRDB_RRDB_PUT, putArgs("h", "s", "v")),
		dupEntry(t, 1_700_000_000_000_001, 3, catalog.RPC_RRDB_RRDB_MULTI_PUT, multiPutArgs("h", "a", "1", "b", "2")),
		dupEntry(t, 1_700_000_000_000_002, 2, catalog.RPC_RRDB_RRDB_REMOVE, &rrdb.RrdbRemoveArgs{Key: key}),
		dupEntry(t, 1_700_000_000_000_003, 2, catalog.RPC_RRDB_RRDB_MULTI_REMOVE,
			&rrdb.RrdbMultiRemoveArgs{Request: &rrdb.MultiRemoveRequest{HashKey: base.NewBlob([]byte("h")), SortKeys: []*base.Blob{base.NewBlob([]byte("a"))}}}),
	}}}
	b, err := wire.EncodeStruct(nil, args)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkDecoded asserts what the decoder promises of whatever it accepts.
func checkDecoded(t *testing.T, d *storage.Duplicate) {
	t.Helper()
	if len(d.Entries) == 0 {
		t.Fatal("accepted a batch without entries")
	}
	for i, e := range d.Entries {
		if !storage.Duplicable(e.Write.Op) || e.Write.Request == nil {
			t.Fatalf("entry %d: accepted %v with %T", i, e.Write.Op, e.Write.Request)
		}
		if e.ClusterID < 1 || e.ClusterID > config.MaxClusterID || e.TimestampUs < 0 || e.TimestampUs > maxTimestampUs {
			t.Fatalf("entry %d: accepted cluster %d timestamp %d", i, e.ClusterID, e.TimestampUs)
		}
	}
	// What decodes must also pass the cluster check or be refused by it,
	// never panic.
	checkClusters(d, 1, dupGroup)
}

func TestDecodeDuplicate(t *testing.T) {
	b := validDuplicateArgs(t)
	d, err := decodeDuplicate(b)
	if err != nil {
		t.Fatal(err)
	}
	checkDecoded(t, d)
	ops := []storage.Op{storage.OpPut, storage.OpMultiPut, storage.OpRemove, storage.OpMultiRemove}
	for i, e := range d.Entries {
		if e.Write.Op != ops[i] || !e.VerifyTimetag || e.TimestampUs != 1_700_000_000_000_000+int64(i) {
			t.Errorf("entry %d: %+v", i, e)
		}
	}
	// Through the payload, as the log stores it.
	w, err := decodeWrite(payloadOf(storage.OpDuplicate, b))
	if err != nil || w.Op != storage.OpDuplicate {
		t.Fatalf("decodeWrite: %v %v", w.Op, err)
	}
	// Every truncation is refused cleanly.
	for n := 0; n < len(b); n++ {
		if _, err := decodeDuplicate(b[:n]); err == nil {
			t.Fatalf("accepted the first %d of %d bytes", n, len(b))
		}
	}
}

// Hostile field values: out-of-range ids and timestamps, missing fields,
// a list that claims more entries than the bytes could hold.
func TestDecodeDuplicateHostile(t *testing.T) {
	neg, big, zero, huge := int64(-1), int64(1)<<56, int64(0), int64(128)
	mk := func(mut func(e *rrdb.DuplicateEntry)) []byte {
		e := dupEntry(t, 1, 2, catalog.RPC_RRDB_RRDB_PUT, putArgs("h", "s", "v"))
		mut(e)
		b, err := wire.EncodeStruct(nil, &rrdb.RrdbDuplicateArgs{Request: &rrdb.DuplicateRequest{Entries: []*rrdb.DuplicateEntry{e}}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := map[string][]byte{
		"negative timestamp":     mk(func(e *rrdb.DuplicateEntry) { e.Timestamp = &neg }),
		"timestamp over 56 bits": mk(func(e *rrdb.DuplicateEntry) { e.Timestamp = &big }),
		"no timestamp":           mk(func(e *rrdb.DuplicateEntry) { e.Timestamp = nil }),
		"cluster id 0":           mk(func(e *rrdb.DuplicateEntry) { e.ClusterID = &zero }),
		"cluster id 128":         mk(func(e *rrdb.DuplicateEntry) { e.ClusterID = &huge }),
		"no task code":           mk(func(e *rrdb.DuplicateEntry) { e.TaskCode = nil }),
		"no raw message":         mk(func(e *rrdb.DuplicateEntry) { e.RawMessage = nil }),
		"unknown task code":      mk(func(e *rrdb.DuplicateEntry) { e.TaskCode = &base.TaskCode{Code: "RPC_RRDB_RRDB_GET"} }),
		"duplicate inside duplicate": mk(func(e *rrdb.DuplicateEntry) {
			e.TaskCode = &base.TaskCode{Code: catalog.RPC_RRDB_RRDB_DUPLICATE}
		}),
		"garbage raw message": mk(func(e *rrdb.DuplicateEntry) { e.RawMessage = base.NewBlob([]byte{0x0c, 0x00, 0x01, 0xff}) }),
		// field 1 struct { field 1 list<struct> of 2^31-1 elements }
		"huge list": {0x0c, 0x00, 0x01, 0x0f, 0x00, 0x01, 0x0c, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x00},
		"empty":     {},
		"stop only": {0x00},
	}
	for name, b := range cases {
		if d, err := decodeDuplicate(b); err == nil {
			t.Errorf("%s: accepted %+v", name, d)
		}
	}
}

func FuzzDecodeDuplicate(f *testing.F) {
	f.Add(validDuplicateArgs(f))
	f.Add([]byte{0x0c, 0x00, 0x01, 0x0f, 0x00, 0x01, 0x0c, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeDuplicate(b)
		if err != nil {
			return
		}
		checkDecoded(t, d)
	})
}
