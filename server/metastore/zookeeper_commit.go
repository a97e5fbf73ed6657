package metastore

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
)

// A Commit becomes one ZooKeeper multi-op. ZooKeeper's own ops are
// narrower than ours: create fails on an existing node, set on a missing
// one, delete on a node with children, and nothing creates parents. So a
// commit is planned first: the planner reads which of the nodes it touches
// exist (and the whole subtree of every node it deletes), replays the ops
// on that picture, and emits creates for missing ancestors, create or set
// for each put, and deletes bottom-up for each subtree.
//
// The picture can go stale if another client changes the tree between the
// reads and the multi; the multi then fails on a create, set or delete and
// the commit is planned again. A failed check, by contrast, is the
// caller's condition: it ends the commit with ErrConflict at once.

// commitAttempts bounds how often a commit is planned again after the
// tree changed under it.
const commitAttempts = 3

// Commit implements Store.
func (z *ZooKeeper) Commit(ctx context.Context, ops []Op) error {
	if err := validOps(ops); err != nil {
		return err
	}
	if len(ops) == 0 {
		return z.do(ctx, func() error { return nil })
	}
	var err error
	for range commitAttempts {
		var p *zkPlan
		p, err = z.plan(ctx, ops)
		if err != nil {
			return fmt.Errorf("commit %d ops to ZooKeeper: plan: %w", len(ops), err)
		}
		var stale bool
		stale, err = z.multi(ctx, p)
		if err == nil || !stale {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("commit %d ops to ZooKeeper: %w", len(ops), err)
	}
	return nil
}

// zkPlan is the multi-op of one commit; isCheck[i] says whether
// requests[i] came from an OpCheck.
type zkPlan struct {
	requests []any
	isCheck  []bool
}

// multi sends the plan. stale reports a failure that planning again may
// cure (the tree changed since it was read).
func (z *ZooKeeper) multi(ctx context.Context, p *zkPlan) (stale bool, err error) {
	var res []zk.MultiResponse
	err = z.do(ctx, func() (err error) {
		res, err = z.conn.Multi(p.requests...)
		return err
	})
	if err == nil {
		return false, nil
	}
	for i, r := range res {
		if r.Error == nil || i >= len(p.isCheck) {
			continue
		}
		if p.isCheck[i] {
			return false, fmt.Errorf("%s: %w", describe(p.requests[i]), ErrConflict)
		}
		if errors.Is(r.Error, zk.ErrNodeExists) || errors.Is(r.Error, zk.ErrNoNode) || errors.Is(r.Error, zk.ErrNotEmpty) {
			return true, fmt.Errorf("%s: %w", describe(p.requests[i]), r.Error)
		}
		return false, fmt.Errorf("%s: %w", describe(p.requests[i]), r.Error)
	}
	// No per-op result: the request itself failed (connection lost,
	// session expired, timeout). It may or may not have been applied.
	return false, err
}

func describe(req any) string {
	switch r := req.(type) {
	case *zk.CreateRequest:
		return "create " + r.Path
	case *zk.SetDataRequest:
		return "set " + r.Path
	case *zk.DeleteRequest:
		return "delete " + r.Path
	case *zk.CheckVersionRequest:
		return fmt.Sprintf("check %s at version %d", r.Path, r.Version)
	}
	return fmt.Sprintf("%T", req)
}

// planner holds what is known of the tree while a commit is planned:
// whether each touched node exists, and the children of the nodes whose
// subtree was read (plus any the plan itself creates).
type planner struct {
	z      *ZooKeeper
	exists map[string]bool
	kids   map[string]map[string]bool
}

func (z *ZooKeeper) plan(ctx context.Context, ops []Op) (*zkPlan, error) {
	pl := &planner{z: z, exists: map[string]bool{Root: true}, kids: map[string]map[string]bool{}}
	for _, op := range ops {
		var err error
		switch op.Kind {
		case OpPut:
			err = pl.readPath(ctx, op.Path)
		case OpDelete:
			err = pl.readSubtree(ctx, op.Path)
		}
		if err != nil {
			return nil, err
		}
	}
	p := &zkPlan{}
	add := func(req any, check bool) {
		p.requests = append(p.requests, req)
		p.isCheck = append(p.isCheck, check)
	}
	for _, op := range ops {
		switch op.Kind {
		case OpPut:
			for _, a := range ancestors(op.Path) {
				if !pl.exists[a] {
					add(&zk.CreateRequest{Path: z.ZPath(a), Data: []byte{}, Acl: zk.WorldACL(zk.PermAll)}, false)
					pl.created(a)
				}
			}
			value := op.Value
			if value == nil {
				value = []byte{}
			}
			if pl.exists[op.Path] {
				add(&zk.SetDataRequest{Path: z.ZPath(op.Path), Data: value, Version: -1}, false)
			} else {
				add(&zk.CreateRequest{Path: z.ZPath(op.Path), Data: value, Acl: zk.WorldACL(zk.PermAll)}, false)
				pl.created(op.Path)
			}
		case OpDelete:
			for _, d := range pl.deleted(op.Path) {
				add(&zk.DeleteRequest{Path: z.ZPath(d), Version: -1}, false)
			}
		case OpCheck:
			add(&zk.CheckVersionRequest{Path: z.ZPath(op.Path), Version: int32(op.Version)}, true)
		}
	}
	return p, nil
}

// readPath learns whether path and its ancestors exist, asking from the
// node up until one is known to exist.
func (pl *planner) readPath(ctx context.Context, path string) error {
	chain := append(ancestors(path), path)
	for i := len(chain) - 1; i >= 0; i-- {
		p := chain[i]
		known, seen := pl.exists[p]
		if !seen {
			ok, err := pl.z.exists(ctx, p)
			if err != nil {
				return err
			}
			pl.exists[p], known = ok, ok
		}
		if known {
			for _, a := range chain[:i] {
				pl.exists[a] = true
			}
			return nil
		}
	}
	return nil
}

// readSubtree reads every node under path (path included).
func (pl *planner) readSubtree(ctx context.Context, path string) error {
	if _, seen := pl.kids[path]; seen {
		return nil
	}
	kids, err := pl.z.children(ctx, path)
	if errors.Is(err, zk.ErrNoNode) {
		if _, seen := pl.exists[path]; !seen {
			pl.exists[path] = false
		}
		return nil
	}
	if err != nil {
		return err
	}
	pl.exists[path] = true
	set := make(map[string]bool, len(kids))
	for _, k := range kids {
		set[k] = true
	}
	pl.kids[path] = set
	for _, k := range kids {
		if err := pl.readSubtree(ctx, Join(path, k)); err != nil {
			return err
		}
	}
	return nil
}

func (pl *planner) created(path string) {
	pl.exists[path] = true
	parent, name := split(path)
	if pl.kids[parent] == nil {
		pl.kids[parent] = map[string]bool{}
	}
	pl.kids[parent][name] = true
	if pl.kids[path] == nil {
		pl.kids[path] = map[string]bool{}
	}
}

// deleted marks path's subtree gone and returns its nodes, children
// before their parents.
func (pl *planner) deleted(path string) []string {
	if !pl.exists[path] {
		return nil
	}
	var out []string
	for k := range pl.kids[path] {
		out = append(out, pl.deleted(Join(path, k))...)
	}
	out = append(out, path)
	pl.exists[path] = false
	delete(pl.kids, path)
	parent, name := split(path)
	delete(pl.kids[parent], name)
	return out
}
