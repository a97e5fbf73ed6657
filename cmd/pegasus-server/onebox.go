package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pegasus-go/pegasus/admin/onebox"
)

func runOnebox(args []string) error {
	if len(args) < 1 {
		return usageError{"onebox: want start, stop, status, clear, add-replica or stop-replica PORT"}
	}
	fs := flag.NewFlagSet("onebox", flag.ContinueOnError)
	dir := fs.String("dir", "onebox", "directory holding the onebox's processes and data")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long start waits for the cluster to be served")
	ha := fs.Bool("ha", false, "start: run ZooKeeper on 127.0.0.1:22181 and three meta servers (34601-34603) keeping their state in it")
	rest := args[1:]
	var portArg string
	if args[0] == "stop-replica" && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		portArg, rest = rest[0], rest[1:] // stop-replica PORT [flags]
	}
	if err := fs.Parse(rest); err != nil {
		return usageError{err.Error()}
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("onebox: find own binary: %w", err)
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	box := &onebox.Box{Dir: abs, Binary: self, Out: os.Stdout, HA: *ha}
	switch args[0] {
	case "start":
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		return box.Start(ctx)
	case "stop":
		return box.Stop(15 * time.Second)
	case "status":
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return box.Status(ctx, os.Stdout)
	case "clear":
		return box.Clear()
	case "add-replica":
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		_, err := box.AddReplica(ctx)
		return err
	case "stop-replica":
		if portArg == "" && fs.NArg() == 1 {
			portArg = fs.Arg(0)
		}
		if portArg == "" {
			return usageError{"onebox stop-replica: want the port of the replica server to stop"}
		}
		port, err := onebox.ParsePort(portArg)
		if err != nil {
			return usageError{err.Error()}
		}
		return box.StopReplica(port, 15*time.Second)
	}
	return usageError{fmt.Sprintf("onebox: unknown command %q", args[0])}
}
