// Package cluster holds the cluster tests: real pegasus-server processes
// (one meta, three replica servers) on loopback addresses 127.0.0.x, driven
// through the Go client and the admin package, with restarts and kills.
package cluster

import (
	"fmt"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/test/testbox"
)

// serverBinary is built once for the whole package.
var serverBinary string

func TestMain(m *testing.M) {
	testbox.Main(m, []string{"pegasus-server"}, []*string{&serverBinary})
}

// startBox starts a onebox on 127.0.0.<host>, stopped when the test ends
// (also when it fails); its logs are printed on failure.
func startBox(t *testing.T, host int) *onebox.Box {
	t.Helper()
	b := testbox.Loopback(t, serverBinary, fmt.Sprintf("127.0.0.%d", host))
	testbox.Start(t, b, 90*time.Second, nil)
	return b
}
