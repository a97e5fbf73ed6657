package metastore

import (
	"context"
	"errors"
)

// ErrNotFound is returned by Get and Children for a path with no node.
var ErrNotFound = errors.New("metastore: node not found")

// ErrClosed is returned by every operation after Close.
var ErrClosed = errors.New("metastore: store closed")

// ErrConflict is returned by Commit when a check op fails: the node it
// names is missing or has another version. Nothing of that commit is
// applied.
var ErrConflict = errors.New("metastore: version conflict")

// Store is a tree of nodes, each with a small value (possibly empty), a
// version and named children. The root "/" always exists.
//
// Paths are absolute: "/" followed by names separated by single slashes,
// with no trailing slash (see ValidPath). Writing a node creates its
// missing ancestors with empty values, as ZooKeeper's "create parents"
// does; deleting a node deletes its subtree. Every successful write is
// durable when the call returns.
//
// A node's version is ZooKeeper's data version: 0 when the node is created
// (by a Put of it or of a descendant), one more after every Put of it.
// Deleting a node and creating it again starts again at 0. A commit that
// includes CheckOp(path, v) applies only if the node is still at version v,
// which is how a writer makes its changes conditional on what it read.
//
// A Store is safe for concurrent use. The meta leader is its only writer.
type Store interface {
	// Get returns the value of the node at path, or ErrNotFound.
	Get(ctx context.Context, path string) ([]byte, error)
	// GetWithVersion returns the value and version of the node at path,
	// or ErrNotFound.
	GetWithVersion(ctx context.Context, path string) ([]byte, int64, error)
	// Put creates or overwrites the node at path.
	Put(ctx context.Context, path string, value []byte) error
	// Delete removes the node at path and everything under it. Deleting an
	// absent node is not an error; deleting "/" is.
	Delete(ctx context.Context, path string) error
	// Children returns the names (not paths) of the node's children in
	// byte order, or ErrNotFound if the node does not exist.
	Children(ctx context.Context, path string) ([]string, error)
	// Commit applies ops in order as one atomic change: afterwards either
	// all of them are durable or none is. Each op sees the effects of the
	// ops before it. A failed check returns an error wrapping ErrConflict.
	Commit(ctx context.Context, ops []Op) error
	// Close releases the store; later calls return ErrClosed.
	Close() error
}

// OpKind says what an Op does.
type OpKind int

// Op kinds.
const (
	// OpPut creates or overwrites a node (Store.Put).
	OpPut OpKind = iota + 1
	// OpDelete removes a subtree (Store.Delete).
	OpDelete
	// OpCheck changes nothing; it fails the commit with ErrConflict unless
	// the node exists with the given version.
	OpCheck
)

// Op is one change (or condition) inside a Commit.
type Op struct {
	Kind    OpKind
	Path    string
	Value   []byte // OpPut only
	Version int64  // OpCheck only
}

// PutOp returns an Op that writes value at path.
func PutOp(path string, value []byte) Op { return Op{Kind: OpPut, Path: path, Value: value} }

// DeleteOp returns an Op that removes the subtree at path.
func DeleteOp(path string) Op { return Op{Kind: OpDelete, Path: path} }

// CheckOp returns an Op that lets the commit through only if the node at
// path exists with the given version.
func CheckOp(path string, version int64) Op { return Op{Kind: OpCheck, Path: path, Version: version} }
