package client_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/client"
	"github.com/pegasus-go/pegasus/server/storage"
)

func TestCheckAndSet(t *testing.T) {
	c := newCluster(t, 1, 2, storage.Options{})
	tb := c.openTable(t)
	ctx := testCtx(t)
	hk := bs("cas")

	// Set if absent: passes once, then fails and reports what is there.
	r, err := tb.CheckAndSet(ctx, hk, bs("k"), client.CheckTypeValueNotExist, nil, bs("k"), bs("v1"), nil)
	if err != nil || !r.SetSucceed || r.CheckValueReturned {
		t.Fatalf("first CheckAndSet = %+v, %v", r, err)
	}
	r, err = tb.CheckAndSet(ctx, hk, bs("k"), client.CheckTypeValueNotExist, nil, bs("k"), bs("v2"),
		&client.CheckAndSetOptions{ReturnCheckValue: true})
	if err != nil || r.SetSucceed || !r.CheckValueReturned || !r.CheckValueExist || string(r.CheckValue) != "v1" {
		t.Fatalf("second CheckAndSet = %+v, %v", r, err)
	}
	if v, _ := tb.Get(ctx, hk, bs("k")); string(v) != "v1" {
		t.Fatalf("value after a failed check = %q", v)
	}

	// Check one sort key, set another, with a TTL.
	r, err = tb.CheckAndSet(ctx, hk, bs("k"), client.CheckTypeBytesEqual, bs("v1"), bs("other"), bs("o"),
		&client.CheckAndSetOptions{SetValueTTL: time.Hour, ReturnCheckValue: true})
	if err != nil || !r.SetSucceed || string(r.CheckValue) != "v1" {
		t.Fatalf("CheckAndSet on another sort key = %+v, %v", r, err)
	}
	if v, _ := tb.Get(ctx, hk, bs("other")); string(v) != "o" {
		t.Fatalf("set value = %q", v)
	}
	if ttl, _ := tb.TTL(ctx, hk, bs("other")); ttl < 3500 {
		t.Fatalf("TTL of the set value = %d", ttl)
	}
	// An absent checked value is reported as such.
	r, err = tb.CheckAndSet(ctx, hk, bs("none"), client.CheckTypeValueExist, nil, bs("none"), bs("x"),
		&client.CheckAndSetOptions{ReturnCheckValue: true})
	if err != nil || r.SetSucceed || !r.CheckValueReturned || r.CheckValueExist || r.CheckValue != nil {
		t.Fatalf("CheckAndSet on an absent value = %+v, %v", r, err)
	}

	// Integer comparison on a value that is not an integer: a storage error.
	_, err = tb.CheckAndSet(ctx, hk, bs("k"), client.CheckTypeIntLess, bs("5"), bs("k"), bs("x"), nil)
	var se *client.Error
	if !errors.As(err, &se) || se.Status != client.StatusInvalidArgument || se.Op != "CheckAndSet" {
		t.Fatalf("int check on a non-integer: %v", err)
	}
	if err := tb.Set(ctx, hk, bs("n"), bs("3")); err != nil {
		t.Fatal(err)
	}
	if r, err := tb.CheckAndSet(ctx, hk, bs("n"), client.CheckTypeIntLess, bs("5"), bs("n"), bs("4"), nil); err != nil || !r.SetSucceed {
		t.Fatalf("3 < 5: %+v, %v", r, err)
	}
}

func TestCheckAndMutate(t *testing.T) {
	c := newCluster(t, 1, 2, storage.Options{})
	tb := c.openTable(t)
	ctx := testCtx(t)
	hk := bs("cam")
	if err := tb.MultiSet(ctx, hk, [][]byte{bs("version"), bs("old")}, [][]byte{bs("1"), bs("x")}); err != nil {
		t.Fatal(err)
	}

	var m client.Mutations
	m.Put(bs("version"), bs("2"), 0).Put(bs("new"), bs("y"), time.Hour).Del(bs("old"))
	if m.Len() != 3 {
		t.Fatalf("Len = %d", m.Len())
	}
	r, err := tb.CheckAndMutate(ctx, hk, bs("version"), client.CheckTypeBytesEqual, bs("1"), &m,
		&client.CheckAndMutateOptions{ReturnCheckValue: true})
	if err != nil || !r.MutateSucceed || string(r.CheckValue) != "1" {
		t.Fatalf("CheckAndMutate = %+v, %v", r, err)
	}
	kvs, _, _ := tb.MultiGet(ctx, hk, nil)
	if got := sortKeysOf(kvs, true); got != "new=y,version=2" {
		t.Fatalf("after CheckAndMutate: %s", got)
	}
	if ttl, _ := tb.TTL(ctx, hk, bs("new")); ttl < 3500 {
		t.Fatalf("TTL of a mutation put = %d", ttl)
	}

	// The same mutations again: the check fails and nothing changes.
	r, err = tb.CheckAndMutate(ctx, hk, bs("version"), client.CheckTypeBytesEqual, bs("1"), &m, nil)
	if err != nil || r.MutateSucceed || r.CheckValueReturned {
		t.Fatalf("repeated CheckAndMutate = %+v, %v", r, err)
	}
	kvs, _, _ = tb.MultiGet(ctx, hk, nil)
	if got := sortKeysOf(kvs, true); got != "new=y,version=2" {
		t.Fatalf("after a failed CheckAndMutate: %s", got)
	}
}
