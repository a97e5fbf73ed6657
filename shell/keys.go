package shell

import (
	prompt "github.com/c-bata/go-prompt"
)

// keyParser hands go-prompt one key at a time. go-prompt decodes each
// read as a single key, so pasted text — or a test that types a command
// and Enter at once — would otherwise be inserted whole, carriage return
// included. Bytes read past the first key wait for the next Read.
type keyParser struct {
	prompt.ConsoleParser
	pending []byte
}

func newKeyParser() *keyParser { return &keyParser{ConsoleParser: prompt.NewStandardInputParser()} }

// Read returns the next key: one control byte; an escape sequence (ESC
// and the bytes up to the next control byte); or a run of text.
func (p *keyParser) Read() ([]byte, error) {
	if len(p.pending) == 0 {
		b, err := p.ConsoleParser.Read()
		if err != nil || len(b) == 0 {
			return b, err
		}
		p.pending = append(p.pending[:0], b...)
	}
	n := 1
	switch c := p.pending[0]; {
	case c == 0x1b:
		for n < len(p.pending) && p.pending[n] >= 0x20 && p.pending[n] != 0x7f {
			n++
		}
	case c < 0x20 || c == 0x7f:
	default:
		for n < len(p.pending) && p.pending[n] >= 0x20 && p.pending[n] != 0x7f {
			n++
		}
	}
	out := append([]byte(nil), p.pending[:n]...)
	p.pending = p.pending[n:]
	return out, nil
}
