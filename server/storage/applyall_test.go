package storage

import (
	"reflect"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

// TestApplyAllEqualsOneByOne: mutations applied together give the same
// responses, records and last decree as applied one at a time, a later
// mutation sees an earlier one's write (incr after put), and a decree
// that does not increase is refused with nothing applied.
func TestApplyAllEqualsOneByOne(t *testing.T) {
	muts := func(f *fixture) []*Mutation {
		ts := f.clock.Now().UnixMicro()
		return []*Mutation{
			{Decree: 1, TimestampUs: ts, Writes: []Write{putW("h", "a", "1", 0), putW("h", "n", "10", 0)}},
			{Decree: 2, TimestampUs: ts + 1, Writes: []Write{incrW("h", "n", 5, 0)}},
			{Decree: 3, TimestampUs: ts + 2, Writes: []Write{incrW("h", "n", 1, 0), putW("h", "b", "2", 0)}},
		}
	}
	one, all := newFixture(t), newFixture(t)
	var want [][]any
	for _, m := range muts(one) {
		r, err := one.p.Apply(m)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	got, err := all.p.ApplyAll(muts(all))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("responses differ:\n got %+v\nwant %+v", got, want)
	}
	if inc := got[2][0].(*rrdb.IncrResponse); inc.NewValue_ != 16 || inc.Decree != 3 {
		t.Fatalf("incr in the third mutation: %+v (want 16 at decree 3)", inc)
	}
	for _, sk := range []string{"a", "n", "b"} {
		if a, b := all.get("h", sk), one.get("h", sk); !reflect.DeepEqual(a, b) {
			t.Fatalf("record %s: %+v vs %+v", sk, a, b)
		}
	}
	if all.p.LastAppliedDecree() != 3 {
		t.Fatalf("last applied %d", all.p.LastAppliedDecree())
	}
	bad := []*Mutation{{Decree: 5, Writes: []Write{putW("h", "x", "1", 0)}}, {Decree: 5, Writes: []Write{putW("h", "y", "1", 0)}}}
	if _, err := all.p.ApplyAll(bad); err == nil {
		t.Fatal("repeated decree accepted")
	}
	if r := all.get("h", "x"); r.Error == 0 || all.p.LastAppliedDecree() != 3 {
		t.Fatalf("a refused batch left x=%+v, last applied %d", r, all.p.LastAppliedDecree())
	}
}
