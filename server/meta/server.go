package meta

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/server/metastore"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// Server is a meta server. Create it with New, register its handlers on an
// rpc.Server with Register (or let Serve do both), and stop it with Close.
type Server struct {
	opts  Options
	log   *slog.Logger
	store metastore.Store
	owned bool // the server opened store and closes it
	self  netip.AddrPort
	now   func() time.Time

	// writeMu serialises every durable change, from deciding it through
	// persisting it to applying it, so that two changes never validate
	// against the same stored configuration.
	writeMu sync.Mutex
	mu      sync.Mutex // guards state
	state   *State     // nil unless this server leads and has loaded the store
	// fence holds the checks every commit of the current term carries
	// (fence.go), and deposed is closed when a write of the term failed;
	// both are guarded by writeMu.
	fence   []metastore.Op
	deposed chan struct{}
	// firstTerm receives the outcome of the first attempt to take over
	// (New waits for it under AlwaysLeader).
	firstTerm chan error

	cureNow  chan struct{} // buffered: one pending request is enough
	proposer *proposer
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup // the leadership loop

	bk       backups  // one-shot cold backups (backup.go)
	pol      policies // backup policies (policy.go, policy_run.go)
	restores restores // restores in progress (restore.go)

	rsMu   sync.Mutex // guards rs
	rs     *rpc.Server
	closed bool
}

// New validates opts, opens the store (a bbolt file in DataDir unless
// opts.Store is set), checks that it loads, and starts campaigning for
// leadership; with the default AlwaysLeader the server leads at once.
func New(opts Options) (*Server, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	s := &Server{
		opts:      opts,
		log:       opts.Logger.With("role", "meta", "address", opts.Address),
		store:     opts.Store,
		self:      netip.MustParseAddrPort(opts.Address),
		now:       time.Now,
		cureNow:   make(chan struct{}, 1),
		firstTerm: make(chan error, 1),
	}
	if s.store == nil {
		b, err := metastore.OpenBolt(filepath.Join(opts.DataDir, StoreFile), metastore.BoltOptions{})
		if err != nil {
			return nil, fmt.Errorf("meta server: %w", err)
		}
		s.store, s.owned = b, true
	}
	// Fail fast on a store this server cannot read; a leader loads again.
	if _, err := Load(context.Background(), s.store, opts.ClusterRoot, opts.stateConfig(), s.now()); err != nil {
		s.closeStore()
		return nil, fmt.Errorf("meta server: %w", err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.proposer = newProposer(s.ctx, s.log, opts.ProposalQueue)
	s.wg.Add(1)
	go s.campaign()
	// A lone meta server leads as soon as New returns, as callers expect;
	// a store it cannot take over fails New.
	if _, ok := opts.Election.(AlwaysLeader); ok {
		if err := <-s.firstTerm; err != nil {
			s.Close()
			return nil, fmt.Errorf("meta server: %w", err)
		}
	}
	return s, nil
}

// Address is the server's advertised address.
func (s *Server) Address() string { return s.opts.Address }

// Serve serves the meta RPCs on l until Close, with an rpc.Server of its
// own. It returns rpc.ErrServerClosed after Close.
func (s *Server) Serve(l net.Listener) error {
	s.rsMu.Lock()
	if s.closed {
		s.rsMu.Unlock()
		l.Close()
		return rpc.ErrServerClosed
	}
	if s.rs == nil {
		s.rs = rpc.NewServer(rpc.ServerOptions{Logger: s.opts.Logger})
		s.Register(s.rs)
	}
	rs := s.rs
	s.rsMu.Unlock()
	return rs.Serve(l)
}

// Close stops serving (if Serve was used), stops every background
// goroutine, and closes the store if the server opened it. A caller that
// registered the handlers on its own rpc.Server closes that first.
func (s *Server) Close() error {
	s.rsMu.Lock()
	s.closed = true
	rs := s.rs
	s.rsMu.Unlock()
	if rs != nil {
		rs.Close()
	}
	s.cancel()
	s.wg.Wait()
	s.closeBackups()
	s.proposer.close()
	// Serialise with a change in flight before the store goes away.
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.closeStore()
}

func (s *Server) closeStore() error {
	if !s.owned {
		return nil
	}
	if err := s.store.Close(); err != nil {
		return fmt.Errorf("meta server: %w", err)
	}
	return nil
}

// campaign is the leadership loop: win, load the state, lead until the
// leadership is lost, forget the state, and campaign again.
func (s *Server) campaign() {
	defer s.wg.Done()
	for s.ctx.Err() == nil {
		lost, err := s.opts.Election.Campaign(s.ctx)
		if err != nil {
			if s.ctx.Err() == nil {
				s.log.Error("meta: campaign for leadership", "err", err)
				s.sleep(time.Second)
			}
			continue
		}
		if deposed, ok := s.loadState(lost); ok {
			s.lead(lost, deposed)
		}
		s.mu.Lock()
		s.state = nil
		s.mu.Unlock()
		s.log.Info("meta: not leading")
	}
}

// loadState starts a term: it claims the epoch (fence.go) and reads the
// store, until both succeed, leadership is lost or the server closes. The
// returned channel is closed if a write of the term fails.
func (s *Server) loadState(lost <-chan struct{}) (deposed <-chan struct{}, ok bool) {
	for {
		s.writeMu.Lock()
		term, fence, err := s.claimEpoch(s.ctx)
		var st *State
		if err == nil {
			st, err = Load(s.ctx, s.store, s.opts.ClusterRoot, s.opts.stateConfig(), s.now())
		}
		if err == nil {
			s.fence, s.deposed = fence, make(chan struct{})
			deposed = s.deposed
			s.mu.Lock()
			s.state = st
			s.mu.Unlock()
		}
		s.writeMu.Unlock()
		select {
		case s.firstTerm <- err:
		default: // reported already
		}
		if err == nil {
			s.log.Info("meta: leading", "term", term, "level", s.opts.FunctionLevel)
			return deposed, true
		}
		s.log.Error("meta: take over", "err", err)
		select {
		case <-lost:
			return nil, false
		case <-s.ctx.Done():
			return nil, false
		case <-time.After(time.Second):
		}
	}
}

// lead runs the failure detector and cure timers for one term.
func (s *Server) lead(lost, deposed <-chan struct{}) {
	fd := time.NewTicker(s.opts.FDCheckInterval)
	defer fd.Stop()
	cure := time.NewTicker(s.opts.CureInterval)
	defer cure.Stop()
	defer s.forgetBackups()
	if err := s.loadBackups(s.ctx); err != nil {
		s.log.Error("meta: resume backups", "err", err)
	}
	defer s.forgetPolicies()
	defer s.startPolicyLoop()()
	defer s.startDupLoop()()
	s.cure()
	for {
		select {
		case <-lost:
			return
		case <-deposed:
			return
		case <-s.ctx.Done():
			return
		case <-fd.C:
			s.checkLiveness()
		case <-cure.C:
			s.cure()
		case <-s.cureNow:
			s.cure()
		}
	}
}

func (s *Server) sleep(d time.Duration) {
	select {
	case <-s.ctx.Done():
	case <-time.After(d):
	}
}

// triggerCure asks the leadership loop to run cure soon.
func (s *Server) triggerCure() {
	select {
	case s.cureNow <- struct{}{}:
	default:
	}
}

func (s *Server) cure() {
	s.mu.Lock()
	var props []Proposal
	if s.state != nil && s.holds() {
		props = s.state.Cure(s.now())
	}
	s.mu.Unlock()
	for _, p := range props {
		s.log.Info("meta: proposing", "node", p.Target, "gpid", &p.Update.Config.Pid, "type", p.Update.Type,
			"ballot", p.Update.Config.Ballot)
		s.proposer.send(p.Target, toUpdateRequest(p.Update))
	}
}

func (s *Server) checkLiveness() {
	var died []netip.AddrPort
	err := s.commit(s.ctx, func(st *State, now time.Time) (Change, error) {
		var c Change
		c, died = st.CheckLiveness(now)
		return c, nil
	})
	for _, n := range died {
		s.log.Warn("meta: replica server declared dead", "node", n)
	}
	if err != nil {
		s.log.Error("meta: persist the primaries of dead replica servers", "err", err)
	}
	if len(died) > 0 {
		s.triggerCure()
	}
}

// errNotLeading is returned while this server does not lead (or has not
// loaded its state yet).
var errNotLeading = errors.New("meta: not leading")

// commit runs decide against the state, persists the change it returns
// together with the term's fence and only then applies it
// (docs/cluster-protocol.md: persist before memory, before anyone is
// told). A store error ends the term (depose). Cure runs after every
// applied change of tables or partitions.
func (s *Server) commit(ctx context.Context, decide func(st *State, now time.Time) (Change, error)) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	st := s.state
	if st == nil || !s.holds() {
		s.mu.Unlock()
		return errNotLeading
	}
	c, err := decide(st, s.now())
	s.mu.Unlock()
	if err != nil || c.Empty() {
		return err
	}
	ops, err := c.Ops(s.opts.ClusterRoot)
	if err != nil {
		return &storeError{err}
	}
	if err := s.store.Commit(ctx, append(ops, s.fence...)); err != nil {
		s.depose(err)
		return &storeError{err}
	}
	s.mu.Lock()
	if s.state == st {
		err = st.Apply(c)
	}
	s.mu.Unlock()
	if err != nil {
		// Memory and store disagree: reload from the store.
		s.log.Error("meta: apply a persisted change; reloading", "err", err)
		if st, lerr := Load(s.ctx, s.store, s.opts.ClusterRoot, s.opts.stateConfig(), s.now()); lerr == nil {
			s.mu.Lock()
			if s.state != nil {
				s.state = st
			}
			s.mu.Unlock()
		}
	}
	if len(c.Apps) > 0 || len(c.Partitions) > 0 || len(c.RemovedPartitions) > 0 {
		s.triggerCure()
	}
	return nil
}

// depose ends the term after a failed write (writeMu held): either another
// server leads now (a fence check failed) or the write's outcome is
// unknown (the store may hold it or not). Either way the state in memory
// can no longer be trusted, so it goes at once; the leadership loop
// campaigns again and a new term loads the store afresh.
func (s *Server) depose(err error) {
	s.mu.Lock()
	s.state = nil
	s.mu.Unlock()
	if s.deposed != nil {
		select {
		case <-s.deposed:
		default:
			close(s.deposed)
		}
	}
	if errors.Is(err, metastore.ErrConflict) {
		s.log.Warn("meta: another meta server took over; stepping down", "err", err)
	} else {
		s.log.Error("meta: state store write failed; stepping down to reload", "err", err)
	}
}

// holds reports whether the election still vouches for this server's
// leadership (always, for an Election without a Lease).
func (s *Server) holds() bool {
	l, ok := s.opts.Election.(Lease)
	return !ok || l.Holds()
}

// storeError is a change that could not be encoded (nothing was written)
// or a failed write to the state store (the term ended; the write may or
// may not have landed).
type storeError struct{ err error }

func (e *storeError) Error() string { return "meta store: " + e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// read runs fn with the state under the lock, or returns errNotLeading.
func (s *Server) read(fn func(st *State)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == nil || !s.holds() {
		return errNotLeading
	}
	fn(s.state)
	return nil
}

// replyErrno maps an error from commit or read to the err of a reply.
func (s *Server) replyErrno(err error) base.Errno {
	var se *storeError
	switch {
	case err == nil:
		return base.ERR_OK
	case errors.Is(err, errNotLeading):
		return s.notLeadingErrno()
	case errors.Is(err, metastore.ErrConflict):
		// Deposed by a successor: nothing was written; ask the leader.
		return s.notLeadingErrno()
	case errors.As(err, &se):
		s.log.Error("meta: state store write failed", "err", err)
		return base.ERR_ZOOKEEPER_OPERATION
	}
	return ErrnoOf(err)
}

// notLeadingErrno is ERR_FORWARD_TO_OTHERS when another server leads and
// ERR_SERVICE_NOT_ACTIVE while this one is taking over (or nobody leads).
func (s *Server) notLeadingErrno() base.Errno {
	if l := s.opts.Election.Leader(); l != "" && l != s.opts.Address {
		return base.ERR_FORWARD_TO_OTHERS
	}
	return base.ERR_SERVICE_NOT_ACTIVE
}

// leading reports whether this server leads with its state loaded.
func (s *Server) leading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state != nil && s.holds()
}
