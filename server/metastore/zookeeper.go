package metastore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// ZooKeeperOptions configures OpenZooKeeper; zero values take defaults.
type ZooKeeperOptions struct {
	// Servers are the ZooKeeper servers' "host:port". Required.
	Servers []string
	// SessionTimeout is asked of the servers for the session; it must lie
	// within their minSessionTimeout..maxSessionTimeout. A session whose
	// client is silent this long expires, and its ephemeral nodes (the
	// meta leader's lock) go with it. Default 10s.
	SessionTimeout time.Duration
	// Root is the znode that is this store's "/": every path lives under
	// it. It is created (with its parents) when missing. It may not be
	// ZooKeeper's own root. Default "/pegasus".
	Root string
	// OpTimeout bounds a call whose context has no deadline. Default
	// SessionTimeout.
	OpTimeout time.Duration
	// Dialer replaces net.DialTimeout (tests route the connection through
	// a proxy they can cut).
	Dialer zk.Dialer
	Logger *slog.Logger
}

// ZooKeeper is a Store in a ZooKeeper ensemble. Store paths map to znodes
// under Root; node versions are znode data versions. A Commit is one
// ZooKeeper multi-op, so it is atomic and each op sees the ones before it.
//
// The connection and its session are exposed (Conn, Session) so that the
// meta server's leader election can share them: losing the session then
// both fences the store's writes and ends the leadership.
type ZooKeeper struct {
	conn           *zk.Conn
	root           string
	sessionTimeout time.Duration
	opTimeout      time.Duration
	log            *slog.Logger

	mu      sync.Mutex // guards state, gen, changed, closed and the write of conn
	state   zk.State
	gen     uint64
	changed chan struct{}
	closed  bool
}

// Session is the state of a ZooKeeper connection at one moment.
type Session struct {
	// State is the connection's state: zk.StateHasSession while the
	// session is usable; zk.StateDisconnected, StateConnecting,
	// StateConnected (connected, no session yet) and StateExpired between.
	State zk.State
	// ID is the session's id, 0 while there is none. After an expiry the
	// connection establishes a new session with a new id, without the old
	// one's ephemeral nodes; the state passes through StateExpired first.
	ID int64
	// Gen counts how often the connection has reached StateHasSession. A
	// holder of something tied to the session (a lock) notes Gen when it
	// acquires it: any later Gen means the connection was lost in between,
	// even if State reads StateHasSession again by the time it looks.
	Gen uint64
	// Changed is closed at the next change of State.
	Changed <-chan struct{}
}

// OpenZooKeeper connects to the servers, waits until a session is
// established (or ctx ends) and creates Root if it is missing.
func OpenZooKeeper(ctx context.Context, opts ZooKeeperOptions) (*ZooKeeper, error) {
	if len(opts.Servers) == 0 {
		return nil, errors.New("open ZooKeeper store: no servers")
	}
	if opts.SessionTimeout <= 0 {
		opts.SessionTimeout = 10 * time.Second
	}
	if opts.OpTimeout <= 0 {
		opts.OpTimeout = opts.SessionTimeout
	}
	if opts.Root == "" {
		opts.Root = "/pegasus"
	}
	if err := ValidPath(opts.Root); err != nil || opts.Root == Root {
		return nil, fmt.Errorf("open ZooKeeper store: root %q must be a path below /", opts.Root)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	z := &ZooKeeper{
		root:           opts.Root,
		sessionTimeout: opts.SessionTimeout,
		opTimeout:      opts.OpTimeout,
		log:            opts.Logger.With("zookeeper", strings.Join(opts.Servers, ",")),
		changed:        make(chan struct{}),
	}
	z.state = zk.StateDisconnected
	dialer := opts.Dialer
	if dialer == nil {
		dialer = net.DialTimeout
	}
	conn, _, err := zk.Connect(opts.Servers, opts.SessionTimeout, zk.WithLogger(zkLogger{z.log}),
		zk.WithLogInfo(false), zk.WithEventCallback(z.event), zk.WithDialer(boundHandshake(dialer, opts.SessionTimeout/3)))
	if err != nil {
		return nil, fmt.Errorf("open ZooKeeper store: %w", err)
	}
	z.mu.Lock()
	z.conn = conn
	z.mu.Unlock()
	if err := z.WaitSession(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("open ZooKeeper store: %w", err)
	}
	if err := z.createRoot(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("open ZooKeeper store: create root %s: %w", opts.Root, err)
	}
	return z, nil
}

// zkLogger sends the client library's messages to slog.
type zkLogger struct{ log *slog.Logger }

func (l zkLogger) Printf(format string, args ...any) {
	l.log.Warn("zookeeper client: " + fmt.Sprintf(format, args...))
}

// event is the connection's callback; it must not block. It may run before
// OpenZooKeeper has stored the connection, so it does not touch z.conn.
func (z *ZooKeeper) event(ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	z.mu.Lock()
	if ev.State == z.state {
		z.mu.Unlock()
		return
	}
	z.state = ev.State
	if ev.State == zk.StateHasSession {
		z.gen++
	}
	close(z.changed)
	z.changed = make(chan struct{})
	z.mu.Unlock()
	switch ev.State {
	case zk.StateHasSession:
		z.log.Info("zookeeper: session established")
	case zk.StateExpired:
		z.log.Warn("zookeeper: session expired")
	case zk.StateDisconnected:
		z.log.Warn("zookeeper: disconnected")
	}
}

// Session returns the connection's current state.
func (z *ZooKeeper) Session() Session {
	z.mu.Lock()
	defer z.mu.Unlock()
	s := Session{State: z.state, Gen: z.gen, Changed: z.changed}
	if z.conn != nil {
		s.ID = z.conn.SessionID()
	}
	return s
}

// WaitSession waits until the connection has a session, or ctx ends.
func (z *ZooKeeper) WaitSession(ctx context.Context) error {
	for {
		s := z.Session()
		if s.State == zk.StateHasSession {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for a ZooKeeper session: %w", ctx.Err())
		case <-s.Changed:
		}
	}
}

// Call runs fn on the underlying connection, for the leader election,
// bounded like the store's own calls: by ctx, or by OpTimeout when ctx has
// no deadline. Paths on the connection are znode paths: see ZPath.
func (z *ZooKeeper) Call(ctx context.Context, fn func(conn *zk.Conn) error) error {
	return z.do(ctx, func() error { return fn(z.conn) })
}

// ZPath is the znode of a store path.
func (z *ZooKeeper) ZPath(path string) string {
	if path == Root {
		return z.root
	}
	return z.root + path
}

// SessionTimeout is the session timeout the store asked for.
func (z *ZooKeeper) SessionTimeout() time.Duration { return z.sessionTimeout }

func (z *ZooKeeper) createRoot(ctx context.Context) error {
	for _, p := range append(ancestors(z.root), z.root) {
		err := z.do(ctx, func() error {
			_, err := z.conn.Create(p, []byte{}, 0, zk.WorldACL(zk.PermAll))
			return err
		})
		if err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return err
		}
	}
	return nil
}

// do runs one ZooKeeper call within ctx (or OpTimeout when ctx has no
// deadline). The library's calls cannot be cancelled: one that is still
// pending when ctx ends finishes in the background and its result is lost.
func (z *ZooKeeper) do(ctx context.Context, call func() error) error {
	z.mu.Lock()
	closed := z.closed
	z.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, z.opTimeout)
		defer cancel()
	}
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("zookeeper call: %w", ctx.Err())
	}
}

// Get implements Store.
func (z *ZooKeeper) Get(ctx context.Context, path string) ([]byte, error) {
	v, _, err := z.GetWithVersion(ctx, path)
	return v, err
}

// GetWithVersion implements Store.
func (z *ZooKeeper) GetWithVersion(ctx context.Context, path string) ([]byte, int64, error) {
	if err := ValidPath(path); err != nil {
		return nil, 0, err
	}
	var (
		v    []byte
		stat *zk.Stat
	)
	err := z.do(ctx, func() (err error) {
		v, stat, err = z.conn.Get(z.ZPath(path))
		return err
	})
	if errors.Is(err, zk.ErrNoNode) {
		return nil, 0, fmt.Errorf("get %s: %w", path, ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("get %s: %w", path, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, int64(stat.Version), nil
}

// Children implements Store.
func (z *ZooKeeper) Children(ctx context.Context, path string) ([]string, error) {
	if err := ValidPath(path); err != nil {
		return nil, err
	}
	kids, err := z.children(ctx, path)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, fmt.Errorf("children of %s: %w", path, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("children of %s: %w", path, err)
	}
	return kids, nil
}

func (z *ZooKeeper) children(ctx context.Context, path string) ([]string, error) {
	var kids []string
	err := z.do(ctx, func() (err error) {
		kids, _, err = z.conn.Children(z.ZPath(path))
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(kids)
	if kids == nil {
		kids = []string{}
	}
	return kids, nil
}

func (z *ZooKeeper) exists(ctx context.Context, path string) (bool, error) {
	var ok bool
	err := z.do(ctx, func() (err error) {
		ok, _, err = z.conn.Exists(z.ZPath(path))
		return err
	})
	return ok, err
}

// Put implements Store.
func (z *ZooKeeper) Put(ctx context.Context, path string, value []byte) error {
	return z.Commit(ctx, []Op{PutOp(path, value)})
}

// Delete implements Store.
func (z *ZooKeeper) Delete(ctx context.Context, path string) error {
	return z.Commit(ctx, []Op{DeleteOp(path)})
}

// Close implements Store: it ends the session at once, so the servers
// delete its ephemeral nodes without waiting for it to expire.
func (z *ZooKeeper) Close() error {
	z.mu.Lock()
	if z.closed {
		z.mu.Unlock()
		return nil
	}
	z.closed = true
	z.mu.Unlock()
	z.conn.Close()
	return nil
}
