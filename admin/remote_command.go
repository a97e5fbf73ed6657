package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/cmd"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// RemoteCommand sends a remote command (RPC_CLI_CLI_CALL) to the server
// process at addr — any meta or replica server — and returns its text
// answer. It opens a connection of its own for the call.
func RemoteCommand(ctx context.Context, addr, command string, args []string) (string, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	conn, err := rpc.Dial(ctx, addr, rpc.ConnOptions{})
	if err != nil {
		return "", fmt.Errorf("connect %s: %w", addr, err)
	}
	defer conn.Close()
	if args == nil {
		args = []string{}
	}
	req := &cmd.RemoteCmdCallArgs{Cmd: &cmd.Command{Cmd: command, Arguments: args}}
	res := &cmd.RemoteCmdCallResult{}
	if err := conn.Call(ctx, wire.Header{}, catalog.RPC_CLI_CLI_CALL, req, res); err != nil {
		return "", fmt.Errorf("remote command %s on %s: %w", command, addr, err)
	}
	if res.Success == nil {
		return "", nil
	}
	return *res.Success, nil
}
