// Command pegasus-shell is the DBA's shell for a pegasus-go or Pegasus
// cluster: a REPL with completion on a terminal, commands from standard
// input when piped, and -e / -f for scripts with meaningful exit statuses.
// Everything lives in package shell; see docs/shell.md.
//
//	pegasus-shell -m 127.0.0.1:34601
//	pegasus-shell --cluster prod -e "use temp; get hk sk"
//	echo "ls" | pegasus-shell --cluster prod
package main

import (
	"os"

	"github.com/pegasus-go/pegasus/shell"
)

func main() {
	os.Exit(shell.Main(os.Args[1:]))
}
