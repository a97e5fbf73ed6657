package ha

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/admin/onebox"
	"github.com/pegasus-go/pegasus/client"
)

// failoverBound is how long a standby may take to lead after the leader
// died: the ZooKeeper session timeout (4s in the HA onebox), plus the
// takeover, plus slack for a loaded two-core machine.
const failoverBound = 15 * time.Second

// TestHA runs one HA onebox through every failure the meta servers must
// survive, checking after each that a single meta server leads, clients
// keep working, and no table, partition configuration or acknowledged
// write is lost.
func TestHA(t *testing.T) {
	start := time.Now()
	b := startHABox(t)
	t.Logf("HA onebox up in %v", time.Since(start))
	metas := b.MetaServers()
	ac := admin.New(metas)
	defer ac.Close()
	c := client.New(client.Config{MetaServers: metas})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tb, err := c.OpenTable(ctx, onebox.TableName)
	if err != nil {
		t.Fatalf("open table: %v", err)
	}
	if _, err := ac.CreateTable(ctx, "ha", 4, 3, nil, false); err != nil {
		t.Fatalf("create table ha: %v", err)
	}
	if err := ac.WaitReady(ctx, "ha", 100*time.Millisecond, nil); err != nil {
		t.Fatalf("table ha: %v", err)
	}
	acked := map[string]string{}
	keep := func(m map[string]string) {
		for k, v := range m {
			acked[k] = v
		}
	}
	state := snapshot(t, ac)

	t.Run("kill -9 the leader under load", func(t *testing.T) {
		settle(t, b)
		leader := waitLeader(t, 10*time.Second, metas)
		ld := startLoad(tb, "kill")
		ld.waitProgress(t, 50, 20*time.Second)
		// An admin operation in flight as the leader dies.
		inflight := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := ac.CreateTable(ctx, "inflight", 2, 3, nil, false)
			inflight <- err
		}()
		killed := time.Now()
		if err := b.Kill(metaName(b, leader), syscall.SIGKILL, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		next := waitLeader(t, failoverBound, without(metas, leader))
		t.Logf("failover after kill -9 of leader %s: %s leads after %v", leader, next, time.Since(killed))
		// It finished or failed with an error; retried, it completes, and
		// the table exists once, whole.
		t.Logf("create issued as the leader died: err = %v", <-inflight)
		if _, err := ac.CreateTable(context.Background(), "inflight", 2, 3, nil, true); err != nil {
			t.Fatalf("retry the in-flight create: %v", err)
		}
		if cfg, err := ac.QueryConfig(context.Background(), "inflight"); err != nil || cfg.PartitionCount != 2 || len(cfg.Partitions) != 2 {
			t.Fatalf("table inflight after the failover: %+v %v", cfg, err)
		}
		ld.waitProgress(t, 200, 30*time.Second)
		// An admin operation right after the takeover.
		if _, err := ac.CreateTable(context.Background(), "after-kill", 2, 3, nil, false); err != nil {
			t.Fatalf("create a table on the new leader: %v", err)
		}
		m, s := ld.finish()
		keep(m)
		t.Logf("load: %d writes acknowledged, %d failed, longest stall %v", s.ok, s.failures, s.maxStall)
		state.keeps(t, snapshot(t, ac), "after the failover")
		checkAll(t, tb, m)

		// The killed meta server comes back as a standby.
		lctx, lcancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer lcancel()
		if err := b.Launch(lctx, metaName(b, leader)); err != nil {
			t.Fatal(err)
		}
		if l := waitLeader(t, 10*time.Second, metas); l != next {
			t.Fatalf("leadership moved to %s when %s came back", l, leader)
		}
		state = snapshot(t, ac)
	})

	t.Run("restart every meta server", func(t *testing.T) {
		settle(t, b)
		for _, m := range metas {
			if err := b.Kill(metaName(b, m), syscall.SIGTERM, 15*time.Second); err != nil {
				t.Fatal(err)
			}
		}
		lctx, lcancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer lcancel()
		for _, m := range metas {
			if err := b.Launch(lctx, metaName(b, m)); err != nil {
				t.Fatal(err)
			}
		}
		waitLeader(t, 10*time.Second, metas)
		state.keeps(t, snapshot(t, ac), "after restarting every meta server")
		checkAll(t, tb, acked)
		ld := startLoad(tb, "restart")
		ld.waitProgress(t, 100, 30*time.Second)
		m, _ := ld.finish()
		keep(m)
	})

	t.Run("ZooKeeper restart under load", func(t *testing.T) {
		settle(t, b)
		ld := startLoad(tb, "zk")
		ld.waitProgress(t, 50, 20*time.Second)
		if err := b.KillZooKeeper(); err != nil {
			t.Fatal(err)
		}
		down := time.Now()
		zctx, zcancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer zcancel()
		if err := b.StartZooKeeper(zctx); err != nil {
			t.Fatal(err)
		}
		l := waitLeader(t, failoverBound, metas)
		t.Logf("ZooKeeper killed and restarted: %s leads %v after the kill", l, time.Since(down))
		ld.waitProgress(t, 200, 30*time.Second)
		if _, err := ac.CreateTable(context.Background(), "after-zk", 2, 3, nil, false); err != nil {
			t.Fatalf("create a table after the ZooKeeper restart: %v", err)
		}
		m, s := ld.finish()
		keep(m)
		t.Logf("load: %d writes acknowledged, %d failed, longest stall %v", s.ok, s.failures, s.maxStall)
		state.keeps(t, snapshot(t, ac), "after the ZooKeeper restart")
		state = snapshot(t, ac)
	})

	t.Run("paused leader loses its session", func(t *testing.T) {
		settle(t, b)
		leader := waitLeader(t, 10*time.Second, metas)
		name := metaName(b, leader)
		ld := startLoad(tb, "pause")
		ld.waitProgress(t, 50, 20*time.Second)
		if err := b.Kill(name, syscall.SIGSTOP, 0); err != nil {
			t.Fatal(err)
		}
		paused := time.Now()
		resumed := false
		defer func() {
			if !resumed {
				b.Kill(name, syscall.SIGCONT, 0)
			}
		}()
		next := waitLeader(t, failoverBound, without(metas, leader))
		t.Logf("failover from paused leader %s: %s leads after %v", leader, next, time.Since(paused))
		ld.waitProgress(t, 100, 30*time.Second)
		if err := b.Kill(name, syscall.SIGCONT, 0); err != nil {
			t.Fatal(err)
		}
		resumed = true
		// Its lease lapsed long ago: from the moment it runs again it
		// must not answer as the leader.
		for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
			cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
			l, err := leaderOf(cctx, leader)
			ccancel()
			if err == nil && l == leader {
				t.Fatalf("the resumed old leader %s acts as leader while %s leads", leader, next)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if l := waitLeader(t, 10*time.Second, metas); l != next {
			t.Fatalf("leader %s after the old one resumed, want %s", l, next)
		}
		m, s := ld.finish()
		keep(m)
		t.Logf("load: %d writes acknowledged, %d failed, longest stall %v", s.ok, s.failures, s.maxStall)
		state.keeps(t, snapshot(t, ac), "after the paused leader resumed")
	})

	checkAll(t, tb, acked)
	t.Logf("%d acknowledged writes read back; total %v", len(acked), time.Since(start))
}

// settle waits (bounded) until every replica server is alive and every
// partition of the onebox's table is served, so that one phase's
// disruption does not run into the next one's.
func settle(t *testing.T, b *onebox.Box) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := b.WaitServed(ctx); err != nil {
		t.Fatalf("cluster did not settle: %v", err)
	}
}
