package metastore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// treeBucket holds every node. A node's key is its parent path, a NUL
// byte and its name ("/apps\x002" for /apps/2), so one prefix scan over
// "<path>\x00" yields exactly a node's children. The root has no key.
var treeBucket = []byte("tree.v1")

// versionBucket holds node versions under the same keys as treeBucket, as
// 8-byte big-endian numbers. A node without an entry is at version 0, so
// files written before versions existed read correctly.
var versionBucket = []byte("version.v1")

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
		if _, err := tx.CreateBucketIfNotExists(treeBucket); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(versionBucket)
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

// buckets are the two buckets of one transaction.
type buckets struct {
	tree, versions *bolt.Bucket
}

func open(tx *bolt.Tx) buckets {
	return buckets{tree: tx.Bucket(treeBucket), versions: tx.Bucket(versionBucket)}
}

func (bk buckets) version(k []byte) int64 {
	v := bk.versions.Get(k)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func (bk buckets) setVersion(k []byte, v int64) error {
	if v == 0 {
		return bk.versions.Delete(k)
	}
	return bk.versions.Put(k, binary.BigEndian.AppendUint64(nil, uint64(v)))
}

func (b *Bolt) view(ctx context.Context, path string, fn func(buckets) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := ValidPath(path); err != nil {
		return err
	}
	err := b.db.View(func(tx *bolt.Tx) error { return fn(open(tx)) })
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// Get implements Store.
func (b *Bolt) Get(ctx context.Context, path string) ([]byte, error) {
	v, _, err := b.GetWithVersion(ctx, path)
	return v, err
}

// GetWithVersion implements Store.
func (b *Bolt) GetWithVersion(ctx context.Context, path string) ([]byte, int64, error) {
	var (
		out     []byte
		version int64
	)
	err := b.view(ctx, path, func(bk buckets) error {
		if path == Root {
			return nil
		}
		k := nodeKey(path)
		v := bk.tree.Get(k)
		if v == nil {
			return fmt.Errorf("get %s: %w", path, ErrNotFound)
		}
		out = slices.Clone(v) // bbolt's slice is valid only inside the transaction
		version = bk.version(k)
		return nil
	})
	return out, version, err
}

// Children implements Store.
func (b *Bolt) Children(ctx context.Context, path string) ([]string, error) {
	var out []string
	err := b.view(ctx, path, func(bk buckets) error {
		if path != Root && bk.tree.Get(nodeKey(path)) == nil {
			return fmt.Errorf("children of %s: %w", path, ErrNotFound)
		}
		out = children(bk.tree, path)
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

// Commit implements Store: all ops run in one bbolt read-write transaction,
// which a failed check rolls back.
func (b *Bolt) Commit(ctx context.Context, ops []Op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validOps(ops); err != nil {
		return err
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		bk := open(tx)
		for _, op := range ops {
			var err error
			switch op.Kind {
			case OpPut:
				err = boltPut(bk, op.Path, op.Value)
			case OpDelete:
				err = boltDelete(bk, op.Path)
			case OpCheck:
				err = boltCheck(bk, op.Path, op.Version)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	if errors.Is(err, ErrConflict) {
		return err
	}
	if err != nil {
		return fmt.Errorf("commit %d ops to meta store: %w", len(ops), err)
	}
	return nil
}

func boltPut(bk buckets, path string, value []byte) error {
	for _, a := range ancestors(path) {
		k := nodeKey(a)
		if bk.tree.Get(k) == nil {
			if err := bk.tree.Put(k, []byte{}); err != nil {
				return fmt.Errorf("put %s: %w", a, err)
			}
		}
	}
	if value == nil {
		value = []byte{} // bbolt reads a nil value as "no key"
	}
	k := nodeKey(path)
	if bk.tree.Get(k) != nil {
		if err := bk.setVersion(k, bk.version(k)+1); err != nil {
			return fmt.Errorf("put %s: %w", path, err)
		}
	}
	if err := bk.tree.Put(k, value); err != nil {
		return fmt.Errorf("put %s: %w", path, err)
	}
	return nil
}

func boltDelete(bk buckets, path string) error {
	k := nodeKey(path)
	if bk.tree.Get(k) == nil {
		return nil
	}
	for _, name := range children(bk.tree, path) {
		if err := boltDelete(bk, Join(path, name)); err != nil {
			return err
		}
	}
	if err := bk.tree.Delete(k); err != nil {
		return fmt.Errorf("delete %s: %w", path, err)
	}
	if err := bk.setVersion(k, 0); err != nil {
		return fmt.Errorf("delete %s: %w", path, err)
	}
	return nil
}

func boltCheck(bk buckets, path string, version int64) error {
	k := nodeKey(path)
	if bk.tree.Get(k) == nil {
		return fmt.Errorf("check %s at version %d: node missing: %w", path, version, ErrConflict)
	}
	if v := bk.version(k); v != version {
		return fmt.Errorf("check %s at version %d: node at version %d: %w", path, version, v, ErrConflict)
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
