package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/pegasus-go/pegasus/server/config"
	"github.com/pegasus-go/pegasus/server/meta"
	"github.com/pegasus-go/pegasus/server/metrics"
	"github.com/pegasus-go/pegasus/server/remotecmd"
	"github.com/pegasus-go/pegasus/server/status"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

func runMeta(ctx context.Context, path string) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	log, logLevel, closeLog, err := cfg.Log.Open()
	if err != nil {
		return err
	}
	defer closeLog()
	tuneRuntime(cfg.Debug)
	mc := cfg.Meta
	if mc.Address == "" || mc.DataDir == "" {
		return fmt.Errorf("%s: [meta] needs address and data_dir", path)
	}
	level, err := meta.ParseFunctionLevel(mc.FunctionLevel)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	m, err := meta.New(meta.Options{
		Address:             mc.Address,
		DataDir:             mc.DataDir,
		MetaServers:         mc.MetaServers,
		ClusterName:         mc.ClusterName,
		FDGrace:             mc.FDGrace.Duration,
		FDLease:             mc.FDGrace.Duration * 10 / 11,
		FDCheckInterval:     mc.FDCheckInterval.Duration,
		CureInterval:        mc.CureInterval.Duration,
		HoldDroppedApps:     mc.HoldDroppedApps.Duration,
		DefaultReplicaCount: mc.DefaultMaxReplicaCount,
		FunctionLevel:       level,
		Logger:              log,
	})
	if err != nil {
		return err
	}
	mux := status.NewMux(status.Info{Version: remotecmd.Version, Role: "meta", Address: mc.Address, Started: time.Now()}, nil, metrics.New().Handler())
	rs := rpc.NewServer(rpc.ServerOptions{Logger: log, HTTP: mux})
	m.Register(rs)
	cmds := remotecmd.NewRegistry("meta")
	cmds.AddLogLevel(logLevel, config.ParseLevel)
	cmds.Register(rs)
	l, err := net.Listen("tcp", mc.Address)
	if err != nil {
		m.Close()
		return fmt.Errorf("meta server: %w", err)
	}
	served := make(chan error, 1)
	go func() { served <- rs.Serve(l) }()
	log.Info("meta server started", "address", mc.Address, "data_dir", mc.DataDir)
	select {
	case <-ctx.Done():
		log.Info("meta server: shutting down")
	case err = <-served:
		log.Error("meta server: serving stopped", "err", err)
	}
	rs.Close()
	if cerr := m.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err == nil || err == rpc.ErrServerClosed {
		log.Info("meta server stopped")
		return nil
	}
	return err
}
