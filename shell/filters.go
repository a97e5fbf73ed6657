package shell

import (
	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/client"
)

var (
	keyFilterChoices   = []string{"anywhere", "prefix", "postfix"}
	exactFilterChoices = []string{"anywhere", "prefix", "postfix", "exact"}

	startInclusiveFlag = Flag{Short: "a", Long: "start_inclusive", Value: "true|false", Kind: KindBool, Help: "include start_sort_key (default true)"}
	stopInclusiveFlag  = Flag{Short: "b", Long: "stop_inclusive", Value: "true|false", Kind: KindBool, Help: "include stop_sort_key (default false)"}
	sortFilterFlags    = []Flag{
		{Short: "s", Long: "sort_key_filter_type", Value: "type", Choices: keyFilterChoices, Help: "filter sort keys"},
		{Short: "y", Long: "sort_key_filter_pattern", Value: "str", Help: "sort key pattern"},
	}
	valueFilterFlags = []Flag{
		{Short: "v", Long: "value_filter_type", Value: "type", Choices: exactFilterChoices, Help: "filter values (applied by the shell)"},
		{Short: "z", Long: "value_filter_pattern", Value: "str", Help: "value pattern"},
	}
	// tableFilterFlags are the row filters of whole-table scans.
	tableFilterFlags = []Flag{
		{Short: "h", Long: "hash_key_filter_type", Value: "type", Choices: keyFilterChoices, Help: "filter hash keys"},
		{Short: "x", Long: "hash_key_filter_pattern", Value: "str", Help: "hash key pattern"},
		{Short: "s", Long: "sort_key_filter_type", Value: "type", Choices: exactFilterChoices, Help: "filter sort keys"},
		{Short: "y", Long: "sort_key_filter_pattern", Value: "str", Help: "sort key pattern"},
		valueFilterFlags[0], valueFilterFlags[1],
	}
)

func filterType(name string) client.FilterType {
	switch name {
	case "anywhere":
		return client.FilterTypeMatchAnywhere
	case "prefix":
		return client.FilterTypeMatchPrefix
	case "postfix":
		return client.FilterTypeMatchPostfix
	}
	return client.FilterTypeNoFilter
}

// keyFilter reads a filter type flag and its pattern flag.
func (c *Call) keyFilter(typeFlag, patternFlag string) client.Filter {
	t := c.Str(typeFlag, "")
	if t == "" {
		return client.Filter{}
	}
	return client.Filter{Type: filterType(t), Pattern: []byte(c.Str(patternFlag, ""))}
}

// rowFilter reads the filter flags of whole-table scans.
func (c *Call) rowFilter() admin.RowFilter {
	f := admin.RowFilter{HashKey: c.keyFilter("hash_key_filter_type", "hash_key_filter_pattern")}
	if c.Str("sort_key_filter_type", "") == "exact" {
		f.SortKey = client.Filter{Pattern: []byte(c.Str("sort_key_filter_pattern", ""))}
		f.SortKeyExact = true
	} else {
		f.SortKey = c.keyFilter("sort_key_filter_type", "sort_key_filter_pattern")
	}
	f.Value, f.ValuePattern = c.valueFilter()
	return f
}

func (c *Call) valueFilter() (admin.ValueMatch, []byte) {
	p := []byte(c.Str("value_filter_pattern", ""))
	switch c.Str("value_filter_type", "") {
	case "anywhere":
		return admin.ValueAnywhere, p
	case "prefix":
		return admin.ValuePrefix, p
	case "postfix":
		return admin.ValuePostfix, p
	case "exact":
		return admin.ValueExact, p
	}
	return admin.ValueAny, nil
}

// echo prints upstream's "name: value" lines of the effective options on
// standard error, then a blank line.
func (c *Call) echo(pairs ...[2]string) {
	for _, p := range pairs {
		c.Errf("%s: %s", p[0], p[1])
	}
	c.Errf("")
}

func pair(k, v string) [2]string { return [2]string{k, v} }
