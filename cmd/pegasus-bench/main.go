// Command pegasus-bench drives set/get load at a pegasus-go (or Pegasus)
// cluster through the Go client and reports throughput and latency
// percentiles, as text or JSON:
//
//	pegasus-bench -op fill -keys 100000
//	pegasus-bench -op get -workers 64 -duration 30s -json
//	pegasus-bench -op mixed -check -duration 60s   # zero lost writes, zero wrong reads?
//	pegasus-bench -op set -server-cost             # and the servers' CPU per write
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/pegasus-go/pegasus/admin/bench"
)

func main() {
	var cfg bench.Config
	metas := flag.String("meta", "127.0.0.1:34601", "meta servers, comma-separated host:port")
	flag.StringVar(&cfg.Table, "table", "temp", "table to load")
	flag.StringVar(&cfg.Op, "op", "mixed", "set, get, mixed or fill (set every key once)")
	flag.Float64Var(&cfg.ReadRatio, "read-ratio", 0.5, "fraction of gets in -op mixed")
	flag.IntVar(&cfg.Workers, "workers", 64, "concurrent workers")
	flag.IntVar(&cfg.ValueSize, "value-size", 1024, "value size in bytes")
	flag.IntVar(&cfg.Keys, "keys", 100000, "key space (hash keys k0..k<keys-1>)")
	flag.DurationVar(&cfg.Duration, "duration", 10*time.Second, "run time (0: until -count)")
	flag.Int64Var(&cfg.Count, "count", 0, "operations to issue (0: until -duration)")
	flag.DurationVar(&cfg.Timeout, "timeout", 5*time.Second, "per-operation timeout")
	flag.Float64Var(&cfg.Rate, "rate", 0, "cap on total operations per second (0: unthrottled)")
	flag.Int64Var(&cfg.Seed, "seed", 1, "random seed")
	flag.BoolVar(&cfg.Check, "check", false, "record every acknowledged write and verify every read against it, during the run and after it (each worker owns its keys); exit 1 on a lost write or a wrong read")
	flag.BoolVar(&cfg.ServerCost, "server-cost", false, "also report what the load cost the replica servers per op (CPU, time waiting for a CPU, Go allocation, log syncs) and their mean log sync and prepare ack times, from their /metrics before and after it (pegasus-go servers only)")
	asJSON := flag.Bool("json", false, "print the result as JSON")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the load generator to this file")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "pegasus-bench: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	cfg.MetaServers = strings.Split(*metas, ",")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "pegasus-bench: %v\n", err)
			os.Exit(1)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "pegasus-bench: %v\n", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pegasus-bench: %v\n", err)
		os.Exit(1)
	}
	res.Print(os.Stdout, *asJSON)
	if res.Total.Errors > 0 || res.Check != nil && !res.Check.OK() {
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}
