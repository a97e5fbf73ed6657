package shell

import (
	"strings"

	prompt "github.com/c-bata/go-prompt"
)

// completer offers, as the user types: command names (with their
// summaries) for the first word; flags after a '-'; and for a flag value
// or a positional argument the values of its kind — table names, node
// addresses, env keys, meta levels, remote command names, cluster names —
// fetched from the cluster and cached briefly (live.go).
func (s *Session) completer(d prompt.Document) []prompt.Suggest {
	return s.suggest(d.TextBeforeCursor())
}

func (s *Session) suggest(before string) []prompt.Suggest {
	words := strings.Fields(before)
	atSpace := before == "" || strings.HasSuffix(before, " ")
	cur := ""
	if !atSpace && len(words) > 0 {
		cur, words = words[len(words)-1], words[:len(words)-1]
	}
	if len(words) == 0 {
		if cur == "" {
			return nil
		}
		var out []prompt.Suggest
		seen := map[string]bool{}
		for _, c := range commands {
			out = append(out, prompt.Suggest{Text: c.Name, Description: c.Summary})
			for _, a := range c.Aliases {
				// A two-word alias offers its first word once.
				if first, _, ok := strings.Cut(a, " "); ok {
					if !seen[first] {
						seen[first] = true
						out = append(out, prompt.Suggest{Text: first, Description: "subcommands: " + first + " <...>"})
					}
					continue
				}
				out = append(out, prompt.Suggest{Text: a, Description: c.Summary})
			}
		}
		return prompt.FilterHasPrefix(out, cur, true)
	}
	if len(words) == 1 && lookup(words[0]) == nil {
		var out []prompt.Suggest
		for _, sc := range subcommands(words[0]) {
			out = append(out, prompt.Suggest{Text: sc[0], Description: sc[1]})
		}
		return prompt.FilterHasPrefix(out, cur, true)
	}
	cmd, rest := lookupWords(words)
	if cmd == nil {
		return nil
	}
	if strings.HasPrefix(cur, "-") {
		var out []prompt.Suggest
		for _, f := range cmd.Flags {
			desc := f.Help
			if f.Short != "" {
				desc = "-" + f.Short + ": " + desc
			}
			if strings.HasPrefix("--"+f.Long, cur) || (f.Short != "" && strings.HasPrefix("-"+f.Short, cur)) {
				out = append(out, prompt.Suggest{Text: "--" + f.Long, Description: desc})
			}
		}
		return out
	}
	// Walk the words typed so far to see what cur is: a flag's value, or
	// which positional argument.
	pos := 0
	var valueOf *Flag
	for _, w := range rest {
		if valueOf != nil {
			valueOf = nil
			continue
		}
		if strings.HasPrefix(w, "-") && len(w) > 1 && !isNumber(w) {
			var f *Flag
			if strings.HasPrefix(w, "--") {
				if strings.Contains(w, "=") {
					continue
				}
				f = cmd.flag(w[2:], true)
			} else {
				f = cmd.flag(w[len(w)-1:], false)
				if len(w) > 2 {
					f = nil // -xVALUE
				}
			}
			if f != nil && f.Value != "" {
				valueOf = f
			}
			continue
		}
		pos++
	}
	var kind Kind
	var choices []string
	switch {
	case valueOf != nil:
		kind, choices = valueOf.Kind, valueOf.Choices
	case len(cmd.Args) > 0:
		i := pos
		if i >= len(cmd.Args) {
			if !cmd.Args[len(cmd.Args)-1].Repeated {
				return nil
			}
			i = len(cmd.Args) - 1
		}
		kind = cmd.Args[i].Kind
	}
	if choices == nil && kind != KindNone {
		choices = s.live.values(kind)
	}
	out := make([]prompt.Suggest, 0, len(choices))
	for _, c := range choices {
		out = append(out, prompt.Suggest{Text: c})
	}
	return prompt.FilterHasPrefix(out, cur, true)
}
