package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// opKind says how safely an operation may be sent again.
type opKind int

const (
	// idempotent operations (reads, put, remove, multi_put, multi_remove)
	// give the same result however often they are executed.
	idempotent opKind = iota
	// nonIdempotent operations (incr, check_and_set, check_and_mutate)
	// must not run twice: they are retried only when the previous attempt
	// surely did not execute.
	nonIdempotent
	// once operations are never retried by the call loop (SCAN: its
	// context lives on one server; the scanner restarts instead).
	once
)

// reaction is what the call loop does after a failed attempt.
type reaction struct {
	retry   bool // send again after a backoff
	refresh bool // refresh the table's configuration first
	// brief: the refusal lasts a known short moment (a split's
	// registration step), so retry soon without growing the backoff.
	brief bool
}

// react decides how to go on after err (protocol.md §4.2–4.3):
//
//	cause                                             refresh  retry (idempotent)  retry (non-idempotent)
//	no primary in the configuration, dial failure     yes      yes                 yes: not sent
//	ERR_OBJECT_NOT_FOUND, ERR_INVALID_STATE,
//	  ERR_PARENT_PARTITION_MISUSED                    yes      yes                 yes: refused before execution
//	ERR_SPLITTING (a parent registering its child)    no       yes                 yes: refused before execution
//	ERR_BUSY (throttling)                             no       yes                 yes: refused before execution
//	ERR_NOT_ENOUGH_MEMBER, ERR_CAPACITY_EXCEEDED      no       yes                 no: may come from a prepared write
//	ERR_TIMEOUT (server side)                         no       yes                 no
//	connection lost while the request was out         yes      yes                 no: it may have executed
//	anything else (ERR_INVALID_DATA, ERR_ACL_DENY,
//	  ERR_HANDLER_NOT_FOUND, decode errors, ...)      no       no                  no
//
// The context's end stops everything.
func react(ctx context.Context, err error, kind opKind) reaction {
	if ctx.Err() != nil || errors.Is(err, ErrClosed) {
		return reaction{}
	}
	notSent := errors.Is(err, ErrPartitionUnavailable)
	var de *dialError
	if errors.As(err, &de) {
		notSent = true
	}
	if notSent {
		return reaction{retry: kind != once, refresh: true}
	}
	var re *rpc.RemoteError
	if errors.As(err, &re) {
		switch re.Errno {
		case base.ERR_OBJECT_NOT_FOUND, base.ERR_INVALID_STATE, base.ERR_PARENT_PARTITION_MISUSED:
			return reaction{retry: kind != once, refresh: true}
		case base.ERR_SPLITTING:
			return reaction{retry: kind != once, brief: true}
		case base.ERR_BUSY:
			return reaction{retry: kind != once}
		case base.ERR_NOT_ENOUGH_MEMBER, base.ERR_CAPACITY_EXCEEDED, base.ERR_TIMEOUT:
			return reaction{retry: kind == idempotent}
		}
		return reaction{}
	}
	if errors.Is(err, rpc.ErrConnClosed) {
		return reaction{retry: kind == idempotent, refresh: true}
	}
	return reaction{}
}

// backoffPolicy is exponential backoff with jitter.
type backoffPolicy struct {
	initial, max time.Duration
}

// backoff is one operation's progress through a backoffPolicy.
type backoff struct {
	next, max time.Duration
}

func (p backoffPolicy) start() backoff { return backoff{next: p.initial, max: p.max} }

// wait sleeps for the next backoff interval (between half and all of it),
// and reports false, without sleeping to the end, if ctx ends first.
func (b *backoff) wait(ctx context.Context) bool {
	d := b.next/2 + rand.N(b.next/2+1)
	b.next = min(2*b.next, b.max)
	return sleepCtx(ctx, d)
}

// sleepCtx sleeps for d and reports false, without sleeping to the end, if
// ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// briefRetry bounds the wait before retrying a request a splitting
// partition refused: its registration step pauses requests for tens to
// hundreds of milliseconds, and a growing backoff would outlast it by far.
const briefRetry = 40 * time.Millisecond

// waitBrief sleeps between a quarter and all of briefRetry (never longer
// than the next backoff interval) without advancing the backoff, and
// reports false if ctx ends first.
func (b *backoff) waitBrief(ctx context.Context) bool {
	d := min(briefRetry, b.next)
	return sleepCtx(ctx, d/4+rand.N(3*d/4+1))
}

// pause waits before the next attempt as r asks: briefly, or by the
// backoff.
func (b *backoff) pause(ctx context.Context, r reaction) bool {
	if r.brief {
		return b.waitBrief(ctx)
	}
	return b.wait(ctx)
}

// deadlineError is the error of an operation whose retries ran out of time:
// it wraps the context's error and the last attempt's error.
func deadlineError(ctx context.Context, last error) error {
	if last == nil {
		return ctx.Err()
	}
	if errors.Is(last, ctx.Err()) {
		return last
	}
	return fmt.Errorf("%w (last error: %w)", ctx.Err(), last)
}
