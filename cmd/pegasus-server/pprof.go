package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/pegasus-go/pegasus/server/config"
	"time"
)

// tuneRuntime applies the [debug] runtime settings.
func tuneRuntime(d config.Debug) {
	if os.Getenv("GOGC") == "" && d.GCPercent > 0 {
		debug.SetGCPercent(d.GCPercent)
	}
	if os.Getenv("GOMAXPROCS") == "" && d.MaxProcs > 0 {
		runtime.GOMAXPROCS(d.MaxProcs)
	}
}

// servePprof serves Go's profiling endpoints on addr until ctx ends.
func servePprof(ctx context.Context, addr string, log *slog.Logger) {
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error("pprof: listen", "address", addr, "err", err)
		return
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	log.Info("pprof: serving", "address", addr)
}
