package client

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// Config configures a Client. Zero durations take the defaults named.
type Config struct {
	// MetaServers are the meta server addresses ("host:port"). The first
	// is the initial leader guess; leaders named in forward answers are
	// added as they are learnt.
	MetaServers []string

	// OperationTimeout bounds an operation whose context has no deadline
	// (default 10s). A context deadline always takes precedence.
	OperationTimeout time.Duration
	// MetaCallTimeout bounds one query to one meta server before the next
	// meta is tried (default 2s).
	MetaCallTimeout time.Duration
	// RefreshTimeout bounds one refresh of a table's configuration, across
	// all meta servers (default 10s). Operations waiting for the refresh
	// stop waiting at their own deadline.
	RefreshTimeout time.Duration
	// DialTimeout bounds establishing a connection (default 3s).
	DialTimeout time.Duration
	// RetryBackoff is the first pause between attempts (default 10ms); it
	// doubles per attempt up to MaxRetryBackoff (default 1s).
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// BatchParallelism bounds the single operations BatchSet and BatchDel
	// have in flight at once (default 32).
	BatchParallelism int

	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.OperationTimeout, 10*time.Second)
	def(&c.MetaCallTimeout, 2*time.Second)
	def(&c.RefreshTimeout, 10*time.Second)
	def(&c.DialTimeout, 3*time.Second)
	def(&c.RetryBackoff, 10*time.Millisecond)
	def(&c.MaxRetryBackoff, time.Second)
	if c.MaxRetryBackoff < c.RetryBackoff {
		c.MaxRetryBackoff = c.RetryBackoff
	}
	if c.BatchParallelism <= 0 {
		c.BatchParallelism = 32
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Client talks to one Pegasus cluster. It is safe for concurrent use.
type Client struct {
	cfg  Config
	log  *slog.Logger
	pool *connPool
	meta *metaResolver

	// ctx ends at Close; background refreshes run under it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // background refreshes

	mu     sync.Mutex // guards tables and closed
	tables map[string]*Table
	closed bool
}

// New returns a client of the cluster whose meta servers cfg names. It
// connects lazily: the first OpenTable contacts the meta servers.
func New(cfg Config) *Client {
	cfg = cfg.withDefaults()
	pool := newConnPool(rpc.ConnOptions{DialTimeout: cfg.DialTimeout})
	ctx, cancel := context.WithCancel(context.Background())
	return &Client{
		cfg:    cfg,
		log:    cfg.Logger,
		pool:   pool,
		meta:   newMetaResolver(pool, cfg.MetaServers, cfg.MetaCallTimeout, cfg.backoff()),
		ctx:    ctx,
		cancel: cancel,
		tables: make(map[string]*Table),
	}
}

func (c Config) backoff() backoffPolicy {
	return backoffPolicy{initial: c.RetryBackoff, max: c.MaxRetryBackoff}
}

// OpenTable returns the table called name, querying its configuration
// from the meta servers the first time. An unknown table gives an error
// wrapping ErrTableNotFound; meta servers that cannot be reached before the
// deadline give one wrapping ErrMetaUnavailable.
func (c *Client) OpenTable(ctx context.Context, name string) (*Table, error) {
	if name == "" {
		return nil, invalidf("empty table name")
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	if t := c.tables[name]; t != nil {
		c.mu.Unlock()
		return t, nil
	}
	c.mu.Unlock()

	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	rt, err := c.fetchRoute(ctx, name, 1)
	if err != nil {
		return nil, fmt.Errorf("client: open table %q: %w", name, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if t := c.tables[name]; t != nil {
		return t, nil // opened concurrently; keep the first
	}
	t := newTable(c, name, rt)
	c.tables[name] = t
	return t, nil
}

// fetchRoute queries table's configuration from the meta leader and turns
// it into a snapshot numbered gen. A table still being created is waited
// for; other non-OK answers are errors.
func (c *Client) fetchRoute(ctx context.Context, table string, gen uint64) (*routeTable, error) {
	b := c.cfg.backoff().start()
	for {
		resp, err := c.meta.queryConfig(ctx, table)
		if err != nil {
			return nil, err
		}
		switch code := resp.GetErr().Code(); code {
		case base.ERR_OK:
			return parseRoute(resp, gen)
		case base.ERR_OBJECT_NOT_FOUND:
			return nil, ErrTableNotFound
		case base.ERR_BUSY_CREATING:
			if !b.wait(ctx) {
				return nil, deadlineError(ctx, fmt.Errorf("meta: table is being created: %w", code))
			}
		default:
			return nil, fmt.Errorf("meta answered %w", code)
		}
	}
}

// withTimeout applies OperationTimeout to a context without a deadline. A
// context with one is used as it is: every operation waits for all it
// started before it returns, so it has nothing of its own to cancel, and a
// derived context would cost a child registration on the caller's context
// per operation (about a tenth of pegasus-bench's CPU per set).
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.cfg.OperationTimeout)
}

// goBackground runs f on a goroutine the client waits for at Close; false
// if the client is closed.
func (c *Client) goBackground(f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}

// Close stops background refreshes and closes every connection.
// Operations in flight fail; later ones return ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	c.pool.close()
	return nil
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}
