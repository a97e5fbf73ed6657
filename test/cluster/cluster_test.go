package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/client"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
)

func openTable(t *testing.T, b *onebox.Box, name string) (*client.Client, *client.Table) {
	t.Helper()
	c := client.New(client.Config{MetaServers: b.MetaServers()})
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tb, err := c.OpenTable(ctx, name)
	if err != nil {
		t.Fatalf("open table %s: %v", name, err)
	}
	return c, tb
}

// writeKeys writes n records spread over every partition and returns them.
func writeKeys(t *testing.T, tb *client.Table, prefix string, n int) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	acked := make(map[string]string, n)
	for i := 0; i < n; i++ {
		hk, v := fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("value-%d-%s", i, prefix)
		if err := tb.Set(ctx, []byte(hk), []byte("sk"), []byte(v)); err != nil {
			t.Fatalf("set %s: %v", hk, err)
		}
		acked[hk] = v
	}
	return acked
}

// checkKeys reads back every acknowledged record.
func checkKeys(t *testing.T, tb *client.Table, acked map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for hk, want := range acked {
		got, err := tb.Get(ctx, []byte(hk), []byte("sk"))
		if err != nil || string(got) != want {
			t.Fatalf("read back %s: got %q, %v; want %q", hk, got, err, want)
		}
	}
}

// TestEveryDataOpThroughTheClient runs each data operation against the
// onebox's table temp.
func TestEveryDataOpThroughTheClient(t *testing.T) {
	b := startBox(t, 2)
	_, tb := openTable(t, b, onebox.TableName)
	if tb.PartitionCount() != onebox.TablePartitions {
		t.Fatalf("temp has %d partitions", tb.PartitionCount())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	hk := []byte("user1")
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("set", tb.Set(ctx, hk, []byte("name"), []byte("alice")))
	v, err := tb.Get(ctx, hk, []byte("name"))
	if err != nil || string(v) != "alice" {
		t.Fatalf("get: %q %v", v, err)
	}
	if v, err := tb.Get(ctx, hk, []byte("missing")); err != nil || v != nil {
		t.Fatalf("get missing: %q %v", v, err)
	}
	must("set ttl", tb.SetTTL(ctx, hk, []byte("session"), []byte("s1"), time.Hour))
	if ttl, err := tb.TTL(ctx, hk, []byte("session")); err != nil || ttl < 3590 || ttl > 3600 {
		t.Fatalf("ttl: %d %v", ttl, err)
	}
	if ttl, _ := tb.TTL(ctx, hk, []byte("name")); ttl != -1 {
		t.Fatalf("ttl without expiry: %d", ttl)
	}
	if ok, err := tb.Exist(ctx, hk, []byte("name")); err != nil || !ok {
		t.Fatalf("exist: %v %v", ok, err)
	}
	must("multi_set", tb.MultiSet(ctx, hk, [][]byte{[]byte("a"), []byte("b"), []byte("c")}, [][]byte{[]byte("1"), []byte("2"), []byte("3")}))
	kvs, all, err := tb.MultiGet(ctx, hk, [][]byte{[]byte("a"), []byte("c"), []byte("zz")})
	if err != nil || !all || len(kvs) != 2 || string(kvs[1].Value) != "3" {
		t.Fatalf("multi_get: %v %v %v", kvs, all, err)
	}
	kvs, all, err = tb.MultiGetRange(ctx, hk, []byte("a"), []byte("c"))
	if err != nil || !all || len(kvs) != 2 {
		t.Fatalf("multi_get_range: %v %v %v", kvs, all, err)
	}
	if n, err := tb.SortKeyCount(ctx, hk); err != nil || n != 5 {
		t.Fatalf("sortkey_count: %d %v", n, err)
	}
	must("multi_del", tb.MultiDel(ctx, hk, [][]byte{[]byte("a"), []byte("b")}))
	if n, _ := tb.SortKeyCount(ctx, hk); n != 3 {
		t.Fatalf("sortkey_count after multi_del: %d", n)
	}
	if n, err := tb.Incr(ctx, hk, []byte("visits"), 7); err != nil || n != 7 {
		t.Fatalf("incr: %d %v", n, err)
	}
	if n, err := tb.Incr(ctx, hk, []byte("visits"), -2); err != nil || n != 5 {
		t.Fatalf("incr: %d %v", n, err)
	}
	if _, err := tb.Incr(ctx, hk, []byte("name"), 1); err == nil {
		t.Fatal("incr of a non-integer succeeded")
	}
	cas, err := tb.CheckAndSet(ctx, hk, []byte("name"), client.CheckTypeValueExist, nil, []byte("name2"), []byte("bob"), &client.CheckAndSetOptions{ReturnCheckValue: true})
	if err != nil || !cas.SetSucceed || string(cas.CheckValue) != "alice" {
		t.Fatalf("check_and_set: %+v %v", cas, err)
	}
	cas, err = tb.CheckAndSet(ctx, hk, []byte("nobody"), client.CheckTypeValueExist, nil, []byte("x"), []byte("y"), nil)
	if err != nil || cas.SetSucceed {
		t.Fatalf("check_and_set with a failing check: %+v %v", cas, err)
	}
	muts := (&client.Mutations{}).Put([]byte("m1"), []byte("v1"), 0).Del([]byte("name2"))
	cam, err := tb.CheckAndMutate(ctx, hk, []byte("name"), client.CheckTypeMatchPrefix, []byte("ali"), muts, nil)
	if err != nil || !cam.MutateSucceed {
		t.Fatalf("check_and_mutate: %+v %v", cam, err)
	}
	if v, _ := tb.Get(ctx, hk, []byte("name2")); v != nil {
		t.Fatalf("check_and_mutate did not delete name2: %q", v)
	}
	must("del", tb.Del(ctx, hk, []byte("session")))
	if ok, _ := tb.Exist(ctx, hk, []byte("session")); ok {
		t.Fatal("del did not delete")
	}

	// Batch ops and scans across partitions.
	var recs []client.Record
	var keys []client.CompositeKey
	for i := 0; i < 50; i++ {
		k := client.CompositeKey{HashKey: []byte(fmt.Sprintf("batch-%d", i)), SortKey: []byte("s")}
		keys = append(keys, k)
		recs = append(recs, client.Record{HashKey: k.HashKey, SortKey: k.SortKey, Value: []byte(fmt.Sprint(i))})
	}
	must("batch_set", tb.BatchSet(ctx, recs))
	vals, err := tb.BatchGet(ctx, keys)
	if err != nil || len(vals) != 50 || string(vals[42]) != "42" {
		t.Fatalf("batch_get: %d values, %v", len(vals), err)
	}
	sc, err := tb.GetScanner(ctx, hk, nil, nil, &client.ScanOptions{BatchSize: 2, StartInclusive: true})
	must("get_scanner", err)
	var scanned []string
	for {
		done, _, sk, _, err := sc.Next(ctx)
		must("scan", err)
		if done {
			break
		}
		scanned = append(scanned, string(sk))
	}
	sc.Close()
	if fmt.Sprint(scanned) != "[c m1 name visits]" {
		t.Fatalf("hash scan: %v", scanned)
	}
	scanners, err := tb.GetUnorderedScanners(ctx, 3, &client.ScanOptions{BatchSize: 7})
	must("unordered scanners", err)
	seen := map[string]int{}
	for _, s := range scanners {
		for {
			done, h, sk, _, err := s.Next(ctx)
			must("full scan", err)
			if done {
				break
			}
			seen[string(h)+"/"+string(sk)]++
		}
		s.Close()
	}
	if len(seen) != 54 {
		t.Fatalf("full scan saw %d records, want 54", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("full scan saw %s %d times", k, n)
		}
	}
	must("batch_del", tb.BatchDel(ctx, keys))
	vals, _ = tb.BatchGet(ctx, keys)
	for i, v := range vals {
		if v != nil {
			t.Fatalf("batch_del left key %d", i)
		}
	}

	// Bad input gets clear errors.
	if err := tb.Set(ctx, nil, []byte("s"), []byte("v")); !errors.Is(err, client.ErrInvalidArgument) {
		t.Fatalf("empty hash key: %v", err)
	}
	if err := tb.Set(ctx, bytes.Repeat([]byte("h"), 70000), nil, nil); !errors.Is(err, client.ErrInvalidArgument) {
		t.Fatalf("oversized hash key: %v", err)
	}
	if err := tb.Set(ctx, []byte("big"), nil, make([]byte, 2<<20)); err == nil {
		t.Fatal("a 2 MiB value was accepted past max_write_size")
	}
	c2 := client.New(client.Config{MetaServers: b.MetaServers()})
	defer c2.Close()
	if _, err := c2.OpenTable(ctx, "no_such_table"); !errors.Is(err, client.ErrTableNotFound) {
		t.Fatalf("unknown table: %v", err)
	}
	checkStartupTuning(t, b)
}

// TestRestartsLoseNothing restarts and kills replica servers and the meta
// server; every acknowledged write must still be readable, and the meta
// must come back with every table.
func TestRestartsLoseNothing(t *testing.T) {
	b := startBox(t, 3)
	_, tb := openTable(t, b, onebox.TableName)
	acked := writeKeys(t, tb, "before", 400)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// A clean restart of one replica server.
	if err := b.Kill("replica2", syscall.SIGTERM, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := b.Launch(ctx, "replica2"); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, tb, acked)

	// kill -9 of another: RocksDB's write-ahead log keeps every acked write.
	for hk, v := range writeKeys(t, tb, "before-kill", 200) {
		acked[hk] = v
	}
	if err := b.Kill("replica3", syscall.SIGKILL, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := b.Launch(ctx, "replica3"); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, tb, acked)

	// The meta server restarts with every table and assignment.
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	if _, err := ac.CreateTable(ctx, "second", 4, 3, map[string]string{"default_ttl": "0"}, false); err != nil {
		t.Fatal(err)
	}
	before, err := ac.QueryConfig(ctx, onebox.TableName)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Kill("meta1", syscall.SIGKILL, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := b.Launch(ctx, "meta1"); err != nil {
		t.Fatal(err)
	}
	tables, err := ac.ListTables(ctx, layer2.AppStatus_AS_AVAILABLE)
	if err != nil || len(tables) != 2 {
		t.Fatalf("tables after meta restart: %d, %v", len(tables), err)
	}
	after, err := ac.QueryConfig(ctx, onebox.TableName)
	if err != nil {
		t.Fatal(err)
	}
	for i, pc := range after.Partitions {
		if pc.Primary.String() != before.Partitions[i].Primary.String() {
			t.Errorf("partition %d moved from %s to %s across a meta restart", i, before.Partitions[i].Primary, pc.Primary)
		}
	}
	checkKeys(t, tb, acked)
	nodes, err := ac.ListNodes(ctx, admintypes.NodeStatus_NS_ALIVE)
	if err != nil || len(nodes) != 3 {
		t.Fatalf("alive nodes after meta restart: %d %v", len(nodes), err)
	}
}

// TestDropAndRecall drops a table with data, checks it is gone for clients,
// recalls it and reads the data back.
func TestDropAndRecall(t *testing.T) {
	b := startBox(t, 4)
	ac := admin.New(b.MetaServers())
	defer ac.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id, err := ac.CreateTable(ctx, "orders", 4, 3, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ac.CreateTable(ctx, "orders", 4, 3, nil, false); !errors.Is(err, errAppExist) {
		t.Fatalf("creating an existing table: %v", err)
	}
	_, tb := openTable(t, b, "orders")
	acked := writeKeys(t, tb, "order", 100)
	if err := ac.DropTable(ctx, "orders", time.Hour); err != nil {
		t.Fatal(err)
	}
	c := client.New(client.Config{MetaServers: b.MetaServers()})
	defer c.Close()
	if _, err := c.OpenTable(ctx, "orders"); !errors.Is(err, client.ErrTableNotFound) {
		t.Fatalf("open a dropped table: %v", err)
	}
	all, err := ac.ListTables(ctx, layer2.AppStatus_AS_INVALID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range all {
		if a.AppID == id && a.Status == layer2.AppStatus_AS_DROPPED {
			found = true
		}
	}
	if !found {
		t.Fatalf("dropped table not listed as DROPPED: %v", all)
	}
	info, err := ac.RecallTable(ctx, id, "")
	if err != nil || info.AppName != "orders" {
		t.Fatalf("recall: %v %v", info, err)
	}
	// Every partition comes back to the node that kept its data.
	deadline := time.Now().Add(60 * time.Second)
	for {
		cfg, err := ac.QueryConfig(ctx, "orders")
		ready := err == nil
		if ready {
			for _, pc := range cfg.Partitions {
				if pc.Primary == nil || pc.Primary.IsZero() {
					ready = false
				}
			}
		}
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("recalled table not served within 60s: %v %v", cfg, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	_, tb2 := openTable(t, b, "orders")
	checkKeys(t, tb2, acked)
}

// TestMetaDownGivesBoundedErrors: with the meta server stopped, opening a
// table fails within the caller's deadline, while a client that already has
// the route keeps reading from the replica servers.
func TestMetaDownGivesBoundedErrors(t *testing.T) {
	b := startBox(t, 5)
	_, tb := openTable(t, b, onebox.TableName)
	acked := writeKeys(t, tb, "k", 50)
	if err := b.Kill("meta1", syscall.SIGTERM, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, tb, acked)
	c := client.New(client.Config{MetaServers: b.MetaServers()})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.OpenTable(ctx, onebox.TableName)
	if err == nil {
		t.Fatal("opened a table with the meta server down")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("OpenTable took %v with a 3s deadline", took)
	}
}

var errAppExist = errorsIsErrno("ERR_APP_EXIST")
