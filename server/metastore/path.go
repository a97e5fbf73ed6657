package metastore

import (
	"fmt"
	"strings"
)

// Root is the path of the tree's root node.
const Root = "/"

// ValidPath checks that p is "/" or "/name(/name)*" where no name is
// empty, ".", ".." or contains a NUL byte (ZooKeeper's own rules, minus
// its reserved /zookeeper subtree).
func ValidPath(p string) error {
	if p == Root {
		return nil
	}
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("metastore: path %q is not absolute", p)
	}
	for _, name := range strings.Split(p[1:], "/") {
		switch {
		case name == "":
			return fmt.Errorf("metastore: path %q has an empty name", p)
		case name == "." || name == "..":
			return fmt.Errorf("metastore: path %q has a relative name", p)
		case strings.IndexByte(name, 0) >= 0:
			return fmt.Errorf("metastore: path %q contains a NUL byte", p)
		}
	}
	return nil
}

// Join appends names to a path: Join("/apps", "2", "0") is "/apps/2/0".
func Join(p string, names ...string) string {
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(p, "/"))
	for _, n := range names {
		b.WriteByte('/')
		b.WriteString(n)
	}
	if b.Len() == 0 {
		return Root
	}
	return b.String()
}

// split returns a valid non-root path's parent and last name.
func split(p string) (parent, name string) {
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return Root, p[1:]
	}
	return p[:i], p[i+1:]
}

// ancestors returns the non-root ancestors of a valid path, nearest to the
// root first: "/a/b/c" gives "/a", "/a/b".
func ancestors(p string) []string {
	var out []string
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			out = append(out, p[:i])
		}
	}
	return out
}

// validOps checks every path of a commit before anything is changed.
func validOps(ops []Op) error {
	for _, op := range ops {
		if err := ValidPath(op.Path); err != nil {
			return err
		}
		switch op.Kind {
		case OpPut:
			if op.Path == Root {
				return fmt.Errorf("metastore: cannot write the root node")
			}
		case OpDelete:
			if op.Path == Root {
				return fmt.Errorf("metastore: cannot delete the root node")
			}
		case OpCheck:
			if op.Path == Root {
				return fmt.Errorf("metastore: cannot check the root node's version")
			}
		default:
			return fmt.Errorf("metastore: unknown op kind %d on %q", op.Kind, op.Path)
		}
	}
	return nil
}
