package shell

import (
	"fmt"
	"strings"
)

// parsed is a command line after flag parsing.
type parsed struct {
	args   []string            // positional arguments
	values map[string]string   // by long flag name; "true" for a given switch
	all    map[string][]string // every value of each flag, in order
	help   bool
}

// parseArgs parses words (the command line after the command name) the way
// getopt_long does: short flags -x v, -xv and -x=v, long flags --name v and
// --name=v, clustered switches -di, positional arguments anywhere (GNU
// permutation) and "--" ending the flags. A word like -5 is a positional
// argument (incr's negative increment). --help, and -h where the command
// has no -h flag of its own, ask for help.
func parseArgs(c *Command, words []string) (*parsed, error) {
	p := &parsed{values: map[string]string{}, all: map[string][]string{}}
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "--":
			p.args = append(p.args, words[i+1:]...)
			i = len(words)
			continue
		case w == "--help" || (w == "-h" && c.flag("h", false) == nil):
			p.help = true
			continue
		case len(w) < 2 || w[0] != '-' || isNumber(w):
			p.args = append(p.args, w)
			continue
		}
		var f *Flag
		var value string
		var hasValue bool
		if strings.HasPrefix(w, "--") {
			name := w[2:]
			name, value, hasValue = strings.Cut(name, "=")
			if f = c.flag(name, true); f == nil {
				return nil, usagef("unknown flag --%s", name)
			}
		} else {
			// One or more short flags; a flag taking a value ends the
			// cluster, the rest of the word (after an optional '=') being
			// its value.
			rest := w[1:]
			for rest != "" {
				name := rest[:1]
				rest = rest[1:]
				g := c.flag(name, false)
				if g == nil {
					return nil, usagef("unknown flag -%s", name)
				}
				if g.Value == "" && !strings.HasPrefix(rest, "=") {
					p.values[g.Long] = "true"
					continue
				}
				f = g
				if rest != "" {
					value, hasValue = strings.TrimPrefix(rest, "="), true
				}
				break
			}
			if f == nil {
				continue
			}
		}
		if f.Value == "" {
			if hasValue {
				if value != "true" && value != "false" {
					return nil, usagef("%s takes no value", f.names())
				}
				p.values[f.Long] = value
			} else {
				p.values[f.Long] = "true"
			}
			continue
		}
		if !hasValue {
			if i+1 >= len(words) {
				return nil, usagef("%s needs a value", f.names())
			}
			i++
			value = words[i]
		}
		if len(f.Choices) > 0 {
			v, ok := choose(f.Choices, value)
			if !ok {
				return nil, usagef("invalid value '%s' for %s, choose from %s", value, f.names(), strings.Join(f.Choices, "|"))
			}
			value = v
		}
		p.values[f.Long] = value
		p.all[f.Long] = append(p.all[f.Long], value)
	}
	if p.help {
		return p, nil
	}
	need, most := 0, 0
	for _, a := range c.Args {
		if !a.Optional {
			need++
		}
		most++
		if a.Repeated {
			most = 1 << 30
		}
	}
	if len(p.args) < need {
		return nil, usagef("missing arguments")
	}
	if len(p.args) > most {
		return nil, usagef("too many arguments")
	}
	for _, f := range c.Flags {
		if _, ok := p.values[f.Long]; f.Required && !ok {
			return nil, usagef("%s not provided", f.Long)
		}
	}
	return p, nil
}

func choose(choices []string, v string) (string, bool) {
	for _, c := range choices {
		if strings.EqualFold(c, v) {
			return c, true
		}
	}
	return "", false
}

func isNumber(w string) bool {
	s := strings.TrimPrefix(w, "-")
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

// usageError makes the command print its usage line after the message.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}
