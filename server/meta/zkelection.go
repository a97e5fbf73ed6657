package meta

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/pegasus-go/pegasus/server/metastore"
)

// ZooKeeperElection elects the meta leader with a ZooKeeper lock, on the
// same connection as the ZooKeeper state store (docs/meta-ha.md).
//
// Every candidate owns one ephemeral sequential node under Dir whose value
// is its address; the lowest sequence number leads, and the others name it
// as the leader. A node lives exactly as long as its session, so the
// leadership ends when the session expires. But this process learns of an
// expiry only when it reconnects, so it gives up leading earlier, as soon
// as it cannot vouch for the session:
//
//   - the connection is lost (any state change away from a usable
//     session): lost is closed at once. If the session survives, the node
//     is still the lowest and the next Campaign wins again at once;
//   - a lease lapses: each successful request to ZooKeeper sent at time s
//     proves the session alive at the server until at least s + timeout,
//     so the leadership is held until s + timeout/2, renewed every
//     timeout/4. A process that was paused, or whose network went silent,
//     stops acting (Holds is false) before the server can expire it and
//     let another candidate win.
//
// Its lock node is also the election's fence: FenceOps checks that it
// still exists, so a commit of a leader whose session expired fails.
type ZooKeeperElection struct {
	zs   *metastore.ZooKeeper
	dir  string // store path of the candidates' nodes
	addr string
	log  *slog.Logger

	mu          sync.Mutex // guards the fields below
	node        string     // store path of this candidate's node, "" if none
	nodeSession int64      // the session that created node
	leader      string     // the last leader seen
	holding     bool       // this candidate leads
	validUntil  time.Time  // the lease: leading is vouched for until then

	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup // the lease keeper
}

// ZooKeeperElectionOptions configures NewZooKeeperElection.
type ZooKeeperElectionOptions struct {
	// Address is this meta server's "host:port", the value of its lock
	// node: what the other meta servers report as the leader. Required.
	Address string
	// Dir is the store path under which candidates create their nodes.
	// Default "/lock".
	Dir    string
	Logger *slog.Logger
}

// nodePrefix starts every candidate's node name (after the client's
// protection prefix); the sequence number follows.
const nodePrefix = "leader-"

// NewZooKeeperElection returns an election over zs's connection. It does
// nothing until Campaign; Close withdraws the candidacy.
func NewZooKeeperElection(zs *metastore.ZooKeeper, opts ZooKeeperElectionOptions) (*ZooKeeperElection, error) {
	if opts.Address == "" {
		return nil, errors.New("meta: ZooKeeperElectionOptions.Address is required")
	}
	if opts.Dir == "" {
		opts.Dir = "/lock"
	}
	if err := metastore.ValidPath(opts.Dir); err != nil || opts.Dir == metastore.Root {
		return nil, fmt.Errorf("meta: election dir %q must be a path below /", opts.Dir)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &ZooKeeperElection{
		zs: zs, dir: opts.Dir, addr: opts.Address,
		log:    opts.Logger.With("role", "meta", "address", opts.Address),
		closed: make(chan struct{}),
	}, nil
}

// Leader returns the address in the lowest node seen last (this server's
// own while it leads).
func (e *ZooKeeperElection) Leader() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leader
}

// Holds reports whether this server leads and its lease is current.
func (e *ZooKeeperElection) Holds() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.holding && time.Now().Before(e.validUntil)
}

// FenceOps checks that this candidate's node still exists (its data never
// changes, so it is at version 0). Without a node the check names a path
// that never exists, so it always fails.
func (e *ZooKeeperElection) FenceOps() []metastore.Op {
	e.mu.Lock()
	defer e.mu.Unlock()
	node := e.node
	if node == "" {
		node = metastore.Join(e.dir, "no-candidate")
	}
	return []metastore.Op{metastore.CheckOp(node, 0)}
}

// Campaign blocks until this candidate's node is the lowest, then returns
// a channel that is closed when the leadership ends (see the type).
func (e *ZooKeeperElection) Campaign(ctx context.Context) (<-chan struct{}, error) {
	retry := 100 * time.Millisecond
	for {
		select {
		case <-e.closed:
			return nil, errors.New("meta: election closed")
		default:
		}
		if err := e.zs.WaitSession(ctx); err != nil {
			return nil, err
		}
		sess := e.zs.Session()
		sent := time.Now()
		won, watch, err := e.step(ctx, sess)
		if err == nil && won {
			if cur := e.zs.Session(); cur.Gen == sess.Gen && cur.State == zk.StateHasSession {
				return e.hold(ctx, sess, sent), nil
			}
			continue // the connection was lost meanwhile
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			e.log.Warn("meta: election: retrying", "err", err)
			watch = time.After(retry)
			retry = min(2*retry, 2*time.Second)
		} else {
			retry = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-e.closed:
		case <-sess.Changed:
		case <-watch:
		}
	}
}

// step makes sure this candidate has a node of the current session, reads
// the candidates, and reports whether it leads; otherwise the returned
// channel fires when the candidates change.
func (e *ZooKeeperElection) step(ctx context.Context, sess metastore.Session) (bool, <-chan time.Time, error) {
	if err := e.ensureNode(ctx, sess); err != nil {
		return false, nil, err
	}
	var (
		names      []string
		childWatch <-chan zk.Event
	)
	err := e.zs.Call(ctx, func(c *zk.Conn) (err error) {
		names, _, childWatch, err = c.ChildrenW(e.zs.ZPath(e.dir))
		return err
	})
	if err != nil {
		return false, nil, fmt.Errorf("list candidates: %w", err)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(sequence(a), sequence(b)) })
	e.mu.Lock()
	mine := e.node
	e.mu.Unlock()
	found, leader := false, ""
	for i, name := range names {
		path := metastore.Join(e.dir, name)
		if path == mine {
			found = true
			if i == 0 {
				leader = e.addr
			}
			continue
		}
		var v []byte
		err := e.zs.Call(ctx, func(c *zk.Conn) (err error) {
			v, _, err = c.Get(e.zs.ZPath(path))
			return err
		})
		if errors.Is(err, zk.ErrNoNode) {
			continue // gone meanwhile; the watch fires
		}
		if err != nil {
			return false, nil, fmt.Errorf("read candidate %s: %w", name, err)
		}
		if string(v) == e.addr {
			// A node of ours from a session replaced while it was being
			// created: it would block this candidate forever.
			e.log.Warn("meta: election: removing a stale node of this server", "node", name)
			e.zs.Call(ctx, func(c *zk.Conn) error { return c.Delete(e.zs.ZPath(path), -1) })
			continue
		}
		if leader == "" && i == 0 {
			leader = string(v)
		}
	}
	if leader != "" {
		e.mu.Lock()
		if e.leader != leader {
			e.log.Info("meta: election: leader", "leader", leader)
		}
		e.leader = leader
		e.mu.Unlock()
	}
	if !found {
		e.mu.Lock()
		e.node = ""
		e.mu.Unlock()
		return false, nil, errors.New("this candidate's node disappeared")
	}
	watch := make(chan time.Time, 1)
	go func() {
		select {
		case <-childWatch:
			watch <- time.Now()
		case <-ctx.Done():
		case <-e.closed:
		}
	}()
	return leader == e.addr, watch, nil
}

// ensureNode creates this candidate's node unless the current session
// already has one.
func (e *ZooKeeperElection) ensureNode(ctx context.Context, sess metastore.Session) error {
	e.mu.Lock()
	have := e.node != "" && e.nodeSession == sess.ID
	e.mu.Unlock()
	if have {
		return nil
	}
	for _, p := range append(ancestorsOf(e.dir), e.dir) {
		err := e.zs.Call(ctx, func(c *zk.Conn) error {
			_, err := c.Create(e.zs.ZPath(p), []byte{}, 0, zk.WorldACL(zk.PermAll))
			return err
		})
		if err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("create %s: %w", p, err)
		}
	}
	var created string
	err := e.zs.Call(ctx, func(c *zk.Conn) (err error) {
		created, err = c.CreateProtectedEphemeralSequential(e.zs.ZPath(metastore.Join(e.dir, nodePrefix)), []byte(e.addr), zk.WorldACL(zk.PermAll))
		return err
	})
	if err != nil {
		return fmt.Errorf("create a candidate node: %w", err)
	}
	name := created[strings.LastIndexByte(created, '/')+1:]
	e.mu.Lock()
	e.node, e.nodeSession = metastore.Join(e.dir, name), e.zs.Session().ID
	e.mu.Unlock()
	e.log.Info("meta: election: candidate", "node", name)
	return nil
}

// sequence is the sequence number ZooKeeper appended to a node's name.
func sequence(name string) int64 {
	n, err := strconv.ParseInt(name[strings.LastIndexByte(name, '-')+1:], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// ancestorsOf lists the non-root ancestors of a store path, root first.
func ancestorsOf(p string) []string {
	var out []string
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			out = append(out, p[:i])
		}
	}
	return out
}
