package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/pegasus-go/pegasus/server/config"
	"github.com/pegasus-go/pegasus/server/meta"
	"github.com/pegasus-go/pegasus/server/metastore"
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
	if mc.Address == "" || (mc.DataDir == "" && !mc.ZooKeeper.Enabled()) {
		return fmt.Errorf("%s: [meta] needs address, and data_dir unless [meta.zookeeper] lists servers", path)
	}
	level, err := meta.ParseFunctionLevel(mc.FunctionLevel)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	opts := meta.Options{
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
		BackupRoot:          cfg.Backup.LocalServiceRoot,
		Duplication:         cfg.Duplication,
		Logger:              log,
	}
	closeHA := func() {}
	if mc.ZooKeeper.Enabled() {
		if closeHA, err = withZooKeeper(ctx, &opts, mc.ZooKeeper, log); err != nil {
			return err
		}
	}
	defer closeHA()
	m, err := meta.New(opts)
	if err != nil {
		return err
	}
	reg := metrics.New()
	configPage, err := status.ConfigPage(cfg, "log", "debug", "meta", "duplication")
	if err == nil {
		err = reg.Register(m.Collector())
	}
	if err == nil && mc.DataDir != "" {
		err = reg.Register(status.DiskCollector(mc.DataDir))
	}
	if err != nil {
		m.Close()
		return fmt.Errorf("meta server: %w", err)
	}
	mux := status.NewMux(status.Info{Version: remotecmd.Version, Role: "meta", Address: mc.Address, Started: time.Now()}, nil, reg.Handler())
	mux.Handle("/config", configPage)
	m.RegisterHTTP(mux)
	rs := rpc.NewServer(rpc.ServerOptions{Logger: log, HTTP: mux})
	m.Register(rs)
	cmds := remotecmd.NewRegistry("meta")
	cmds.AddLogLevel(logLevel, config.ParseLevel)
	addMetaCommands(cmds, m)
	cmds.Register(rs)
	l, err := net.Listen("tcp", mc.Address)
	if err != nil {
		m.Close()
		return fmt.Errorf("meta server: %w", err)
	}
	served := make(chan error, 1)
	go func() { served <- rs.Serve(l) }()
	log.Info("meta server started", "address", mc.Address, "data_dir", mc.DataDir, "zookeeper", mc.ZooKeeper.Servers)
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

// zkConnectWait bounds how long a meta server waits for ZooKeeper at
// start before giving up.
const zkConnectWait = time.Minute

// withZooKeeper opens the ZooKeeper store and election into opts; the
// returned func withdraws the candidacy (so a standby takes over at once)
// and ends the session, after the meta server has closed.
func withZooKeeper(ctx context.Context, opts *meta.Options, zc config.ZooKeeper, log *slog.Logger) (func(), error) {
	cctx, cancel := context.WithTimeout(ctx, zkConnectWait)
	defer cancel()
	log.Info("meta server: connecting to ZooKeeper", "servers", zc.Servers, "root", zc.Root)
	zs, err := metastore.OpenZooKeeper(cctx, metastore.ZooKeeperOptions{
		Servers: zc.Servers, SessionTimeout: zc.SessionTimeout.Duration, Root: zc.Root, Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("meta server: %w", err)
	}
	el, err := meta.NewZooKeeperElection(zs, meta.ZooKeeperElectionOptions{Address: opts.Address, Logger: log})
	if err != nil {
		zs.Close()
		return nil, err
	}
	opts.Store, opts.Election = zs, el
	return func() {
		if err := el.Close(); err != nil {
			log.Warn("meta server: withdraw from the election", "err", err)
		}
		zs.Close()
	}, nil
}
