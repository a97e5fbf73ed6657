package shell

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/pegasus-go/pegasus/client"
)

// data marks a data command: it runs on the current table and prints JSON
// on request. Keys and values in JSON are strings escaped as the text
// output prints them (printable ASCII as is, \xHH otherwise).
func data(c *Command) *Command {
	if c.Group == "" {
		c.Group = "data"
	}
	c.NeedsTable = true
	c.JSON = true
	return c
}

var hkSk = []Arg{{Name: "hash_key"}, {Name: "sort_key"}}

func init() {
	register(
		data(&Command{Name: "set", Summary: "write a value", Args: append(append([]Arg{}, hkSk...), Arg{Name: "value"}, Arg{Name: "ttl_in_seconds", Optional: true}),
			Help: "Writes value under (hash_key, sort_key), with a TTL in seconds if given. Keys and values take\n" +
				"\"\\xHH\" escapes in double quotes.",
			Run: runSet}),
		data(&Command{Name: "get", Summary: "read a value", Args: hkSk,
			Help: "Prints the value in double quotes, or Not found. JSON: hash_key, sort_key, found, value, and\n" +
				"the partition (app_id, partition_index, server).",
			Run: runGet}),
		data(&Command{Name: "del", Summary: "delete a value", Args: hkSk, Run: runDel}),
		data(&Command{Name: "exist", Summary: "check whether a value exists", Args: hkSk, Run: runExist}),
		data(&Command{Name: "ttl", Summary: "show a value's remaining time to live", Args: hkSk,
			Help: "Prints the remaining seconds, Infinite for a value without TTL, or Not found.", Run: runTTL}),
		data(&Command{Name: "count", Summary: "count the sort keys of a hash key", Args: []Arg{{Name: "hash_key"}}, Run: runCount}),
		data(&Command{Name: "incr", Summary: "add to an integer value", Args: append(append([]Arg{}, hkSk...), Arg{Name: "increment", Optional: true}),
			Help: "Adds increment (default 1, may be negative) to the integer stored under the key (absent\n" +
				"counts as 0) and prints the new value.",
			Run: runIncr}),
		data(&Command{Name: "multi_set", Summary: "write several sort keys of one hash key",
			Args: []Arg{{Name: "hash_key"}, {Name: "sort_key"}, {Name: "value"}, {Name: "sort_key value", Optional: true, Repeated: true}},
			Run:  runMultiSet}),
		data(&Command{Name: "multi_get", Summary: "read several sort keys of a hash key (all when none given)",
			Args: []Arg{{Name: "hash_key"}, {Name: "sort_key", Optional: true, Repeated: true}},
			Help: "JSON: hash_key, kvs (sort_key, value), count, completed.",
			Run:  runMultiGet}),
		data(&Command{Name: "multi_get_sortkeys", Summary: "list the sort keys of a hash key", Args: []Arg{{Name: "hash_key"}},
			Run: runMultiGetSortKeys}),
		data(&Command{Name: "multi_del", Summary: "delete several sort keys of one hash key",
			Args: []Arg{{Name: "hash_key"}, {Name: "sort_key", Repeated: true}},
			Run:  runMultiDel}),
	)
}

// kvJSON is one record in JSON output.
type kvJSON struct {
	HashKey string `json:"hash_key,omitempty"`
	SortKey string `json:"sort_key"`
	Value   string `json:"value,omitempty"`
}

// writeJSONResult is the JSON of a write.
type writeJSONResult struct {
	Status string `json:"status"`
	*location
}

func (c *Call) opened() (*client.Table, error) { return c.table() }

func runSet(c *Call) error {
	hk, sk, v := []byte(c.args[0]), []byte(c.args[1]), []byte(c.args[2])
	var ttl time.Duration
	if len(c.args) == 4 {
		n, err := strconv.ParseInt(c.args[3], 10, 32)
		if err != nil || n <= 0 {
			return failf(nil, "ERROR: invalid ttl %s", c.args[3])
		}
		ttl = time.Duration(n) * time.Second
	}
	t, err := c.opened()
	if err != nil {
		return err
	}
	ctx, cancel := c.dataCtx()
	defer cancel()
	if err := t.SetTTL(ctx, hk, sk, v, ttl); err != nil {
		return err
	}
	return c.wrote(hk)
}

// wrote prints OK and the partition footer of a single-key write.
func (c *Call) wrote(hk []byte) error {
	loc := c.locationOf(hk)
	if err := c.Done(writeJSONResult{Status: "OK", location: loc}, "OK"); err != nil {
		return err
	}
	c.footer(loc)
	return nil
}

func runGet(c *Call) error {
	hk, sk := []byte(c.args[0]), []byte(c.args[1])
	t, err := c.opened()
	if err != nil {
		return err
	}
	ctx, cancel := c.dataCtx()
	defer cancel()
	v, err := t.Get(ctx, hk, sk)
	if err != nil {
		return err
	}
	loc := c.locationOf(hk)
	j := struct {
		HashKey string  `json:"hash_key"`
		SortKey string  `json:"sort_key"`
		Found   bool    `json:"found"`
		Value   *string `json:"value"`
		*location
	}{HashKey: c.esc(hk), SortKey: c.esc(sk), Found: v != nil, location: loc}
	if v != nil {
		s := c.esc(v)
		j.Value = &s
	}
	err = c.Emit(j, func(w io.Writer) {
		if v == nil {
			fmt.Fprintln(w, "Not found")
		} else {
			fmt.Fprintf(w, "\"%s\"\n", c.esc(v))
		}
	})
	c.footer(loc)
	return err
}

func runDel(c *Call) error {
	hk, sk := []byte(c.args[0]), []byte(c.args[1])
	t, err := c.opened()
	if err != nil {
		return err
	}
	ctx, cancel := c.dataCtx()
	defer cancel()
	if err := t.Del(ctx, hk, sk); err != nil {
		return err
	}
	return c.wrote(hk)
}

func runExist(c *Call) error {
	hk, sk := []byte(c.args[0]), []byte(c.args[1])
	t, err := c.opened()
	if err != nil {
		return err
	}
	ctx, cancel := c.dataCtx()
	defer cancel()
	ok, err := t.Exist(ctx, hk, sk)
	if err != nil {
		return err
	}
	loc := c.locationOf(hk)
	text := "False"
	if ok {
		text = "True"
	}
	err = c.Done(map[string]any{"exist": ok}, "%s", text)
	c.footer(loc)
	return err
}

func runTTL(c *Call) error {
	hk, sk := []byte(c.args[0]), []byte(c.args[1])
	t, err := c.opened()
	if err != nil {
		return err
	}
	ctx, cancel := c.dataCtx()
	defer cancel()
	ttl, err := t.TTL(ctx, hk, sk)
	if err != nil {
		return err
	}
	loc := c.locationOf(hk)
	j := map[string]any{"found": ttl != -2, "infinite": ttl == -1}
	text := "Not found"
	switch {
	case ttl == -1:
		text = "Infinite"
	case ttl >= 0:
		text = strconv.Itoa(ttl)
		j["ttl_seconds"] = ttl
	}
	err = c.Done(j, "%s", text)
	c.footer(loc)
	return err
}

func runCount(c *Call) error {
	hk := []byte(c.args[0])
	t, err := c.opened()
	if err != nil {
		return err
	}
	ctx, cancel := c.dataCtx()
	defer cancel()
	n, err := t.SortKeyCount(ctx, hk)
	if err != nil {
		return err
	}
	if n < 0 {
		return failf(nil, "ERROR: it takes too long to count sortkey")
	}
	loc := c.locationOf(hk)
	err = c.Done(map[string]any{"count": n}, "%d", n)
	c.footer(loc)
	return err
}

func runIncr(c *Call) error {
	hk, sk := []byte(c.args[0]), []byte(c.args[1])
	inc := int64(1)
	if len(c.args) == 3 {
		var err error
		if inc, err = strconv.ParseInt(c.args[2], 10, 64); err != nil {
			return usagef("invalid increment %s", c.args[2])
		}
	}
	t, err := c.opened()
	if err != nil {
		return err
	}
	ctx, cancel := c.dataCtx()
	defer cancel()
	v, err := t.Incr(ctx, hk, sk, inc)
	if err != nil {
		return err
	}
	loc := c.locationOf(hk)
	err = c.Done(map[string]any{"new_value": v}, "%d", v)
	c.footer(loc)
	return err
}

func runMultiSet(c *Call) error {
	hk := []byte(c.args[0])
	rest := c.args[1:]
	if len(rest)%2 != 0 {
		return usagef("")
	}
	seen := map[string]bool{}
	var sks, vs [][]byte
	for i := 0; i < len(rest); i += 2 {
		if seen[rest[i]] {
			return failf(nil, "ERROR: duplicate sort key %s", rest[i])
		}
		seen[rest[i]] = true
		sks, vs = append(sks, []byte(rest[i])), append(vs, []byte(rest[i+1]))
	}
	t, err := c.opened()
	if err != nil {
		return err
	}
	ctx, cancel := c.dataCtx()
	defer cancel()
	if err := t.MultiSet(ctx, hk, sks, vs); err != nil {
		return err
	}
	return c.wrote(hk)
}

// printKVs prints multi_get style rows and the count line.
func (c *Call) printKVs(hk []byte, kvs []client.KeyValue, complete, noValue bool) error {
	state := "fetch completed"
	if !complete {
		state = "not completed"
	}
	if c.JSON() {
		rows := make([]kvJSON, 0, len(kvs))
		for _, kv := range kvs {
			r := kvJSON{SortKey: c.esc(kv.SortKey)}
			if !noValue {
				r.Value = c.esc(kv.Value)
			}
			rows = append(rows, r)
		}
		return writeJSON(c.out, map[string]any{"hash_key": c.esc(hk), "kvs": rows, "count": len(kvs), "completed": complete})
	}
	for _, kv := range kvs {
		if noValue {
			c.Printf("\"%s\" : \"%s\"", c.esc(hk), c.esc(kv.SortKey))
		} else {
			c.Printf("\"%s\" : \"%s\" => \"%s\"", c.esc(hk), c.esc(kv.SortKey), c.esc(kv.Value))
		}
	}
	c.Printf("\n%d key-value pairs got, %s.", len(kvs), state)
	return nil
}

func runMultiGet(c *Call) error {
	hk := []byte(c.args[0])
	t, err := c.opened()
	if err != nil {
		return err
	}
	ctx, cancel := c.dataCtx()
	defer cancel()
	var kvs []client.KeyValue
	var complete bool
	if len(c.args) == 1 {
		kvs, complete, err = t.MultiGetRangeOpt(ctx, hk, nil, nil, &client.MultiGetOptions{StartInclusive: true, MaxFetchCount: -1, MaxFetchSize: -1})
	} else {
		var sks [][]byte
		for _, sk := range c.args[1:] {
			sks = append(sks, []byte(sk))
		}
		kvs, complete, err = t.MultiGetOpt(ctx, hk, sks, &client.MultiGetOptions{MaxFetchCount: -1, MaxFetchSize: -1})
	}
	if err != nil {
		return err
	}
	if err := c.printKVs(hk, kvs, complete, false); err != nil {
		return err
	}
	c.footer(c.locationOf(hk))
	return nil
}

func runMultiGetSortKeys(c *Call) error {
	hk := []byte(c.args[0])
	t, err := c.opened()
	if err != nil {
		return err
	}
	ctx, cancel := c.dataCtx()
	defer cancel()
	kvs, complete, err := t.MultiGetRangeOpt(ctx, hk, nil, nil, &client.MultiGetOptions{StartInclusive: true, MaxFetchCount: -1, MaxFetchSize: -1, NoValue: true})
	if err != nil {
		return err
	}
	state := "fetch completed"
	if !complete {
		state = "not completed"
	}
	if c.JSON() {
		sks := make([]string, 0, len(kvs))
		for _, kv := range kvs {
			sks = append(sks, c.esc(kv.SortKey))
		}
		return writeJSON(c.out, map[string]any{"hash_key": c.esc(hk), "sort_keys": sks, "count": len(kvs), "completed": complete})
	}
	for _, kv := range kvs {
		c.Printf("\"%s\"", c.esc(kv.SortKey))
	}
	c.Printf("\n%d sort keys got, %s.", len(kvs), state)
	c.footer(c.locationOf(hk))
	return nil
}

func runMultiDel(c *Call) error {
	hk := []byte(c.args[0])
	var sks [][]byte
	for _, sk := range c.args[1:] {
		sks = append(sks, []byte(sk))
	}
	t, err := c.opened()
	if err != nil {
		return err
	}
	ctx, cancel := c.dataCtx()
	defer cancel()
	if err := t.MultiDel(ctx, hk, sks); err != nil {
		return err
	}
	loc := c.locationOf(hk)
	err = c.Done(map[string]any{"deleted": len(sks)}, "%d key-value pairs deleted.", len(sks))
	c.footer(loc)
	return err
}
