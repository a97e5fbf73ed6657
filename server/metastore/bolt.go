package metastore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// treeBucket holds every node. A node's key is its parent path, a NUL
// byte and its name ("/apps\x002" for /apps/2), so one prefix scan over
// "<path>\x00" yields exactly a node's children. The root has no key.
var treeBucket = []byte("tree.v1")

// BoltOptions tunes OpenBolt; zero values take defaults.
type BoltOptions struct {
	// LockTimeout bounds the wait for the file lock another process (for
	// example a second meta server on the same data dir) holds; default 1s.
	LockTimeout time.Duration
}

// Bolt is a Store in one bbolt file. Every Put, Delete and Commit is one
// bbolt transaction, fsync'd before it returns.
type Bolt struct {
	db *bolt.DB
}

// OpenBolt opens (creating if needed) the store file at path, creating its
// directory too.
func OpenBolt(path string, opts BoltOptions) (*Bolt, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open meta store %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: opts.LockTimeout})
	if err != nil {
		return nil, fmt.Errorf("open meta store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(treeBucket)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open meta store %s: %w", path, err)
	}
	return &Bolt{db: db}, nil
}

// Path is the store's file.
func (b *Bolt) Path() string { return b.db.Path() }

func nodeKey(path string) []byte {
	parent, name := split(path)
	k := make([]byte, 0, len(parent)+1+len(name))
	k = append(k, parent...)
	k = append(k, 0)
	return append(k, name...)
}

func childPrefix(path string) []byte { return append([]byte(path), 0) }

func (b *Bolt) view(ctx context.Context, path string, fn func(*bolt.Bucket) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := ValidPath(path); err != nil {
		return err
	}
	err := b.db.View(func(tx *bolt.Tx) error { return fn(tx.Bucket(treeBucket)) })
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// Get implements Store.
func (b *Bolt) Get(ctx context.Context, path string) ([]byte, error) {
	var out []byte
	err := b.view(ctx, path, func(bk *bolt.Bucket) error {
		if path == Root {
			return nil
		}
		v := bk.Get(nodeKey(path))
		if v == nil {
			return fmt.Errorf("get %s: %w", path, ErrNotFound)
		}
		out = slices.Clone(v) // bbolt's slice is valid only inside the transaction
		return nil
	})
	return out, err
}

// Children implements Store.
func (b *Bolt) Children(ctx context.Context, path string) ([]string, error) {
	var out []string
	err := b.view(ctx, path, func(bk *bolt.Bucket) error {
		if path != Root && bk.Get(nodeKey(path)) == nil {
			return fmt.Errorf("children of %s: %w", path, ErrNotFound)
		}
		out = children(bk, path)
		return nil
	})
	return out, err
}

func children(bk *bolt.Bucket, path string) []string {
	out := []string{}
	prefix := childPrefix(path)
	c := bk.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		out = append(out, string(k[len(prefix):]))
	}
	return out
}

// Put implements Store.
func (b *Bolt) Put(ctx context.Context, path string, value []byte) error {
	return b.Commit(ctx, []Op{PutOp(path, value)})
}

// Delete implements Store.
func (b *Bolt) Delete(ctx context.Context, path string) error {
	return b.Commit(ctx, []Op{DeleteOp(path)})
}

// Commit implements Store: all ops run in one bbolt read-write transaction.
func (b *Bolt) Commit(ctx context.Context, ops []Op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validOps(ops); err != nil {
		return err
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(treeBucket)
		for _, op := range ops {
			var err error
			if op.Kind == OpPut {
				err = boltPut(bk, op.Path, op.Value)
			} else {
				err = boltDelete(bk, op.Path)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	if err != nil {
		return fmt.Errorf("commit %d ops to meta store: %w", len(ops), err)
	}
	return nil
}

func boltPut(bk *bolt.Bucket, path string, value []byte) error {
	for _, a := range ancestors(path) {
		k := nodeKey(a)
		if bk.Get(k) == nil {
			if err := bk.Put(k, []byte{}); err != nil {
				return fmt.Errorf("put %s: %w", a, err)
			}
		}
	}
	if value == nil {
		value = []byte{} // bbolt reads a nil value as "no key"
	}
	if err := bk.Put(nodeKey(path), value); err != nil {
		return fmt.Errorf("put %s: %w", path, err)
	}
	return nil
}

func boltDelete(bk *bolt.Bucket, path string) error {
	k := nodeKey(path)
	if bk.Get(k) == nil {
		return nil
	}
	for _, name := range children(bk, path) {
		if err := boltDelete(bk, Join(path, name)); err != nil {
			return err
		}
	}
	if err := bk.Delete(k); err != nil {
		return fmt.Errorf("delete %s: %w", path, err)
	}
	return nil
}

// Close implements Store.
func (b *Bolt) Close() error {
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("close meta store: %w", err)
	}
	return nil
}
