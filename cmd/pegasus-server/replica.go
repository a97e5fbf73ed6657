package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/pegasus-go/pegasus/rocksdb"
	"github.com/pegasus-go/pegasus/server/config"
	"github.com/pegasus-go/pegasus/server/metrics"
	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/server/remotecmd"
	"github.com/pegasus-go/pegasus/server/replica"
	"github.com/pegasus-go/pegasus/server/replica/mlog"
	"github.com/pegasus-go/pegasus/server/status"
	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

func runReplica(ctx context.Context, path string) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	restartErr := restartTuned(cfg.Debug) // returns only without a restart
	log, level, closeLog, err := cfg.Log.Open()
	if err != nil {
		return err
	}
	defer closeLog()
	if restartErr != nil {
		log.Warn("replica server: running without its start-up tuning", "err", restartErr)
	}
	tuneRuntime(cfg.Debug)
	rc := cfg.Replica
	if rc.Address == "" || rc.DataDir == "" || len(rc.MetaServers) == 0 {
		return fmt.Errorf("%s: [replica] needs address, data_dir and meta_servers", path)
	}
	periodic, err := config.ParseLogSync(rc.Replication.LogSync)
	if err != nil {
		return fmt.Errorf("%s: [replica.replication] %w", path, err)
	}
	logOpts := mlog.Options{SegmentBytes: rc.Replication.LogSegmentBytes, SyncInterval: rc.Replication.LogSyncInterval.Duration}
	if periodic {
		logOpts.Policy = mlog.SyncPeriodic
	}
	logOpts.SyncInPlace = rc.Replication.LogSyncInPlace == nil || *rc.Replication.LogSyncInPlace
	reg := metrics.New()
	dataOps := metrics.NewDataOps(reg)
	logSync := replica.NewLogSyncHistogram()
	logOpts.SyncObserver = func(d time.Duration) { logSync.Observe(d.Seconds()) }
	prepareAck := replica.NewPrepareAckHistogram()
	node, err := replica.NewNode(replica.NodeOptions{
		Metrics:            dataOps,
		Address:            rc.Address,
		DataDir:            rc.DataDir,
		MetaServers:        rc.MetaServers,
		BeaconInterval:     rc.BeaconInterval.Duration,
		LeaseTimeout:       rc.LeaseTimeout.Duration,
		ConfigSyncInterval: rc.ConfigSyncInterval.Duration,
		MaxWriteSize:       rc.MaxWriteSize,
		Log:                logOpts,
		PrepareAckObserver: func(peer netip.AddrPort, took time.Duration) {
			prepareAck.WithLabelValues(peer.String()).Observe(took.Seconds())
		},
		LogMaxBytes: rc.Replication.LogMaxBytes,
		Replication: pacifica.Options{
			MinReplicaCount:     rc.Replication.MinReplicaCount,
			StalenessForCommit:  rc.Replication.MutationsInFlight,
			PrepareTimeoutTicks: replica.Ticks(rc.Replication.PrepareTimeout.Duration),
			GroupCheckTicks:     replica.Ticks(rc.Replication.GroupCheckInterval.Duration),
			EmptyWriteDisabled:  rc.Replication.EmptyWriteDisabled,
		},
		Storage: storage.Options{Engine: rocksdb.Options{
			BlockCacheBytes:      rc.RocksDB.BlockCacheBytes,
			WriteBufferBytes:     rc.RocksDB.WriteBufferBytes,
			ArenaBlockBytes:      rc.RocksDB.ArenaBlockBytes,
			MaxWriteBufferNumber: rc.RocksDB.MaxWriteBufferNumber,
			Compression:          rocksdb.Compression(rc.RocksDB.Compression),
			BloomBitsPerKey:      rc.RocksDB.BloomBitsPerKey,
			SyncWrites:           rc.RocksDB.SyncWrites,
			TickerStatistics:     true, // block cache hits and misses on /metrics
		}},
		Logger:      log,
		Duplication: cfg.Duplication,
	})
	if err != nil {
		return err
	}
	if err := reg.Register(node.Collector(), node.DupCollector(), logSync, prepareAck, status.DiskCollector(rc.DataDir)); err != nil {
		node.Close()
		return fmt.Errorf("replica server: metrics: %w", err)
	}
	mux := status.NewMux(status.Info{Version: remotecmd.Version, Role: "replica", Address: rc.Address, Started: time.Now()},
		func() error {
			if !node.Connected() {
				return errors.New("no lease from the meta server")
			}
			return nil
		}, reg.Handler())
	configPage, err := status.ConfigPage(cfg, "log", "debug", "replica")
	if err != nil {
		node.Close()
		return fmt.Errorf("replica server: %w", err)
	}
	mux.Handle("/config", configPage)
	rs := rpc.NewServer(rpc.ServerOptions{Logger: log, HTTP: mux})
	node.Register(rs)
	cmds := remotecmd.NewRegistry("replica")
	cmds.AddLogLevel(level, config.ParseLevel)
	cmds.Add(remotecmd.Command{Name: "server-stat", Usage: "server-stat", Help: "requests, errors, rate and mean latency per data operation",
		Run: func(context.Context, []string) (string, error) { return dataOps.Summary(), nil }})
	cmds.Add(remotecmd.Command{Name: "flush-log", Usage: "flush-log",
		Help: "flush every replica's memtables to SST files and collect the mutation log",
		Run: func(ctx context.Context, _ []string) (string, error) {
			rep, err := node.FlushLog(ctx)
			return rep.String(), err
		}})
	cmds.Register(rs)
	l, err := net.Listen("tcp", rc.Address)
	if err != nil {
		node.Close()
		return fmt.Errorf("replica server: %w", err)
	}
	served := make(chan error, 1)
	go func() { served <- rs.Serve(l) }()
	node.Start()
	log.Info("replica server started", "address", rc.Address, "data_dir", rc.DataDir, "meta_servers", rc.MetaServers)
	select {
	case <-ctx.Done():
		log.Info("replica server: shutting down")
	case err = <-served:
		log.Error("replica server: serving stopped", "err", err)
	}
	rs.Close()
	if cerr := node.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err == nil || err == rpc.ErrServerClosed {
		log.Info("replica server stopped")
		return nil
	}
	return err
}
