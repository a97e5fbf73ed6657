package shell

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
)

// section is one named block of tabular output: a line "[name]" and then
// either a multi-column table or key/value pairs, as upstream prints them.
type section interface {
	render(w io.Writer)
}

// table is a multi-column section: a header row and one row per item,
// each column padded to its widest cell plus two spaces.
type table struct {
	name   string
	header []string
	rows   [][]string
	right  []int // columns aligned right (numbers, as upstream)
}

// kvTable is a key/value section: "key  : value" lines.
type kvTable struct {
	name  string
	pairs [][2]string
}

func (kv *kvTable) add(k string, v any) { kv.pairs = append(kv.pairs, [2]string{k, fmt.Sprint(v)}) }

func newWriter(buf *bytes.Buffer) *tablewriter.Table {
	tw := tablewriter.NewWriter(buf)
	tw.SetBorder(false)
	tw.SetHeaderLine(false)
	tw.SetRowLine(false)
	tw.SetColumnSeparator("")
	tw.SetCenterSeparator("")
	tw.SetRowSeparator("")
	tw.SetAutoWrapText(false)
	tw.SetAutoFormatHeaders(false)
	tw.SetHeaderAlignment(tablewriter.ALIGN_LEFT)
	tw.SetAlignment(tablewriter.ALIGN_LEFT)
	tw.SetNoWhiteSpace(true)
	tw.SetTablePadding("  ")
	return tw
}

func (t *table) render(w io.Writer) {
	fmt.Fprintf(w, "[%s]\n", t.name)
	var buf bytes.Buffer
	tw := newWriter(&buf)
	tw.SetHeader(t.header)
	align := make([]int, len(t.header))
	for i := range align {
		align[i] = tablewriter.ALIGN_LEFT
	}
	for _, c := range t.right {
		align[c] = tablewriter.ALIGN_RIGHT
	}
	tw.SetColumnAlignment(align)
	tw.AppendBulk(t.rows)
	tw.Render()
	writeTrimmed(w, buf.String())
}

func (kv *kvTable) render(w io.Writer) {
	fmt.Fprintf(w, "[%s]\n", kv.name)
	if len(kv.pairs) == 0 {
		return
	}
	var buf bytes.Buffer
	tw := newWriter(&buf)
	for _, p := range kv.pairs {
		tw.Append([]string{p[0], ": " + p[1]})
	}
	tw.Render()
	writeTrimmed(w, buf.String())
}

// writeTrimmed drops the trailing blanks of every line (upstream pads the
// last column too; scripts strip it, and golden files read better).
func writeTrimmed(w io.Writer, s string) {
	for _, line := range strings.SplitAfter(s, "\n") {
		if line == "" {
			continue
		}
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
}

// printSections prints sections, each followed by an empty line.
func printSections(w io.Writer, secs ...section) {
	for _, s := range secs {
		s.render(w)
		fmt.Fprintln(w)
	}
}

// writeJSON prints v as indented JSON and a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// timeText prints a Unix time as upstream does (local time, date and time
// joined by '_'), or "-" for none.
func timeText(sec int64) string {
	if sec <= 0 {
		return "-"
	}
	return time.Unix(sec, 0).Format("2006-01-02_15:04:05")
}

// timeJSON prints a Unix time as RFC 3339, or "" for none.
func timeJSON(sec int64) string {
	if sec <= 0 {
		return ""
	}
	return time.Unix(sec, 0).Format(time.RFC3339)
}

// jsonMarshal encodes v on one line without escaping <, > and &.
func jsonMarshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
