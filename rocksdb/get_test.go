package rocksdb

import (
	"bytes"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	db := openTest(t, Options{BloomBitsPerKey: 10})
	big := strings.Repeat("x", 1<<20)
	writeKVs(t, db, 1,
		kv{"present", "value"},
		kv{"empty", ""},
		kv{"big", big},
		kv{"bin\x00key\xff", "bin\x00value"},
	)
	for _, flushed := range []bool{false, true} {
		if flushed {
			if err := db.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			key       string
			wantValue string
			wantFound bool
		}{
			{"present", "value", true},
			{"empty", "", true},
			{"big", big, true},
			{"bin\x00key\xff", "bin\x00value", true},
			{"absent", "", false},
			{"presen", "", false}, // a prefix is not the key
			{"", "", false},
		} {
			v, found, err := db.Get([]byte(tc.key))
			if err != nil {
				t.Fatalf("Get(%q): %v", tc.key, err)
			}
			if found != tc.wantFound || string(v) != tc.wantValue {
				t.Errorf("flushed=%v Get(%q) = %d bytes, %v; want %d bytes, %v",
					flushed, tc.key, len(v), found, len(tc.wantValue), tc.wantFound)
			}
			if found && v == nil {
				t.Errorf("Get(%q) found with a nil value; want a non-nil empty slice", tc.key)
			}
		}
	}
}

func TestGetReturnsACopy(t *testing.T) {
	db := openTest(t, Options{})
	writeKVs(t, db, 1, kv{"k", "value"})
	v, _, err := db.Get([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	copy(v, "XXXXX")
	again, _, _ := db.Get([]byte("k"))
	if !bytes.Equal(again, []byte("value")) {
		t.Fatalf("stored value changed to %q through a returned slice", again)
	}
}
