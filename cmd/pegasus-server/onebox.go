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
	dir := fs.String("dir", "", "directory holding the onebox's processes and data (default ./onebox, or ./onebox-NAME)")
	name := fs.String("name", onebox.DefaultName, "the cluster's name, also its duplication name (default: onebox, or onebox2 for port base 35600, or oneboxN for port base N*1000+600)")
	portBase := fs.String("port-base", "", "port base: meta on base+1, replica servers on base+201.. (35 or 35600: meta 35601, replicas 35801-35803); default 34600 for onebox, 35600 for onebox2")
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
	base := 0
	if *portBase != "" {
		if base, err = onebox.ParsePortBase(*portBase); err != nil {
			return usageError{err.Error()}
		}
	}
	nameSet := false
	fs.Visit(func(f *flag.Flag) { nameSet = nameSet || f.Name == "name" })
	if !nameSet && base != 0 {
		*name = onebox.NameForBase(base)
	}
	box, err := onebox.Named(*name, "127.0.0.1", base, *dir)
	if err != nil {
		return usageError{err.Error()}
	}
	if box.Dir, err = filepath.Abs(box.Dir); err != nil {
		return err
	}
	box.Binary, box.Out, box.HA = self, os.Stdout, *ha
	// Every onebox knows both standard clusters, so that onebox and
	// onebox2 duplicate to each other (docs/duplication.md).
	box.Dup = onebox.StandardGroup("127.0.0.1", "127.0.0.1")
	if *ha && box.MetaServers()[0] != onebox.MetaAddress {
		return usageError{"onebox --ha runs only on the default ports (its ZooKeeper uses 22181)"}
	}
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
