package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pegasus-go/pegasus/admin/onebox"
)

func runOnebox(args []string) error {
	if len(args) < 1 {
		return usageError{"onebox: want start, stop, status or clear"}
	}
	fs := flag.NewFlagSet("onebox", flag.ContinueOnError)
	dir := fs.String("dir", "onebox", "directory holding the onebox's processes and data")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long start waits for the cluster to be served")
	ha := fs.Bool("ha", false, "start: run ZooKeeper on 127.0.0.1:22181 and three meta servers (34601-34603) keeping their state in it")
	if err := fs.Parse(args[1:]); err != nil {
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
	}
	return usageError{fmt.Sprintf("onebox: unknown command %q", args[0])}
}
