package shell

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pegasus-go/pegasus/client"
)

var checkTypes = []string{"not_exist", "not_exist_or_empty", "exist", "not_empty", "match_anywhere", "match_prefix",
	"match_postfix", "bytes_less", "bytes_less_or_equal", "bytes_equal", "bytes_greater_or_equal", "bytes_greater",
	"int_less", "int_less_or_equal", "int_equal", "int_greater_or_equal", "int_greater"}

var checkFlags = []Flag{
	{Short: "c", Long: "check_sort_key", Value: "str", Required: true, Help: "the sort key to check"},
	{Short: "t", Long: "check_type", Value: "type", Choices: checkTypes, Required: true, Help: "the check"},
	{Short: "o", Long: "check_operand", Value: "str", Help: "the operand (needed from match_anywhere on)"},
}

func init() {
	register(
		data(&Command{Name: "check_and_set", Summary: "set a value if a check on another sort key passes",
			Help: "Checks check_sort_key of hash_key with check_type (and check_operand), and if it passes\n" +
				"sets set_sort_key to set_value, atomically. -r also prints the checked value.",
			Args: []Arg{{Name: "hash_key"}},
			Flags: append(append([]Flag{}, checkFlags...),
				Flag{Short: "s", Long: "set_sort_key", Value: "str", Required: true, Help: "the sort key to set"},
				Flag{Short: "v", Long: "set_value", Value: "str", Required: true, Help: "the value to set"},
				Flag{Short: "l", Long: "set_value_ttl_seconds", Value: "num", Help: "TTL of the value set"},
				Flag{Short: "r", Long: "return_check_value", Help: "print the checked value"},
			),
			Run: runCheckAndSet}),
		data(&Command{Name: "check_and_mutate", Summary: "apply mutations if a check passes",
			Help: "After the command line, reads mutations one per line — `set <sort_key> <value> [ttl]`,\n" +
				"`del <sort_key>` — then `ok` to send them or `abort`. On a terminal it prompts; in a\n" +
				"script (-f or standard input) the lines follow the command, as upstream.",
			Args: []Arg{{Name: "hash_key"}},
			Flags: append(append([]Flag{}, checkFlags...),
				Flag{Short: "r", Long: "return_check_value", Help: "print the checked value"},
			),
			Run: runCheckAndMutate}),
	)
}

// checkArgs reads and validates the check flags.
func (c *Call) checkArgs() (client.CheckType, []byte, [][2]string, error) {
	name := c.Str("check_type", "")
	idx := 0
	for i, n := range checkTypes {
		if n == name {
			idx = i
		}
	}
	ct := client.CheckType(idx + 1)
	operand := []byte(c.Str("check_operand", ""))
	echo := [][2]string{
		pair("hash_key", "\""+escape([]byte(c.args[0]))+"\""),
		pair("check_sort_key", "\""+escape([]byte(c.Str("check_sort_key", "")))+"\""),
		pair("check_type", name),
	}
	if ct >= client.CheckTypeMatchAnywhere {
		if !c.Has("check_operand") {
			return 0, nil, nil, usagef("check_operand not provided")
		}
		echo = append(echo, pair("check_operand", "\""+escape(operand)+"\""))
	}
	return ct, operand, echo, nil
}

func runCheckAndSet(c *Call) error {
	ct, operand, echo, err := c.checkArgs()
	if err != nil {
		return err
	}
	ttl, err := c.Int("set_value_ttl_seconds", 0)
	if err != nil || ttl < 0 {
		return usagef("invalid set_value_ttl_seconds")
	}
	hk, checkSK := []byte(c.args[0]), []byte(c.Str("check_sort_key", ""))
	setSK, setV := []byte(c.Str("set_sort_key", "")), []byte(c.Str("set_value", ""))
	ret := c.Switch("return_check_value")
	c.echo(append(echo,
		pair("set_sort_key", "\""+escape(setSK)+"\""),
		pair("set_value", "\""+escape(setV)+"\""),
		pair("set_value_ttl_seconds", strconv.FormatInt(ttl, 10)),
		pair("return_check_value", strconv.FormatBool(ret)))...)
	t, err := c.opened()
	if err != nil {
		return err
	}
	ctx, cancel := c.dataCtx()
	defer cancel()
	res, err := t.CheckAndSet(ctx, hk, checkSK, ct, operand, setSK, setV,
		&client.CheckAndSetOptions{SetValueTTL: time.Duration(ttl) * time.Second, ReturnCheckValue: ret})
	if err != nil {
		return err
	}
	text := "Set succeed."
	if !res.SetSucceed {
		text = "Set failed, because check not passed."
	}
	return c.checkOutcome(hk, "set_succeed", res.SetSucceed, text, ret, res.CheckResult)
}

func (c *Call) checkOutcome(hk []byte, field string, ok bool, text string, ret bool, cr client.CheckResult) error {
	loc := c.locationOf(hk)
	j := map[string]any{field: ok}
	if ret && cr.CheckValueReturned {
		j["check_value_exist"] = cr.CheckValueExist
		if cr.CheckValueExist {
			j["check_value"] = c.esc(cr.CheckValue)
		}
	}
	if loc != nil {
		j["app_id"], j["partition_index"], j["server"] = loc.AppID, loc.PartitionIndex, loc.Server
	}
	err := c.Emit(j, func(w io.Writer) {
		c.Printf("%s", text)
		if ret {
			c.Printf("")
			if cr.CheckValueReturned && cr.CheckValueExist {
				c.Printf("Check value: \"%s\"", c.esc(cr.CheckValue))
			} else {
				c.Printf("Check value not exist.")
			}
		}
	})
	c.footer(loc)
	return err
}

func runCheckAndMutate(c *Call) error {
	ct, operand, echo, err := c.checkArgs()
	if err != nil {
		return err
	}
	in := c.s.opts.Input
	if in == nil {
		return failf(nil, "ERROR: check_and_mutate reads its mutations from the following input lines; use it on a terminal, in a -f script or on standard input")
	}
	muts := &client.Mutations{}
	type loaded struct{ kind, sk, v, ttl string }
	var list []loaded
	for {
		line, err := in.ReadLine(">>> ")
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		words, err := splitArgs(line)
		if err != nil || len(words) == 0 {
			c.Errf("ERROR: invalid mutation line, expect `set <sort_key> <value> [ttl]`, `del <sort_key>`, `ok` or `abort`")
			continue
		}
		switch strings.ToLower(words[0]) {
		case "ok":
			goto send
		case "abort":
			c.Errf("INFO: abort check_and_mutate command")
			return failf(nil, "check_and_mutate aborted")
		case "set":
			if len(words) != 3 && len(words) != 4 {
				c.Errf("ERROR: invalid set mutation, expect `set <sort_key> <value> [ttl]`")
				continue
			}
			ttl := int64(0)
			if len(words) == 4 {
				if ttl, err = strconv.ParseInt(words[3], 10, 32); err != nil || ttl < 0 {
					c.Errf("ERROR: invalid ttl %s", words[3])
					continue
				}
			}
			muts.Put([]byte(words[1]), []byte(words[2]), time.Duration(ttl)*time.Second)
			list = append(list, loaded{"SET", words[1], words[2], strconv.FormatInt(ttl, 10)})
			c.Errf("LOAD: set sortkey \"%s\", value \"%s\", ttl %d", escape([]byte(words[1])), escape([]byte(words[2])), ttl)
		case "del":
			if len(words) != 2 {
				c.Errf("ERROR: invalid del mutation, expect `del <sort_key>`")
				continue
			}
			muts.Del([]byte(words[1]))
			list = append(list, loaded{kind: "DEL", sk: words[1]})
			c.Errf("LOAD: del sortkey \"%s\"", escape([]byte(words[1])))
		default:
			c.Errf("ERROR: invalid mutation type %s, expect set, del, ok or abort", words[0])
		}
	}
send:
	if muts.Len() == 0 {
		return failf(nil, "ERROR: mutations not provided")
	}
	ret := c.Switch("return_check_value")
	echo = append(echo, pair("return_check_value", strconv.FormatBool(ret)), pair("mutations", ""))
	for i, m := range list {
		p := "mutation[" + strconv.Itoa(i) + "]"
		echo = append(echo, pair(p+".type", m.kind), pair(p+".sort_key", "\""+escape([]byte(m.sk))+"\""))
		if m.kind == "SET" {
			echo = append(echo, pair(p+".value", "\""+escape([]byte(m.v))+"\""), pair(p+".expire_seconds", m.ttl))
		}
	}
	c.echo(echo...)
	hk := []byte(c.args[0])
	t, err := c.opened()
	if err != nil {
		return err
	}
	ctx, cancel := c.dataCtx()
	defer cancel()
	res, err := t.CheckAndMutate(ctx, hk, []byte(c.Str("check_sort_key", "")), ct, operand, muts, &client.CheckAndMutateOptions{ReturnCheckValue: ret})
	if err != nil {
		return err
	}
	text := "Mutate succeed."
	if !res.MutateSucceed {
		text = "Mutate failed, because check not passed."
	}
	return c.checkOutcome(hk, "mutate_succeed", res.MutateSucceed, text, ret, res.CheckResult)
}
