package storage

import (
	"fmt"
	"testing"

	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

func casW(check string, ct rrdb.CasCheckType, operand string, setSort, setValue string, ret bool) Write {
	return Write{Op: OpCheckAndSet, Request: &rrdb.CheckAndSetRequest{
		HashKey: blob("h"), CheckSortKey: blob(check), CheckType: ct, CheckOperand: blob(operand),
		SetDiffSortKey: setSort != "", SetSortKey: blob(setSort), SetValue: blob(setValue), ReturnCheckValue: ret,
	}}
}

// Every check type, through a real check_and_set, on an absent, an empty and
// a non-empty value.
func TestCheckAndSetAllTypes(t *testing.T) {
	type tc struct {
		ct      rrdb.CasCheckType
		operand string
		current *string
		want    int32
	}
	tests := []tc{
		{rrdb.CasCheckType_CT_NO_CHECK, "", nil, 0},
		{rrdb.CasCheckType_CT_VALUE_NOT_EXIST, "", nil, 0},
		{rrdb.CasCheckType_CT_VALUE_NOT_EXIST, "", ptr(""), StatusTryAgain},
		{rrdb.CasCheckType_CT_VALUE_NOT_EXIST_OR_EMPTY, "", ptr(""), 0},
		{rrdb.CasCheckType_CT_VALUE_NOT_EXIST_OR_EMPTY, "", ptr("x"), StatusTryAgain},
		{rrdb.CasCheckType_CT_VALUE_EXIST, "", ptr(""), 0},
		{rrdb.CasCheckType_CT_VALUE_EXIST, "", nil, StatusTryAgain},
		{rrdb.CasCheckType_CT_VALUE_NOT_EMPTY, "", ptr("x"), 0},
		{rrdb.CasCheckType_CT_VALUE_NOT_EMPTY, "", ptr(""), StatusTryAgain},
		{rrdb.CasCheckType_CT_VALUE_MATCH_ANYWHERE, "ell", ptr("hello"), 0},
		{rrdb.CasCheckType_CT_VALUE_MATCH_ANYWHERE, "", nil, StatusTryAgain},
		{rrdb.CasCheckType_CT_VALUE_MATCH_PREFIX, "he", ptr("hello"), 0},
		{rrdb.CasCheckType_CT_VALUE_MATCH_PREFIX, "lo", ptr("hello"), StatusTryAgain},
		{rrdb.CasCheckType_CT_VALUE_MATCH_POSTFIX, "lo", ptr("hello"), 0},
		{rrdb.CasCheckType_CT_VALUE_MATCH_POSTFIX, "he", ptr("hello"), StatusTryAgain},
		{rrdb.CasCheckType_CT_VALUE_BYTES_LESS, "b", ptr("a"), 0},
		{rrdb.CasCheckType_CT_VALUE_BYTES_LESS, "a", ptr("a"), StatusTryAgain},
		{rrdb.CasCheckType_CT_VALUE_BYTES_LESS_OR_EQUAL, "a", ptr("a"), 0},
		{rrdb.CasCheckType_CT_VALUE_BYTES_EQUAL, "a", ptr("a"), 0},
		{rrdb.CasCheckType_CT_VALUE_BYTES_EQUAL, "a", nil, StatusTryAgain},
		{rrdb.CasCheckType_CT_VALUE_BYTES_GREATER_OR_EQUAL, "b", ptr("a"), StatusTryAgain},
		{rrdb.CasCheckType_CT_VALUE_BYTES_GREATER, "a", ptr("b"), 0},
		{rrdb.CasCheckType_CT_VALUE_INT_LESS, "10", ptr("9"), 0},
		{rrdb.CasCheckType_CT_VALUE_INT_LESS, "10", ptr("x"), StatusInvalidArgument},
		{rrdb.CasCheckType_CT_VALUE_INT_LESS, "x", ptr("9"), StatusInvalidArgument},
		{rrdb.CasCheckType_CT_VALUE_INT_LESS, "x", nil, StatusTryAgain},
		{rrdb.CasCheckType_CT_VALUE_INT_LESS_OR_EQUAL, "9", ptr("0x9"), 0},
		{rrdb.CasCheckType_CT_VALUE_INT_EQUAL, "8", ptr("010"), 0},
		{rrdb.CasCheckType_CT_VALUE_INT_EQUAL, "8", ptr(""), StatusInvalidArgument},
		{rrdb.CasCheckType_CT_VALUE_INT_GREATER_OR_EQUAL, "-1", ptr("-1"), 0},
		{rrdb.CasCheckType_CT_VALUE_INT_GREATER, "-1", ptr("-1"), StatusTryAgain},
		{rrdb.CasCheckType(18), "", ptr("v"), StatusInvalidArgument},
		{rrdb.CasCheckType(-1), "", ptr("v"), StatusInvalidArgument},
	}
	f := newFixture(t)
	for i, tt := range tests {
		t.Run(tt.ct.String()+"/"+tt.operand, func(t *testing.T) {
			c := fmt.Sprintf("c%d", i)
			if tt.current != nil {
				f.put("h", c, *tt.current, 0)
			}
			r := f.apply(casW(c, tt.ct, tt.operand, "", "new", true))[0].(*rrdb.CheckAndSetResponse)
			if r.Error != tt.want {
				t.Fatalf("error %d, want %d", r.Error, tt.want)
			}
			if r.Decree != f.decree {
				t.Fatalf("decree %d, want %d", r.Decree, f.decree)
			}
			validType := tt.ct >= 0 && tt.ct <= 17
			if r.CheckValueReturned != validType {
				t.Fatalf("check_value_returned %v", r.CheckValueReturned)
			}
			if validType && r.CheckValueExist != (tt.current != nil) {
				t.Fatalf("check_value_exist %v", r.CheckValueExist)
			}
			if r.CheckValueExist && string(r.CheckValue.Bytes()) != *tt.current {
				t.Fatalf("check_value %q", r.CheckValue.Bytes())
			}
			g := f.get("h", c)
			switch {
			case tt.want == 0:
				if string(g.Value.Bytes()) != "new" {
					t.Fatalf("not written: %+v", g)
				}
			case tt.current == nil:
				if g.Error != StatusNotFound {
					t.Fatal("failed check wrote")
				}
			default:
				if string(g.Value.Bytes()) != *tt.current {
					t.Fatal("failed check wrote")
				}
			}
		})
	}
}

func TestCheckAndSetDetails(t *testing.T) {
	f := newFixture(t)
	now := f.nowEpoch()
	// Diff sort key with a TTL; check value not requested.
	r := f.apply(casW("c", rrdb.CasCheckType_CT_VALUE_NOT_EXIST, "", "other", "v", false))[0].(*rrdb.CheckAndSetResponse)
	if r.Error != 0 || r.CheckValueReturned || r.CheckValueExist || len(r.CheckValue.Bytes()) != 0 {
		t.Fatalf("%+v", r)
	}
	if g := f.get("h", "other"); string(g.Value.Bytes()) != "v" {
		t.Fatal("diff sort key not written")
	}
	if g := f.get("h", "c"); g.Error != StatusNotFound {
		t.Fatal("check key written")
	}
	req := casW("c", rrdb.CasCheckType_CT_NO_CHECK, "", "", "w", false)
	req.Request.(*rrdb.CheckAndSetRequest).SetExpireTsSeconds = now + 30
	f.apply(req)
	if ttl := f.p.TTL(t.Context(), key("h", "c")); ttl.TTLSeconds != 30 {
		t.Fatalf("ttl %+v", ttl)
	}
	// Expired check value does not exist.
	f.clock.Advance(30e9)
	r = f.apply(casW("c", rrdb.CasCheckType_CT_VALUE_EXIST, "", "", "x", true))[0].(*rrdb.CheckAndSetResponse)
	if r.Error != StatusTryAgain || !r.CheckValueReturned || r.CheckValueExist {
		t.Fatalf("expired check value: %+v", r)
	}
}

func camW(check string, ct rrdb.CasCheckType, operand string, ret bool, muts ...*rrdb.Mutate) Write {
	return Write{Op: OpCheckAndMutate, Request: &rrdb.CheckAndMutateRequest{
		HashKey: blob("h"), CheckSortKey: blob(check), CheckType: ct, CheckOperand: blob(operand),
		MutateList: muts, ReturnCheckValue: ret,
	}}
}

func mPut(sort, value string, expireTs int32) *rrdb.Mutate {
	return &rrdb.Mutate{Operation: rrdb.MutateOperation_MO_PUT, SortKey: blob(sort), Value: blob(value), SetExpireTsSeconds: expireTs}
}

func mDel(sort string) *rrdb.Mutate {
	return &rrdb.Mutate{Operation: rrdb.MutateOperation_MO_DELETE, SortKey: blob(sort)}
}

func TestCheckAndMutate(t *testing.T) {
	f := newFixture(t)
	now := f.nowEpoch()
	f.put("h", "c", "5", 0)
	f.put("h", "d", "old", 0)
	r := f.apply(camW("c", rrdb.CasCheckType_CT_VALUE_INT_GREATER, "3", true,
		mPut("a", "1", 0), mPut("b", "2", now+40), mDel("d"), mPut("a", "again", 0)))[0].(*rrdb.CheckAndMutateResponse)
	if r.Error != 0 || !r.CheckValueExist || string(r.CheckValue.Bytes()) != "5" || r.Decree != 3 {
		t.Fatalf("%+v", r)
	}
	if g := f.get("h", "a"); string(g.Value.Bytes()) != "again" {
		t.Fatalf("mutations not applied in order: %q", g.Value.Bytes())
	}
	if ttl := f.p.TTL(t.Context(), key("h", "b")); ttl.TTLSeconds != 40 {
		t.Fatalf("mutate ttl %+v", ttl)
	}
	if g := f.get("h", "d"); g.Error != StatusNotFound {
		t.Fatal("delete not applied")
	}

	r = f.apply(camW("c", rrdb.CasCheckType_CT_VALUE_INT_LESS, "3", false, mPut("z", "1", 0)))[0].(*rrdb.CheckAndMutateResponse)
	if r.Error != StatusTryAgain || r.CheckValueReturned {
		t.Fatalf("failed check %+v", r)
	}
	if g := f.get("h", "z"); g.Error != StatusNotFound {
		t.Fatal("failed check wrote")
	}
	for name, w := range map[string]Write{
		"empty list":     camW("c", rrdb.CasCheckType_CT_NO_CHECK, "", true),
		"bad operation":  camW("c", rrdb.CasCheckType_CT_NO_CHECK, "", true, mPut("z", "1", 0), &rrdb.Mutate{Operation: 2, SortKey: blob("y")}),
		"bad check type": camW("c", rrdb.CasCheckType(99), "", true, mPut("z", "1", 0)),
		"int on text":    camW("d2", rrdb.CasCheckType_CT_VALUE_INT_EQUAL, "x", true, mPut("z", "1", 0)),
	} {
		if name == "int on text" {
			f.put("h", "d2", "7", 0)
		}
		r := f.apply(w)[0].(*rrdb.CheckAndMutateResponse)
		if r.Error != StatusInvalidArgument || r.Decree != f.decree {
			t.Errorf("%s: %+v", name, r)
		}
		if g := f.get("h", "z"); g.Error != StatusNotFound {
			t.Fatalf("%s: wrote", name)
		}
	}
}
