package rocksdb

import (
	"reflect"
	"strings"
	"testing"
)

// iterFixture holds keys a, b, c, d, e with values A..E.
func iterFixture(t *testing.T) *DB {
	t.Helper()
	db := openTest(t, Options{})
	writeKVs(t, db, 1, kv{"a", "A"}, kv{"b", "B"}, kv{"c", "C"}, kv{"d", "D"}, kv{"e", "E"})
	return db
}

// walk positions it with seek and collects keys moving forward (or
// backward), checking each value against the fixture's convention.
func walk(t *testing.T, it *Iterator, seek func(*Iterator), backward bool) []string {
	t.Helper()
	var keys []string
	for seek(it); it.Valid(); {
		k, v := string(it.Key()), string(it.Value())
		if v != strings.ToUpper(k) {
			t.Errorf("value at %q = %q", k, v)
		}
		keys = append(keys, k)
		if backward {
			it.Prev()
		} else {
			it.Next()
		}
	}
	if err := it.Err(); err != nil {
		t.Errorf("Err: %v", err)
	}
	return keys
}

func TestIteratorBounds(t *testing.T) {
	db := iterFixture(t)
	first := func(it *Iterator) { it.SeekToFirst() }
	last := func(it *Iterator) { it.SeekToLast() }
	seek := func(k string) func(*Iterator) { return func(it *Iterator) { it.Seek([]byte(k)) } }
	seekPrev := func(k string) func(*Iterator) { return func(it *Iterator) { it.SeekForPrev([]byte(k)) } }
	b := func(s string) []byte { return []byte(s) }

	for _, tc := range []struct {
		name     string
		opts     IterOptions
		seek     func(*Iterator)
		backward bool
		want     []string
	}{
		{"unbounded forward", IterOptions{}, first, false, []string{"a", "b", "c", "d", "e"}},
		{"unbounded backward", IterOptions{}, last, true, []string{"e", "d", "c", "b", "a"}},
		{"bounded forward", IterOptions{Lower: b("b"), Upper: b("d")}, first, false, []string{"b", "c"}},
		{"bounded backward", IterOptions{Lower: b("b"), Upper: b("d")}, last, true, []string{"c", "b"}},
		{"upper is exclusive", IterOptions{Upper: b("c")}, first, false, []string{"a", "b"}},
		{"lower is inclusive", IterOptions{Lower: b("c")}, last, true, []string{"e", "d", "c"}},
		{"bounds between keys", IterOptions{Lower: b("bb"), Upper: b("dd")}, first, false, []string{"c", "d"}},
		{"bounds between keys backward", IterOptions{Lower: b("bb"), Upper: b("dd")}, last, true, []string{"d", "c"}},
		{"seek below lower clamps", IterOptions{Lower: b("b"), Upper: b("d")}, seek("a"), false, []string{"b", "c"}},
		{"seek between keys", IterOptions{}, seek("bb"), false, []string{"c", "d", "e"}},
		{"seek at upper", IterOptions{Upper: b("d")}, seek("d"), false, nil},
		{"seek past all", IterOptions{}, seek("z"), false, nil},
		{"seek for prev exact", IterOptions{}, seekPrev("c"), true, []string{"c", "b", "a"}},
		{"seek for prev between keys", IterOptions{}, seekPrev("cc"), true, []string{"c", "b", "a"}},
		{"seek for prev at exclusive upper", IterOptions{Upper: b("d")}, seekPrev("d"), true, []string{"c", "b", "a"}},
		{"seek for prev above upper clamps", IterOptions{Lower: b("b"), Upper: b("d")}, seekPrev("z"), true, []string{"c", "b"}},
		{"seek for prev below lower", IterOptions{Lower: b("b")}, seekPrev("a"), true, nil},
		{"seek for prev before all", IterOptions{}, seekPrev("0"), true, nil},
		{"empty lower is unbounded", IterOptions{Lower: []byte{}}, first, false, []string{"a", "b", "c", "d", "e"}},
		{"empty upper is an empty range", IterOptions{Upper: []byte{}}, first, false, nil},
		{"lower equals upper", IterOptions{Lower: b("c"), Upper: b("c")}, first, false, nil},
		{"lower above upper", IterOptions{Lower: b("d"), Upper: b("b")}, last, true, nil},
		{"range without keys", IterOptions{Lower: b("b1"), Upper: b("b9")}, first, false, nil},
		{"range without keys backward", IterOptions{Lower: b("b1"), Upper: b("b9")}, last, true, nil},
		{"range above all keys", IterOptions{Lower: b("x")}, last, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := db.NewIterator(tc.opts)
			defer it.Close()
			got := walk(t, it, tc.seek, tc.backward)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("keys = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestIteratorChangesDirection(t *testing.T) {
	db := iterFixture(t)
	it := db.NewIterator(IterOptions{Lower: []byte("b"), Upper: []byte("e")})
	defer it.Close()
	var got []string
	at := func() { got = append(got, string(it.Key())) }
	it.Seek([]byte("c"))
	at()
	it.Prev()
	at()
	it.Next()
	at()
	it.Next()
	at()
	it.Next() // past upper bound
	if it.Valid() {
		t.Fatalf("valid past the upper bound at %q", it.Key())
	}
	if want := []string{"c", "b", "c", "d"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("keys = %q, want %q", got, want)
	}
}

func TestInvalidIteratorIsHarmless(t *testing.T) {
	db := iterFixture(t)
	it := db.NewIterator(IterOptions{})
	// Unpositioned, then exhausted: moves are no-ops, accessors return nil.
	for _, step := range []func(){it.Next, it.Prev, func() { it.Seek([]byte("z")) }, it.Next, it.Prev} {
		step()
		if it.Valid() || it.Key() != nil || it.Value() != nil {
			t.Fatalf("invalid iterator reports an entry %q", it.Key())
		}
	}
	if err := it.Err(); err != nil {
		t.Fatalf("Err: %v", err)
	}
	it.Close()
	it.Close()
	it.SeekToFirst()
	if it.Valid() || it.Err() != nil {
		t.Fatalf("closed iterator: valid %v, err %v", it.Valid(), it.Err())
	}
}

func TestIteratorSeesCreationTimeView(t *testing.T) {
	db := iterFixture(t)
	it := db.NewIterator(IterOptions{})
	defer it.Close()
	b := db.NewBatch()
	defer b.Destroy()
	b.Delete([]byte("a"))
	b.Put([]byte("bb"), []byte("BB"))
	if err := db.Write(b, 2); err != nil {
		t.Fatal(err)
	}
	if got := walk(t, it, func(it *Iterator) { it.SeekToFirst() }, false); !reflect.DeepEqual(got, []string{"a", "b", "c", "d", "e"}) {
		t.Fatalf("iterator created before the write sees %q", got)
	}
}

func TestIteratorOwnsItsBounds(t *testing.T) {
	db := iterFixture(t)
	lower, upper := []byte("b"), []byte("d")
	it := db.NewIterator(IterOptions{Lower: lower, Upper: upper})
	defer it.Close()
	lower[0], upper[0] = 'a', 'z' // the caller reuses its buffers
	got := walk(t, it, func(it *Iterator) { it.SeekToFirst() }, false)
	if !reflect.DeepEqual(got, []string{"b", "c"}) {
		t.Fatalf("keys = %q, want [b c]", got)
	}
}

func TestIteratorKeyBufferIsReused(t *testing.T) {
	db := openTest(t, Options{})
	writeKVs(t, db, 1, kv{"long-key-1", "v1"}, kv{"s", "v2"})
	it := db.NewIterator(IterOptions{FillCache: true})
	defer it.Close()
	it.SeekToFirst()
	first := it.Key()
	kept := append([]byte(nil), first...)
	it.Next()
	if string(it.Key()) != "s" || string(it.Value()) != "v2" {
		t.Fatalf("second entry = %q=%q", it.Key(), it.Value())
	}
	if string(kept) != "long-key-1" {
		t.Fatalf("copied key changed to %q", kept)
	}
}
