package shell

import (
	"fmt"
	"sort"
	"strings"
)

// Kind names what a positional argument or flag value holds, so that the
// REPL can complete it with live values.
type Kind int

// The value kinds.
const (
	KindNone          Kind = iota
	KindTable              // a table name
	KindNode               // a replica server address
	KindEnvKey             // a table env key
	KindMetaLevel          // stopped|blind|freezed|steady|lively
	KindRemoteCommand      // a remote command name
	KindCluster            // a cluster name from the config
	KindCommand            // a shell command name
	KindBool               // true|false
)

// Flag is one command flag. A flag without Value is a switch.
type Flag struct {
	Short    string // one letter, or ""
	Long     string // the name parsed values are stored under
	Alias    string // a second long name, or ""
	Value    string // the value's placeholder in the usage; "" for a switch
	Help     string
	Choices  []string // accepted values, when they are a fixed set
	Kind     Kind
	Required bool
}

// Arg is one positional argument.
type Arg struct {
	Name     string
	Optional bool
	Repeated bool // takes every remaining word
	Kind     Kind
}

// Command is one shell command.
type Command struct {
	Name    string
	Aliases []string
	Group   string
	Summary string // one line
	Help    string // longer text for `help <cmd>`
	Args    []Arg
	Flags   []Flag
	// JSON and Output add -j|--json and -o|--output <file>.
	JSON   bool
	Output bool
	// NeedsTable commands run on the table chosen with `use`.
	NeedsTable bool
	Run        func(c *Call) error
}

// Groups in the order `help` lists them.
var groups = []string{"session", "tables", "envs", "cluster", "data", "bulk", "backup", "duplication"}

var (
	registry = map[string]*Command{} // by name and alias
	commands []*Command              // in registration order
)

func register(cmds ...*Command) {
	for _, c := range cmds {
		if c.JSON {
			c.Flags = append(c.Flags, Flag{Short: "j", Long: "json", Help: "print JSON"})
		}
		if c.Output {
			c.Flags = append(c.Flags, Flag{Short: "o", Long: "output", Value: "file", Help: "write the result to file instead of standard output"})
		}
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			if _, dup := registry[n]; dup {
				panic("shell: command registered twice: " + n)
			}
			registry[n] = c
		}
		commands = append(commands, c)
	}
}

// lookup finds a command by name or alias (case-sensitively, as upstream).
func lookup(name string) *Command { return registry[name] }

// lookupWords finds the command a line's words start with: a two-word
// alias (admin-cli spellings such as "partition-split start") before a
// one-word name. It returns the command and the words after its name.
func lookupWords(words []string) (*Command, []string) {
	if len(words) >= 2 {
		if c := registry[words[0]+" "+words[1]]; c != nil {
			return c, words[2:]
		}
	}
	if len(words) == 0 {
		return nil, nil
	}
	return registry[words[0]], words[1:]
}

// subcommands lists the second words of the two-word aliases that start
// with first, sorted, with their commands' summaries.
func subcommands(first string) [][2]string {
	var out [][2]string
	for n, c := range registry {
		if f, sub, ok := strings.Cut(n, " "); ok && f == first {
			out = append(out, [2]string{sub, c.Summary})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// Names lists every command name and alias, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// flag returns the flag with the given short or long name.
func (c *Command) flag(name string, long bool) *Flag {
	for i := range c.Flags {
		f := &c.Flags[i]
		if (long && (f.Long == name || (f.Alias != "" && f.Alias == name))) || (!long && f.Short != "" && f.Short == name) {
			return f
		}
	}
	return nil
}

// Usage is the one-line synopsis after the command name.
func (c *Command) Usage() string {
	var parts []string
	for _, a := range c.Args {
		s := "<" + a.Name + ">"
		if a.Repeated {
			s += "..."
		}
		if a.Optional {
			s = "[" + a.Name + "]"
			if a.Repeated {
				s = "[" + a.Name + "...]"
			}
		}
		parts = append(parts, s)
	}
	for _, f := range c.Flags {
		parts = append(parts, f.synopsis())
	}
	return strings.Join(parts, " ")
}

func (f Flag) names() string {
	s := "--" + f.Long
	if f.Short != "" {
		s = "-" + f.Short + "|" + s
	}
	if f.Alias != "" {
		s += "|--" + f.Alias
	}
	return s
}

func (f Flag) synopsis() string {
	s := f.names()
	if f.Value != "" {
		v := f.Value
		if len(f.Choices) > 0 && len(f.Choices) <= 6 {
			v = strings.Join(f.Choices, "|")
		}
		s += " " + v
	}
	if f.Required {
		return s
	}
	return "[" + s + "]"
}

// writeHelp prints the full help of c.
func (c *Command) writeHelp(w interface{ Write([]byte) (int, error) }) {
	fmt.Fprintf(w, "%s - %s\n\nUSAGE: %s\n", c.Name, c.Summary, strings.TrimSpace(c.Name+" "+c.Usage()))
	if len(c.Aliases) > 0 {
		fmt.Fprintf(w, "ALIASES: %s\n", strings.Join(c.Aliases, ", "))
	}
	if c.Help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.Help))
	}
	if c.NeedsTable {
		fmt.Fprintln(w, "\nRuns on the current table (set it with `use <table>`).")
	}
	if len(c.Flags) > 0 {
		fmt.Fprintln(w, "\nFLAGS:")
		width := 0
		for _, f := range c.Flags {
			width = max(width, len(flagCol(f)))
		}
		for _, f := range c.Flags {
			help := f.Help
			if len(f.Choices) > 0 {
				help += " (" + strings.Join(f.Choices, ", ") + ")"
			}
			fmt.Fprintf(w, "  %-*s  %s\n", width, flagCol(f), help)
		}
	}
}

func flagCol(f Flag) string {
	s := f.names()
	if f.Value != "" {
		s += " " + f.Value
	}
	return s
}

// closest returns the registered name nearest to word, if it is near
// enough to be a likely typo.
func closest(word string) string {
	best, bestD := "", 1<<30
	for n := range registry {
		d := editDistance(strings.ToLower(word), n)
		if strings.HasPrefix(n, strings.ToLower(word)) && len(word) >= 2 {
			d = min(d, 1)
		}
		if d < bestD || (d == bestD && n < best) {
			best, bestD = n, d
		}
	}
	if bestD <= max(2, len(word)/3) {
		return best
	}
	return ""
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of neighbours each cost one.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
