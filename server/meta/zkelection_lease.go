package meta

import (
	"context"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/pegasus-go/pegasus/server/metastore"
)

// hold starts a term of leadership won on sess with a request sent at
// sent, and returns the channel keep closes when the term ends.
func (e *ZooKeeperElection) hold(ctx context.Context, sess metastore.Session, sent time.Time) <-chan struct{} {
	timeout := e.zs.SessionTimeout()
	e.mu.Lock()
	e.holding, e.validUntil, e.leader = true, sent.Add(timeout/2), e.addr
	node := e.node
	e.mu.Unlock()
	e.log.Info("meta: election: won", "node", node)
	lost := make(chan struct{})
	e.wg.Add(1)
	go e.keep(ctx, sess, node, timeout, lost)
	return lost
}

// keep renews the lease every timeout/4 and ends the term (closing lost)
// on the first of: the connection's state changes, the node is deleted,
// the lease lapses, ctx ends or the election closes.
func (e *ZooKeeperElection) keep(ctx context.Context, sess metastore.Session, node string, timeout time.Duration, lost chan struct{}) {
	defer e.wg.Done()
	why := "closed"
	defer func() {
		e.mu.Lock()
		e.holding, e.validUntil = false, time.Time{}
		e.mu.Unlock()
		close(lost)
		e.log.Warn("meta: election: leadership ended", "why", why)
	}()
	renewed := make(chan time.Time, 1) // the send time of a successful renewal
	renewing := false
	var nodeWatch <-chan zk.Event
	watchNode := func() bool {
		var ok bool
		err := e.zs.Call(ctx, func(c *zk.Conn) (err error) {
			ok, _, nodeWatch, err = c.ExistsW(e.zs.ZPath(node))
			return err
		})
		return err == nil && ok
	}
	if !watchNode() {
		why = "the lock node is gone"
		return
	}
	tick := time.NewTicker(timeout / 4)
	defer tick.Stop()
	for {
		e.mu.Lock()
		lapse := time.NewTimer(time.Until(e.validUntil))
		e.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-e.closed:
		case <-sess.Changed:
			cur := e.zs.Session()
			if cur.Gen != sess.Gen || cur.State != zk.StateHasSession {
				why = "the ZooKeeper connection was lost"
				lapse.Stop()
				return
			}
			sess = cur
			lapse.Stop()
			continue
		case ev := <-nodeWatch:
			if ev.Type == zk.EventNodeDeleted || !watchNode() {
				why = "the lock node is gone"
				lapse.Stop()
				return
			}
			lapse.Stop()
			continue
		case <-lapse.C:
			why = "the lease lapsed: ZooKeeper did not answer in time"
			return
		case <-tick.C:
			if !renewing {
				renewing = true
				e.wg.Add(1)
				go e.renew(ctx, node, timeout, renewed)
			}
			lapse.Stop()
			continue
		case sent := <-renewed:
			renewing = false
			if !sent.IsZero() {
				e.mu.Lock()
				if until := sent.Add(timeout / 2); until.After(e.validUntil) {
					e.validUntil = until
				}
				e.mu.Unlock()
			}
			lapse.Stop()
			continue
		}
		lapse.Stop()
		return
	}
}

// renew asks ZooKeeper whether the node exists; it posts the request's
// send time if it does, the zero time otherwise.
func (e *ZooKeeperElection) renew(ctx context.Context, node string, timeout time.Duration, out chan<- time.Time) {
	defer e.wg.Done()
	sent := time.Now()
	cctx, cancel := context.WithTimeout(ctx, timeout/2)
	defer cancel()
	var ok bool
	err := e.zs.Call(cctx, func(c *zk.Conn) (err error) {
		ok, _, err = c.Exists(e.zs.ZPath(node))
		return err
	})
	if err != nil || !ok {
		sent = time.Time{}
	}
	out <- sent
}

// Close withdraws the candidacy: it ends a term in progress and deletes
// this candidate's node so that another takes over without waiting for
// the session to expire. The store stays open.
func (e *ZooKeeperElection) Close() error {
	e.closeOnce.Do(func() { close(e.closed) })
	e.wg.Wait()
	e.mu.Lock()
	node := e.node
	e.node = ""
	e.mu.Unlock()
	if node == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := e.zs.Call(ctx, func(c *zk.Conn) error { return c.Delete(e.zs.ZPath(node), -1) })
	if err != nil && err != zk.ErrNoNode {
		return err
	}
	return nil
}
