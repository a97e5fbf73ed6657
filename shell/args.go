package shell

import (
	"errors"
	"strconv"
	"strings"
)

// errBadQuotes is returned for a line whose quoting does not parse.
var errBadQuotes = errors.New("Invalid argument(s)")

// splitArgs splits a command line the way upstream's shell does (Redis
// sdssplitargs rules): words separated by blanks; in double quotes the
// escapes \n \r \t \b \a \\ \" and \xHH; in single quotes only \'; a closing
// quote must be followed by a blank or the end of the line.
func splitArgs(line string) ([]string, error) {
	var out []string
	i := 0
	for {
		for i < len(line) && isBlank(line[i]) {
			i++
		}
		if i >= len(line) {
			return out, nil
		}
		var cur []byte
		inDouble, inSingle := false, false
		for ; ; i++ {
			if i >= len(line) {
				if inDouble || inSingle {
					return nil, errBadQuotes
				}
				break
			}
			c := line[i]
			switch {
			case inDouble:
				if c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]) {
					v, _ := strconv.ParseUint(line[i+2:i+4], 16, 8)
					cur = append(cur, byte(v))
					i += 3
				} else if c == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, line[i])
					}
				} else if c == '"' {
					if i+1 < len(line) && !isBlank(line[i+1]) {
						return nil, errBadQuotes
					}
					inDouble = false
					i++
					goto done
				} else {
					cur = append(cur, c)
				}
			case inSingle:
				if c == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					cur = append(cur, '\'')
					i++
				} else if c == '\'' {
					if i+1 < len(line) && !isBlank(line[i+1]) {
						return nil, errBadQuotes
					}
					inSingle = false
					i++
					goto done
				} else {
					cur = append(cur, c)
				}
			default:
				switch c {
				case ' ', '\t', '\n', '\r':
					goto done
				case '"':
					inDouble = true
				case '\'':
					inSingle = true
				default:
					cur = append(cur, c)
				}
			}
		}
	done:
		out = append(out, string(cur))
	}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// escapeBytes prints bytes for the session: every byte as \xHH when all is
// set, C-style otherwise.
func escapeBytes(b []byte, all bool) string {
	if !all {
		return escape(b)
	}
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, 4*len(b))
	for _, c := range b {
		out = append(out, '\\', 'x', hex[c>>4], hex[c&15])
	}
	return string(out)
}

// escape prints bytes C-style: printable ASCII as is, common escapes, and
// \xHH (upper-case) for the rest.
func escape(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		switch c {
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\t':
			out = append(out, '\\', 't')
		case '"':
			out = append(out, '\\', '"')
		case '\'':
			out = append(out, '\\', '\'')
		case '\\':
			out = append(out, '\\', '\\')
		default:
			if c >= 0x20 && c <= 0x7e {
				out = append(out, c)
			} else {
				const hex = "0123456789ABCDEF"
				out = append(out, '\\', 'x', hex[c>>4], hex[c&15])
			}
		}
	}
	return string(out)
}

// splitCommands splits a -e argument into commands at semicolons that are
// outside quotes; empty commands are dropped.
func splitCommands(s string) []string {
	var out []string
	var cur []byte
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			cur = append(cur, c)
			if c == '\\' && i+1 < len(s) {
				i++
				cur = append(cur, s[i])
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
			cur = append(cur, c)
		case c == ';':
			out = appendCommand(out, cur)
			cur = nil
		default:
			cur = append(cur, c)
		}
	}
	return appendCommand(out, cur)
}

func appendCommand(out []string, cmd []byte) []string {
	if t := strings.TrimSpace(string(cmd)); t != "" {
		out = append(out, t)
	}
	return out
}
