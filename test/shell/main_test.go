// Package shelltest tests pegasus-shell against real clusters: golden
// files of commands and their output (testdata/*.txt, rewritten with
// -rewrite), the binary in its scripted modes (exit codes, JSON, standard
// input, no terminal and no HOME), and the REPL driven through tmux.
package shelltest

import (
	"fmt"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/test/testbox"
)

// Binaries built once for the package.
var serverBinary, shellBinary string

func TestMain(m *testing.M) {
	testbox.Main(m, []string{"pegasus-server", "pegasus-shell"}, []*string{&serverBinary, &shellBinary})
}

// startBox starts a onebox on 127.0.0.<host> (one of 22..29, one per
// test, so that tests never meet a user's onebox or each other), stopped
// when the test ends, also when it fails; logs are printed on failure.
func startBox(t *testing.T, host int) *onebox.Box {
	t.Helper()
	b := testbox.Loopback(t, serverBinary, fmt.Sprintf("127.0.0.%d", host))
	testbox.Start(t, b, 60*time.Second, nil)
	return b
}
