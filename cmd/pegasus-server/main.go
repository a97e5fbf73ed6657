// Command pegasus-server runs one role of a pegasus-go cluster:
//
//	pegasus-server meta    -config conf/meta.toml
//	pegasus-server replica -config conf/replica.toml
//	pegasus-server onebox  start|stop|status|clear|add-replica|stop-replica PORT [-name onebox] [-port-base 34] [-dir ./onebox] [-ha]
//
// meta and replica run in the foreground until SIGTERM or SIGINT, then shut
// down cleanly. onebox manages a local cluster of such processes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func usage() {
	fmt.Fprintf(os.Stderr, `usage:
  pegasus-server meta    -config FILE     run a meta server
  pegasus-server replica -config FILE     run a replica server
  pegasus-server onebox  start|stop|status|clear [-name NAME] [-port-base N] [-dir DIR] [-ha]
  pegasus-server onebox  add-replica | stop-replica PORT [-name NAME] [-dir DIR]
                                          manage a local cluster (1 meta, 3 replica servers;
                                          with -ha: ZooKeeper and 3 meta servers). -name onebox2
                                          (or -port-base 35) runs a second one beside it: meta
                                          35601, replicas 35801-35803, in ./onebox-onebox2
`)
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "meta", "replica":
		err = runRole(os.Args[1], os.Args[2:])
	case "onebox":
		err = runOnebox(os.Args[2:])
	case "-h", "-help", "--help", "help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "pegasus-server: unknown role %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "pegasus-server: %v\n", err)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "pegasus-server: %v\n", err)
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func runRole(role string, args []string) error {
	fs := flag.NewFlagSet(role, flag.ContinueOnError)
	path := fs.String("config", "", "TOML configuration file")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *path == "" {
		return usageError{role + ": -config is required"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if role == "meta" {
		return runMeta(ctx, *path)
	}
	return runReplica(ctx, *path)
}
