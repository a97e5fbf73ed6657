// Command pegasus-shell is the DBA's shell for a pegasus-go or Pegasus
// cluster. Interactive on a terminal; reads commands from standard input
// when piped; runs the commands of -e and exits otherwise:
//
//	pegasus-shell -m 127.0.0.1:34601
//	pegasus-shell -e "use temp" -e "set hk sk v" -e "get hk sk"
//
// Exit status: 0 when every command succeeded, 1 when any failed, 2 for bad
// flags.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/pegasus-go/pegasus/shell"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, "; ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	metas := flag.String("m", "127.0.0.1:34601", "meta servers, comma-separated host:port")
	flag.StringVar(metas, "cluster", "127.0.0.1:34601", "same as -m")
	var exprs multiFlag
	flag.Var(&exprs, "e", "run this command and exit (repeatable; runs in order)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "pegasus-shell: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	s := shell.NewSession(strings.Split(*metas, ","), os.Stdout, os.Stderr)
	defer s.Close()
	failed := 0
	switch {
	case len(exprs) > 0:
		for _, e := range exprs {
			if !s.Exec(ctx, e) {
				failed++
			}
		}
	case isTerminal(os.Stdin):
		fmt.Printf("Pegasus Shell %s\nType \"help\" for the commands, Ctrl-D to exit.\n\nThe cluster meta list is: %s\n", shell.Version, *metas)
		failed = s.Run(ctx, os.Stdin, ">>> ")
		failed = 0 // interactive sessions report failures as they happen
	default:
		failed = s.Run(ctx, os.Stdin, "")
	}
	if failed > 0 {
		s.Close()
		os.Exit(1)
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
