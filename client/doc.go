// Package client is the Go client library of Pegasus: it finds the meta
// server leader, caches each table's partition configuration, routes every
// operation to the primary replica of the partition that owns its hash key,
// and retries within the caller's deadline when a route has gone stale.
//
// A Client is created from a list of meta server addresses; OpenTable
// returns a Table whose methods are the data operations (Get, Set,
// MultiGet, CheckAndSet, scanners, ...). Both are safe for concurrent use.
// Close on the Client ends every connection and background refresh.
//
//	c := client.New(client.Config{MetaServers: []string{"127.0.0.1:34601"}})
//	defer c.Close()
//	tb, err := c.OpenTable(ctx, "temp")
//	if err != nil { ... }
//	err = tb.Set(ctx, []byte("user1"), []byte("name"), []byte("alice"))
//	v, err := tb.Get(ctx, []byte("user1"), []byte("name")) // nil, nil if absent
//
// # Errors
//
// An operation that reached the storage engine and failed there returns an
// *Error carrying the storage status (protocol.md §4.4). Outcomes that the
// protocol reports through a status but that are not failures are returned
// as values instead: "not found" from Get is (nil, nil), an incomplete
// MultiGet is allFetched == false, a failed check of CheckAndSet is
// SetSucceed == false. Transport errors from a replica server unwrap to the
// base.Errno they carry, so errors.Is(err, base.ERR_BUSY) works; a deadline
// that ends the retries unwraps to context.DeadlineExceeded. The sentinel
// errors ErrTableNotFound, ErrMetaUnavailable, ErrInvalidArgument and
// ErrClosed name the client's own failures.
//
// # Retries
//
// Every operation runs inside its context's deadline (Config.OperationTimeout
// when the context has none). Routing failures (the replica no longer hosts
// the partition, is not the primary, the connection could not be made or
// was lost) make the table refresh its configuration from the meta server —
// one query in flight per table however many operations ask — and the
// operation is retried with exponential backoff. Incr, CheckAndSet and
// CheckAndMutate are not idempotent: they are retried only when the request
// surely was not executed (no route, dial failure, or a routing error reply
// such as ERR_OBJECT_NOT_FOUND); see retry.go for the full table.
package client
