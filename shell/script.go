package shell

import (
	"bufio"
	"context"
	"io"
	"strings"
)

// ScriptReader reads commands — and the answers or mutation lines some
// commands ask for — one line at a time from a script file or a pipe.
type ScriptReader struct {
	r *bufio.Reader
}

// NewScriptReader reads lines from r.
func NewScriptReader(r io.Reader) *ScriptReader {
	return &ScriptReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// ReadLine returns the next line without its end of line; prompt is not
// printed (scripts have no prompt). It returns io.EOF after the last line.
func (sr *ScriptReader) ReadLine(string) (string, error) {
	line, err := sr.r.ReadString('\n')
	if err == io.EOF && line != "" {
		err = nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// RunCommands runs commands in order (the -e mode). It stops at the first
// failing command unless keepGoing, and returns the exit status of the
// first failure (0 if none). An interrupt always stops it.
func (s *Session) RunCommands(ctx context.Context, cmds []string, keepGoing bool) int {
	status := ExitOK
	for _, cmd := range cmds {
		code := s.Exec(ctx, cmd)
		if code != ExitOK && status == ExitOK {
			status = code
		}
		if s.quit || code == ExitInterrupted || ctx.Err() != nil || (code != ExitOK && !keepGoing) {
			break
		}
	}
	return status
}

// RunScript runs the lines of in as commands (the -f and standard input
// modes): blank lines and lines starting with # are skipped. With
// stopOnError it stops at the first failing command; either way it returns
// the exit status of the first failure.
func (s *Session) RunScript(ctx context.Context, in *ScriptReader, stopOnError bool) int {
	status := ExitOK
	for !s.quit && ctx.Err() == nil {
		line, err := in.ReadLine("")
		if err != nil {
			break
		}
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		code := s.Exec(ctx, line)
		if code != ExitOK && status == ExitOK {
			status = code
		}
		if code == ExitInterrupted || (code != ExitOK && stopOnError) {
			break
		}
	}
	if ctx.Err() != nil && status == ExitOK {
		status = ExitInterrupted
	}
	return status
}
