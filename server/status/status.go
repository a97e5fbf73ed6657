// Package status builds the HTTP endpoints every server serves on its RPC
// port: /version, /health (ready only once serving), /metrics and Go's
// profiles under /pprof/. Roles add their own pages to the returned mux.
package status

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"
)

// Info describes the process for /version.
type Info struct {
	Version string    `json:"version"`
	Role    string    `json:"role"`
	Address string    `json:"address"`
	Started time.Time `json:"start_time"`
	GoVer   string    `json:"go_version"`
}

// NewMux returns the common endpoints. ready reports whether the server
// serves requests yet (nil: always); metrics, when not nil, is served at
// /metrics.
func NewMux(info Info, ready func() error, metrics http.Handler) *http.ServeMux {
	info.GoVer = runtime.Version()
	mux := http.NewServeMux()
	mux.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, info) })
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		if ready != nil {
			if err := ready(); err != nil {
				http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		fmt.Fprintln(w, "ok")
	})
	if metrics != nil {
		mux.Handle("/metrics", metrics)
	}
	mux.HandleFunc("/pprof/", pprof.Index)
	mux.HandleFunc("/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/pprof/profile", pprof.Profile)
	mux.HandleFunc("/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/pprof/trace", pprof.Trace)
	// net/http/pprof's index links to /debug/pprof/...; serve those too.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
