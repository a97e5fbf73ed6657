package shell

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/pegasus-go/pegasus/client"
)

var errNoTable = errors.New("No app is using now")

// currentTable opens (once) the table chosen with `use`.
func (s *Session) currentTable(ctx context.Context) (*client.Table, error) {
	if s.table == "" {
		return nil, errNoTable
	}
	if t := s.tables[s.table]; t != nil {
		return t, nil
	}
	t, err := s.client.OpenTable(ctx, s.table)
	if err != nil {
		return nil, err
	}
	s.tables[s.table] = t
	return t, nil
}

// dataCommand wraps a data operation: it needs a current table and runs
// under the session timeout.
func dataCommand(name, usage, help string, minArgs, maxArgs int, f func(ctx context.Context, s *Session, t *client.Table, args []string) error) {
	register(&command{name: name, usage: usage, help: help,
		run: func(ctx context.Context, s *Session, args []string) error {
			if len(args) < minArgs || (maxArgs >= 0 && len(args) > maxArgs) {
				return errUsage
			}
			ctx, cancel := s.withTimeout(ctx)
			defer cancel()
			t, err := s.currentTable(ctx)
			if err != nil {
				return err
			}
			return f(ctx, s, t, args)
		}})
}

func init() {
	dataCommand("set", "<hash_key> <sort_key> <value> [ttl_in_seconds]", "write a value", 3, 4,
		func(ctx context.Context, s *Session, t *client.Table, a []string) error {
			var ttl time.Duration
			if len(a) == 4 {
				n, err := strconv.ParseInt(a[3], 10, 32)
				if err != nil || n <= 0 {
					return errors.New("invalid ttl")
				}
				ttl = time.Duration(n) * time.Second
			}
			if err := t.SetTTL(ctx, []byte(a[0]), []byte(a[1]), []byte(a[2]), ttl); err != nil {
				return err
			}
			fmt.Fprintln(s.Out, "OK")
			return nil
		})
	dataCommand("get", "<hash_key> <sort_key>", "read a value", 2, 2,
		func(ctx context.Context, s *Session, t *client.Table, a []string) error {
			v, err := t.Get(ctx, []byte(a[0]), []byte(a[1]))
			if err != nil {
				return err
			}
			if v == nil {
				fmt.Fprintln(s.Out, "Not found")
				return nil
			}
			fmt.Fprintf(s.Out, "\"%s\"\n", escape(v))
			return nil
		})
	dataCommand("del", "<hash_key> <sort_key>", "delete a value", 2, 2,
		func(ctx context.Context, s *Session, t *client.Table, a []string) error {
			if err := t.Del(ctx, []byte(a[0]), []byte(a[1])); err != nil {
				return err
			}
			fmt.Fprintln(s.Out, "OK")
			return nil
		})
	dataCommand("exist", "<hash_key> <sort_key>", "check whether a value exists", 2, 2,
		func(ctx context.Context, s *Session, t *client.Table, a []string) error {
			ok, err := t.Exist(ctx, []byte(a[0]), []byte(a[1]))
			if err != nil {
				return err
			}
			if ok {
				fmt.Fprintln(s.Out, "True")
			} else {
				fmt.Fprintln(s.Out, "False")
			}
			return nil
		})
	dataCommand("ttl", "<hash_key> <sort_key>", "show a value's remaining TTL", 2, 2,
		func(ctx context.Context, s *Session, t *client.Table, a []string) error {
			ttl, err := t.TTL(ctx, []byte(a[0]), []byte(a[1]))
			switch {
			case err != nil:
				return err
			case ttl == -2:
				fmt.Fprintln(s.Out, "Not found")
			case ttl == -1:
				fmt.Fprintln(s.Out, "Infinite")
			default:
				fmt.Fprintln(s.Out, ttl)
			}
			return nil
		})
	dataCommand("count", "<hash_key>", "count the sort keys of a hash key", 1, 1,
		func(ctx context.Context, s *Session, t *client.Table, a []string) error {
			n, err := t.SortKeyCount(ctx, []byte(a[0]))
			if err != nil {
				return err
			}
			if n < 0 {
				return errors.New("it takes too long to count sortkey")
			}
			fmt.Fprintln(s.Out, n)
			return nil
		})
	dataCommand("incr", "<hash_key> <sort_key> [increment]", "add to an integer value", 2, 3,
		func(ctx context.Context, s *Session, t *client.Table, a []string) error {
			inc := int64(1)
			if len(a) == 3 {
				var err error
				if inc, err = strconv.ParseInt(a[2], 10, 64); err != nil {
					return errUsage
				}
			}
			v, err := t.Incr(ctx, []byte(a[0]), []byte(a[1]), inc)
			if err != nil {
				return err
			}
			fmt.Fprintln(s.Out, v)
			return nil
		})
	dataCommand("multi_get", "<hash_key> [sort_key...]", "read several sort keys of a hash key (all when none given)", 1, -1,
		func(ctx context.Context, s *Session, t *client.Table, a []string) error {
			var sks [][]byte
			for _, sk := range a[1:] {
				sks = append(sks, []byte(sk))
			}
			var kvs []client.KeyValue
			var complete bool
			var err error
			if len(sks) == 0 {
				kvs, complete, err = t.MultiGetRangeOpt(ctx, []byte(a[0]), nil, nil, &client.MultiGetOptions{StartInclusive: true, MaxFetchCount: -1, MaxFetchSize: -1})
			} else {
				kvs, complete, err = t.MultiGet(ctx, []byte(a[0]), sks)
			}
			if err != nil {
				return err
			}
			for _, kv := range kvs {
				fmt.Fprintf(s.Out, "\"%s\" : \"%s\" => \"%s\"\n", escape([]byte(a[0])), escape(kv.SortKey), escape(kv.Value))
			}
			state := "fetch completed"
			if !complete {
				state = "not completed"
			}
			fmt.Fprintf(s.Out, "\n%d key-value pairs got, %s.\n", len(kvs), state)
			return nil
		})
}
